"""Pure editing operations on a pipeline definition: field paths, the code source, stages.

Every operation takes the working definition (a plain dict, possibly invalid while the
user edits it) and returns a new one; the input is never mutated. Fields are addressed by
the same paths `models.spec.validate()` uses in its errors (`stages[1].tasks[0].image`),
so an error lands on the field that produced it. Task operations are in editor.tasks,
the undo history in editor.history, the button → operation dispatch in editor.commands.
"""
from __future__ import annotations

import copy
import re

from models.spec import DEFAULT_STAGES

MISSING = object()
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


def swap(items: list, i: int, j: int) -> bool:
    """Swap two items in place; False (and nothing changed) when either index is outside."""
    if not (0 <= i < len(items) and 0 <= j < len(items)):
        return False
    items[i], items[j] = items[j], items[i]
    return True


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


def move_stage(spec: dict, i: int, delta: int) -> dict:
    out = copy.deepcopy(spec)
    return out if swap(out["stages"], i, i + delta) else spec
