"""Pure editing operations on a pipeline definition, and the editor's undo history.

Every operation takes the working definition (a plain dict, possibly invalid while the
user edits it) and returns a new one; the input is never mutated. Fields are addressed by
the same paths `models.spec.validate()` uses in its errors (`stages[1].tasks[0].image`),
so an error lands on the field that produced it. Tasks move only within their stage.
The history is a JSON-able dict kept in a dcc.Store: present, past, future, initial.
"""
from __future__ import annotations

import copy
import re

import yaml

from models.spec import DEFAULT_STAGES, TASK_TYPES, SpecError, load_yaml

HISTORY_LIMIT = 100
MISSING = object()
NEW_TASK_DEFAULTS = {"script": {"image": "debian", "tag": "bookworm-slim"}}
_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def new_spec() -> dict:
    """A pipeline from scratch: no name yet, the four default stages."""
    return {"name": "", "description": "", "source": None, "parameters": {}, "timeout_minutes": None,
            "stages": [{"name": s, "mode": "serial", "tasks": []} for s in DEFAULT_STAGES]}


def _tokens(path: str) -> list:
    return [name if name else int(index) for name, index in _TOKEN.findall(path)]


def get_field(spec, path: str, default=None):
    node = spec
    for token in _tokens(path):
        try:
            node = node[token]
        except (KeyError, IndexError, TypeError):
            return default
    return node


def set_field(spec: dict, path: str, value) -> dict:
    out = copy.deepcopy(spec)
    *parents, last = _tokens(path)
    node = out
    for token in parents:
        node = node[token]
    node[last] = value
    return out


def unique_name(base: str, taken) -> str:
    taken = set(taken)
    if base not in taken:
        return base
    stem = f"{base}-copy"
    name, n = stem, 2
    while name in taken:
        name, n = f"{stem}-{n}", n + 1
    return name


# --- code source -------------------------------------------------------------------
def add_source(spec: dict) -> dict:
    return spec if spec.get("source") else {**copy.deepcopy(spec), "source": {"repository": "", "branch": "main"}}


def delete_source(spec: dict) -> dict:
    return {**copy.deepcopy(spec), "source": None}


# --- stages ------------------------------------------------------------------------
def insert_stage(spec: dict, index: int) -> dict:
    out = copy.deepcopy(spec)
    taken = {s.get("name") for s in out["stages"]}
    n = len(out["stages"]) + 1
    while f"Stage {n}" in taken:
        n += 1
    out["stages"].insert(index, {"name": f"Stage {n}", "mode": "serial", "tasks": []})
    return out


def add_stage_after(spec: dict, i: int) -> dict:
    return insert_stage(spec, i + 1)


def copy_stage(spec: dict, i: int) -> dict:
    out = copy.deepcopy(spec)
    stage = copy.deepcopy(out["stages"][i])
    stage["name"] = unique_name(stage.get("name") or "stage", (s.get("name") for s in out["stages"]))
    out["stages"].insert(i + 1, stage)
    return out


def delete_stage(spec: dict, i: int) -> dict:
    out = copy.deepcopy(spec)
    del out["stages"][i]
    return out


def _swap(items: list, i: int, j: int) -> bool:
    if not (0 <= i < len(items) and 0 <= j < len(items)):
        return False
    items[i], items[j] = items[j], items[i]
    return True


def move_stage(spec: dict, i: int, delta: int) -> dict:
    out = copy.deepcopy(spec)
    return out if _swap(out["stages"], i, i + delta) else spec


# --- tasks -------------------------------------------------------------------------
def blank_task(kind: str, name: str) -> dict:
    required, optional = TASK_TYPES[kind]
    task = {"name": name, "type": kind, **{f: "" for f in required}}
    task.update({f: copy.deepcopy(d) for f, d in optional.items()})
    task.update(NEW_TASK_DEFAULTS.get(kind, {}))
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
    return out if _swap(out["stages"][i]["tasks"], j, j + delta) else spec


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


# --- secrets -----------------------------------------------------------------------
def secret_key(stage: str, task: str, name: str) -> str:
    return f"{stage}/{task}/{name}"


def strip_secrets(spec: dict) -> tuple[dict, list[str]]:
    """Drop encrypted values before the definition goes to the browser.

    A secret comes back with an empty value, which models.pipelines.save reads as "keep
    the stored one"; the returned keys say which secrets have a stored value.
    """
    out, stored = copy.deepcopy(spec), []
    for stage in out.get("stages") or []:
        for task in stage.get("tasks") or []:
            for k, env in enumerate(task.get("env") or []):
                if env.get("encrypted") or env.get("secret"):
                    if env.get("encrypted"):
                        stored.append(secret_key(stage.get("name"), task.get("name"), env.get("name")))
                    task["env"][k] = {"name": env.get("name", ""), "value": "" if env.get("encrypted") else env.get("value", ""),
                                      "secret": True}
    return out, stored


