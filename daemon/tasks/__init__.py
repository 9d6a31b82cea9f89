"""Task types: each turns a task of the spec into a script, environment and image.

`prepare_task(...)` returns a `TaskPlan` or raises `TaskUnavailable` with a message that
names the task type and what configuration it needs. Types whose execution has not
landed yet fail their run with that message instead of pretending to work.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from models import clusters
from models.secrets import unseal
from models.spec import TASK_TYPE_LABELS
from models.variables import substitute


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


def explain(name: str, log: str) -> str | None:
    """Why a task whose pod ran no Python failed, from its log, by its plan's explainer."""
    from daemon.tasks.lib import kaniko
    explainer = {"kaniko": kaniko.explain}.get(name)
    return explainer(log) if explainer else None


def placement(spec: dict, task_type: str) -> str:
    """The executor a task runs on: run-script tasks go to the pipeline's cluster (or the
    default one); everything else (checkout, deploy, builds) runs on the daemon's machine."""
    name = spec.get("cluster") or ""
    if task_type != "script" or name == clusters.LOCAL:
        return "local"
    if not name:
        chosen = clusters.default()
        return f"kubernetes:{chosen.name}" if chosen else "local"
    return f"kubernetes:{name}"


def pod_plan(task: dict, values: dict, where: str) -> TaskPlan:
    """A run-script task as a pod runs it: the script as written, in the task's own image."""
    env, secrets = task_environment(task, values, where)
    image = substitute(task["image"], values, f"{where}.image")
    tag = substitute(task.get("tag") or "latest", values, f"{where}.tag")
    return TaskPlan(script=task["script"], env=env, secret_values=secrets, image=f"{image}:{tag}")


def prepare_task(task: dict, values: dict, where: str) -> TaskPlan:
    """Turn one task of the spec into what an executor runs."""
    from daemon.tasks import build_chart, build_image, deploy_chart, deploy_yaml, script
    builders = {"script": script.plan, "build_image": build_image.plan, "build_chart": build_chart.plan,
                "deploy_chart": deploy_chart.plan, "deploy_yaml": deploy_yaml.plan}
    builder = builders.get(task["type"])
    if builder is None:
        raise TaskUnavailable(_unavailable_message(task))
    return builder(task, values, where)


def _unavailable_message(task: dict) -> str:
    label = TASK_TYPE_LABELS.get(task["type"], task["type"])
    needs = {
        "build_image": "a container registry and an image builder (buildah, podman or a Kubernetes cluster)",
        "deploy_yaml": "a Kubernetes cluster to apply the YAML to",
        "build_chart": "a chart repository",
        "deploy_chart": "a chart repository and a Kubernetes cluster",
    }.get(task["type"], "support that this Millrace version does not have")
    return (f"task '{task['name']}' is a {label} task ({task['type']}); running it needs {needs}, "
            f"which is not configured on this Millrace installation")
