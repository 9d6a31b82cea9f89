"""The editor's problems: which validation errors to show, and each error's path in words.

Errors show only once a save was tried (then on every change), plus what the last save
refused (a taken name, a secret to retype) for as long as the definition is the one refused.
Paths read as the user sees them: "stage 'Build' › task 'compile' › Image".
"""
from __future__ import annotations

from dashboard.editor.ops import get_field
from dashboard.editor.words import field_label
from models import task_types
from models.i18n import N_, _
from models.spec import SpecError, validate

PIPELINE_FIELDS = {"name": N_("pipeline name"), "description": N_("pipeline description"),
                   "parameters": N_("pipeline parameters"), "cluster": N_("pipeline cluster")}
# Other parts of a path as words (a task type's fields are models.task_types' labels).
PARTS = {"source": N_("source"), "repository": N_("repository"), "branch": N_("branch"), "name": N_("name"),
         "mode": N_("mode"), "type": N_("type"), "value": N_("value"), "stages": N_("stages"), "tasks": N_("tasks"),
         "timeout_minutes": N_("timeout minutes"), "scheduling_timeout_minutes": N_("scheduling timeout minutes")}


def errors_of(state: dict) -> list:
    """What to show: validation errors once a save was tried, and what the last save refused.
    Messages come back as text in the reader's language (models/ gives Msgs: they are
    rendered here, inside the request; a Store or a component could not hold them)."""
    out = []
    if state.get("show_errors"):
        try:
            validate(state["present"])
        except SpecError as exc:
            out = [(p, str(m)) for p, m in exc.errors]
    refused = state.get("save_errors") or {}
    if refused.get("for") == state["present"]:
        out += [(p, str(m)) for p, m in refused["errors"] if (p, str(m)) not in out]
    return out


def describe_path(spec: dict, path: str) -> str:
    """`stages[1].tasks[0].image` → "stage 'Build' › task 'compile' › Image"."""
    if path in PIPELINE_FIELDS:
        return str(PIPELINE_FIELDS[path])
    words, prefix = [], ""
    for part in path.split("."):
        prefix = f"{prefix}.{part}" if prefix else part
        name = part.split("[")[0]
        if name in ("stages", "tasks") and "[" in part:
            found = get_field(spec, f"{prefix}.name")
            number = int(part[part.index('[') + 1:-1]) + 1
            if name == "stages":
                words.append(_("stage '{name}'", name=found) if found else _("stage {number}", number=number))
            else:
                words.append(_("task '{name}'", name=found) if found else _("task {number}", number=number))
        elif name == "env" and "[" in part:
            found = get_field(spec, f"{prefix}.name")
            words.append(_("variable '{name}'", name=found) if found else _("variable"))
        else:
            words.append(field_label(task_types.field_label(part)) or str(PARTS.get(part) or part.replace("_", " ")))
    return " › ".join(words) or _("definition")
