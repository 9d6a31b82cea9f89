"""Task types: the one registry of what a task runs and where.

A task type is one `TaskType`: its fields (models.task_types, where the spec and the
editor read them too), a plan for each executor kind it can run on, and, for executors
that run no Python after a failure, explainers that say from the log why it failed.
Each built-in type is the module daemon/tasks/<name>.py whose `TYPE` is that, imported
on first use (the task processes, `python -m daemon.tasks.X`, import only their own);
the checkout is one of them. `register()` adds a type made elsewhere (a test's).

`placement()` decides the executor: a type with a Kubernetes plan runs where the
pipeline's run-script tasks run (its cluster, else the default cluster, else this
machine); every other type on the daemon's machine. `plan()` turns a task run into a
`TaskPlan` (a script, its environment and image) for that executor, or raises
`TaskUnavailable` with a message naming the task and what it needs. `definition()` finds
a task run's task in the definition: the code source (stage position 0,
models.task_types.SOURCE_STAGE) is the checkout's, the pipeline's stages follow at 1..n.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable, Mapping

from daemon.executors.base import KUBERNETES, LOCAL, cluster_of, executor_name, kind_of
from models import clusters, task_types
from models.i18n import N_
from models.secrets import unseal
from models.task_types import CHECKOUT, SOURCE_STAGE, TaskFields
from models.variables import substitute

__all__ = ["CHECKOUT", "SOURCE_STAGE", "Context", "TaskPlan", "TaskType", "TaskUnavailable", "definition",
           "explain", "get", "placement", "plan", "register", "task_environment", "unregister"]


class TaskUnavailable(RuntimeError):
    pass


@dataclass
class TaskPlan:
    script: str
    env: dict[str, str]
    secret_values: list[str] = field(default_factory=list)
    image: str | None = None
    notes: list[str] = field(default_factory=list)     # lines written to the log before the output
    # For a pod: a change to its Pod and Secret (kaniko's argv), and the explainer of its failures
    shape_pod: Callable[[dict, dict, dict], None] | None = None
    explain: str | None = None


@dataclass(frozen=True)
class Context:
    """What a plan is made from."""
    task: dict           # the task as defined (the checkout's: the pipeline's code source, named "checkout")
    values: dict         # the run's variables, as ${X} and the environment see them
    where: str           # its path in the definition, for messages ("stages[0].tasks[1]", "source")
    pipeline: dict       # the whole definition
    commit: str | None   # the run's pinned commit, if any
    executor: str        # "local" or "kubernetes:<cluster>"

    @property
    def cluster(self) -> str:
        return cluster_of(self.executor)


@dataclass(frozen=True)
class TaskType:
    fields: TaskFields                                      # how a definition writes it (models.task_types)
    plans: Mapping[str, Callable[[Context], TaskPlan]]      # executor kind ("local", "kubernetes") → its plan
    explainers: Mapping[str, Callable[[str], str]] = field(default_factory=dict)   # name → (log → reason)

    @property
    def name(self) -> str:
        return self.fields.name


_types: dict[str, TaskType] = {}


def get(name: str) -> TaskType | None:
    """The task type called `name`; a built-in one's module is imported on first use."""
    if name not in _types and task_types.is_built_in(name):
        _types[name] = importlib.import_module(f"{__name__}.{name}").TYPE
    return _types.get(name)


def register(task_type: TaskType) -> TaskType:
    """Add a task type made outside daemon/tasks/ (its fields become known to definitions too)."""
    if task_types.is_built_in(task_type.name) or task_type.name in _types:
        raise ValueError(f"task type '{task_type.name}' exists already")
    task_types.declare(task_type.fields)
    _types[task_type.name] = task_type
    return task_type


def unregister(name: str) -> None:
    if task_types.is_built_in(name):
        raise ValueError(f"task type '{name}' is built in")
    _types.pop(name, None)
    task_types.undeclare(name)


def explain(name: str, log: str) -> str | None:
    """Why a task whose pod ran no Python failed, from its log, by the explainer its plan named."""
    for fields in task_types.BUILT_IN:
        get(fields.name)
    explainer = next((t.explainers[name] for t in list(_types.values()) if name in t.explainers), None)
    return explainer(log) if explainer else None


def placement(spec: dict, task_type: str) -> str:
    """The executor a task runs on. A type that can run as a pod goes to the pipeline's
    cluster (or the default one, when one is marked); everything else (checkout, deploys,
    chart builds) runs on the daemon's machine."""
    found = get(task_type)
    if found is None or KUBERNETES not in found.plans:
        return LOCAL
    name = spec.get("cluster") or ""
    if name == clusters.LOCAL:
        return LOCAL
    if not name:
        chosen = clusters.default()
        return executor_name(KUBERNETES, chosen.name) if chosen else LOCAL
    return executor_name(KUBERNETES, name)


def definition(spec: dict, stage: int, position: int) -> tuple[dict, str]:
    """(the task, its path in the definition) of the task run at (stage, position)."""
    if stage == SOURCE_STAGE:
        return {"name": CHECKOUT.name, "type": CHECKOUT.name, **(spec.get("source") or {})}, "source"
    return spec["stages"][stage - 1]["tasks"][position], f"stages[{stage - 1}].tasks[{position}]"


def plan(spec: dict, stage: int, position: int, values: dict, commit: str | None, executor: str) -> TaskPlan:
    """What the executor runs for the task run at (stage, position) of a run of `spec`."""
    task, where = definition(spec, stage, position)
    found = get(task["type"])
    make = found.plans.get(kind_of(executor)) if found is not None else None
    if make is None:
        label = task_types.LABELS.get(task["type"], task["type"])
        if found is not None:
            raise TaskUnavailable(N_("task '{task}' is a {label} task ({type}), which this Millrace installation "
                                     "cannot run on {executor}", task=task["name"], label=label, type=task["type"],
                                     executor=executor))
        raise TaskUnavailable(N_("task '{task}' is a {label} task ({type}), which this Millrace installation "
                                 "cannot run", task=task["name"], label=label, type=task["type"]))
    return make(Context(task, values, where, spec, commit, executor))


def task_environment(task: dict, values: dict, where: str) -> tuple[dict, list[str]]:
    """The task's own env entries, substituted; secrets opened. Returns (env, secret values)."""
    env, secrets = {}, []
    for k, entry in enumerate(task.get("env", [])):
        if entry.get("secret"):
            value = unseal(entry["encrypted"])
            secrets.append(value)
        else:
            value = substitute(entry.get("value", ""), values, f"{where}.env[{k}].value")
        env[entry["name"]] = value
    return env, secrets
