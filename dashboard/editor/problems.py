"""The editor's problems: which validation errors to show, and each error's path in words.

Errors show only once a save was tried (then on every change), plus what the last save
refused (a taken name, a secret to retype) for as long as the definition is the one refused.
Paths read as the user sees them: "stage 'Build' › task 'compile' › Image".
"""
from __future__ import annotations

from dashboard.editor.ops import get_field
from models import task_types
from models.spec import SpecError, validate


def errors_of(state: dict) -> list:
    """What to show: validation errors once a save was tried, and what the last save refused."""
    out = []
    if state.get("show_errors"):
        try:
            validate(state["present"])
        except SpecError as exc:
            out = list(exc.errors)
    refused = state.get("save_errors") or {}
    if refused.get("for") == state["present"]:
        out += [tuple(e) for e in refused["errors"] if tuple(e) not in out]
    return out


def describe_path(spec: dict, path: str) -> str:
    """`stages[1].tasks[0].image` → "stage 'Build' › task 'compile' › Image"."""
    if path in ("name", "description", "parameters", "cluster"):
        return f"pipeline {path}"
    words, prefix = [], ""
    for part in path.split("."):
        prefix = f"{prefix}.{part}" if prefix else part
        name = part.split("[")[0]
        if name in ("stages", "tasks") and "[" in part:
            found = get_field(spec, f"{prefix}.name")
            words.append(f"{name[:-1]} '{found}'" if found else f"{name[:-1]} {int(part[part.index('[') + 1:-1]) + 1}")
        elif name == "env" and "[" in part:
            found = get_field(spec, f"{prefix}.name")
            words.append(f"variable '{found}'" if found else "variable")
        else:
            words.append(task_types.field_label(part) or part.replace("_", " "))
    return " › ".join(words) or "definition"