def from_yaml(text: str) -> tuple[dict | None, str | None]:
    """The YAML tab's text as a working definition, or (None, the reason it cannot be one).

    Valid text comes back in canonical form; text that is YAML but not yet a valid
    definition is kept as typed (validation marks it) as long as it has the shape the
    canvas draws: a mapping whose stages are mappings with lists of task mappings.
    Encrypted values are never taken from the page.
    """
    try:
        return strip_secrets(load_yaml(text))[0], None
    except SpecError as exc:
        if exc.errors and exc.errors[0][1].startswith("not valid YAML"):
            return None, exc.errors[0][1]
    raw = yaml.safe_load(text)
    stages = raw.get("stages") if isinstance(raw, dict) else None
    if not isinstance(stages, list) or not all(
            isinstance(s, dict) and isinstance(s.get("tasks") or [], list)
            and all(isinstance(t, dict) for t in s.get("tasks") or []) for s in stages):
        return None, "a pipeline is a mapping with name and a list of stages, each with a list of tasks"
    for stage in stages:
        stage["tasks"] = stage.get("tasks") or []
    return strip_secrets(raw)[0], None


# --- history -----------------------------------------------------------------------
def history_new(spec: dict) -> dict:
    return {"present": spec, "past": [], "future": [], "initial": spec, "key": None}


def history_push(history: dict, spec: dict, key: str | None = None) -> dict:
    """Record a change. Consecutive edits with the same `key` (typing in one field) make one step."""
    if spec == history["present"]:
        return history
    if key is not None and key == history.get("key") and history["past"]:
        return {**history, "present": spec, "future": []}
    past = (history["past"] + [history["present"]])[-HISTORY_LIMIT:]
    return {**history, "present": spec, "past": past, "future": [], "key": key}


def undo(history: dict) -> dict:
    if not history["past"]:
        return history
    return {**history, "present": history["past"][-1], "past": history["past"][:-1],
            "future": [history["present"]] + history["future"], "key": None}


def redo(history: dict) -> dict:
    if not history["future"]:
        return history
    return {**history, "present": history["future"][0], "past": history["past"] + [history["present"]],
            "future": history["future"][1:], "key": None}


def reset(history: dict) -> dict:
    """Back to the definition the editor opened with; itself undoable."""
    return history_push(history, history["initial"])


# --- dispatch ----------------------------------------------------------------------
def run_op(spec: dict, op: str, selected: str | None) -> tuple[dict, str | None]:
    """Apply the operation `op` (a button name or a tapped canvas "+" node) to the selected
    node; return the new definition and the node to select afterwards."""
    from dashboard.graph import parse_node, stage_id, task_id

    tapped = parse_node(op)
    if tapped[:1] == ("add-stage",):
        return insert_stage(spec, tapped[1]), stage_id(tapped[1])
    if tapped[:1] == ("add-task",):
        i = tapped[1]
        return add_task(spec, i), task_id(i, len(spec["stages"][i].get("tasks") or []))
    ref = parse_node(selected)
    if op == "add-source":
        return add_source(spec), "source"
    if op == "delete-source":
        return delete_source(spec), "source"
    if ref[:1] == ("stage",):
        i, n = ref[1], len(spec["stages"])
        if op == "add-stage-after":
            return add_stage_after(spec, i), stage_id(i + 1)
        if op == "copy-stage":
            return copy_stage(spec, i), stage_id(i + 1)
        if op == "delete-stage":
            return delete_stage(spec, i), None
        if op in ("stage-left", "stage-right"):
            to = i + (-1 if op == "stage-left" else 1)
            return (move_stage(spec, i, to - i), stage_id(to)) if 0 <= to < n else (spec, selected)
        if op == "add-task":
            return add_task(spec, i), task_id(i, len(spec["stages"][i].get("tasks") or []))
    if ref[:1] == ("task",):
        i, j = ref[1], ref[2]
        count = len(spec["stages"][i]["tasks"])
        if op == "add-task":
            return add_task(spec, i), task_id(i, count)
        if op == "copy-task":
            return copy_task(spec, i, j), task_id(i, j + 1)
        if op == "delete-task":
            return delete_task(spec, i, j), stage_id(i)
        if op in ("task-up", "task-down"):
            to = j + (-1 if op == "task-up" else 1)
            return (move_task(spec, i, j, to - j), task_id(i, to)) if 0 <= to < count else (spec, selected)
        if op == "add-env":
            return add_env(spec, i, j), selected
        if op.startswith("delete-env:"):
            return delete_env(spec, i, j, int(op.split(":", 1)[1])), selected
    return spec, selected
