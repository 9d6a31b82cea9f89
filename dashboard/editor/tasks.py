"""Pure editing operations on the tasks of a pipeline definition and their variables.

Same contract as editor.ops: a new definition back, the input never mutated. A new task
has exactly the fields models.spec.TASK_TYPES gives its type; changing the type rebuilds
the task. Tasks move only within their stage.
"""
from __future__ import annotations

import copy

from dashboard.editor.ops import set_field, swap, unique_name
from models import task_types
from models.spec import TASK_TYPES


def blank_task(kind: str, name: str) -> dict:
    required, optional = TASK_TYPES[kind]
    task = {"name": name, "type": kind, **{f: "" for f in required}}
    task.update({f: copy.deepcopy(d) for f, d in optional.items()})
    task.update(copy.deepcopy(task_types.get(kind).new_task))
    task["env"] = []
    return task


def add_task(spec: dict, i: int, kind: str = "script") -> dict:
    out = copy.deepcopy(spec)
    tasks = out["stages"][i].setdefault("tasks", [])
    taken = {t.get("name") for t in tasks}
    n = len(tasks) + 1
    while f"task-{n}" in taken:
        n += 1
    tasks.append(blank_task(kind, f"task-{n}"))
    return out


def copy_task(spec: dict, i: int, j: int) -> dict:
    out = copy.deepcopy(spec)
    tasks = out["stages"][i]["tasks"]
    task = copy.deepcopy(tasks[j])
    task["name"] = unique_name(task.get("name") or "task", (t.get("name") for t in tasks))
    tasks.insert(j + 1, task)
    return out


def delete_task(spec: dict, i: int, j: int) -> dict:
    out = copy.deepcopy(spec)
    del out["stages"][i]["tasks"][j]
    return out


def move_task(spec: dict, i: int, j: int, delta: int) -> dict:
    """Up (-1) or down (+1) within stage i; at either end nothing changes (never across stages)."""
    out = copy.deepcopy(spec)
    return out if swap(out["stages"][i]["tasks"], j, j + delta) else spec


def set_task_type(spec: dict, i: int, j: int, kind: str) -> dict:
    """Rebuild the task with exactly the new type's fields. Only fields that mean the same in
    every type survive (a script's `image` runs it, a build's `image` names the result)."""
    old = spec["stages"][i]["tasks"][j]
    if kind == old.get("type") or kind not in TASK_TYPES:
        return spec
    task = blank_task(kind, old.get("name", ""))
    for field in ("cluster", "namespace", "env", "resources"):
        if old.get(field) and (field in task or field == "resources"):
            task[field] = copy.deepcopy(old[field])
    return set_field(spec, f"stages[{i}].tasks[{j}]", task)


def add_env(spec: dict, i: int, j: int) -> dict:
    out = copy.deepcopy(spec)
    out["stages"][i]["tasks"][j].setdefault("env", []).append({"name": "", "value": "", "secret": False})
    return out


def delete_env(spec: dict, i: int, j: int, k: int) -> dict:
    out = copy.deepcopy(spec)
    del out["stages"][i]["tasks"][j]["env"][k]
    return out
