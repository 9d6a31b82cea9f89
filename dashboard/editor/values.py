"""Form control values ⇄ definition values, and writing a side panel's controls into the definition.

Mappings (parameters) show as key=value lines, minutes as whole numbers (blank: none / the
default), the default cluster as its own choice, secret switches as booleans. What cannot
be converted is kept as typed for validation to name. Only controls built for the current
panel revision are read (editor.ids explains the revision).
"""
from __future__ import annotations

import re

from dashboard.editor.ops import MISSING, get_field, set_field
from dashboard.editor.tasks import set_task_type
from dashboard.placement import DEFAULT_CLUSTER
from models.spec import minutes_value

MINUTES = ("timeout_minutes", "scheduling_timeout_minutes")     # whole numbers, blank: none / the default
ACCOUNT = "source.account"      # the code source's account select (editor/source_picker.py)
BLANK_CHOICE = DEFAULT_CLUSTER      # a picker's "blank" choice (a dbc.Select keeps "" for its placeholder)
_TASK_TYPE_PATH = re.compile(r"^stages\[(\d+)\]\.tasks\[(\d+)\]\.type$")


def _is_mapping(path: str) -> bool:
    return path == "parameters" or path.endswith(".parameters")


def to_widget(path: str, value):
    """A definition value as its control shows it (mappings as key=value lines)."""
    if _is_mapping(path):
        return "\n".join(f"{k}={v}" for k, v in (value or {}).items()) if isinstance(value, dict) else value
    if path in MINUTES:
        return value
    return "" if value is None else value


def from_widget(path: str, raw):
    """A control's value as the definition holds it; what cannot be converted is kept for
    validation to name."""
    if path.endswith(".secret"):
        return bool(raw)
    if raw == BLANK_CHOICE and path.split(".")[-1] in ("cluster", "registry"):
        return ""
    if path in MINUTES:
        return minutes_value(raw)
    if path == ACCOUNT:      # an account id; blank: none (a plain git URL)
        text = "" if raw is None else str(raw).strip()
        return int(text) if text.isdigit() else (text or None)
    if _is_mapping(path):
        lines = [line for line in str(raw or "").splitlines() if line.strip()]
        return {k.strip(): v.strip() for k, _, v in (line.partition("=") for line in lines)}
    return "" if raw is None else str(raw)


def apply_form(spec: dict, pairs) -> tuple[dict, list[str]]:
    """Write (path, control value) pairs into the definition; return it and the paths that changed.
    Paths that no longer exist (the form was built for an older definition) are skipped."""
    changed = []
    for path, raw in pairs:
        parent = path.rsplit(".", 1)[0] if "." in path else ""
        if parent and not isinstance(get_field(spec, parent), dict):
            continue
        new, old = from_widget(path, raw), get_field(spec, path, MISSING)
        if new == old or (old is MISSING and new in ("", None, {})):
            continue
        m = _TASK_TYPE_PATH.match(path)
        if new is None and path == ACCOUNT:          # back to a plain git URL: no account key at all
            updated = {**spec, "source": {k: v for k, v in spec["source"].items() if k != "account"}}
        else:
            updated = set_task_type(spec, int(m.group(1)), int(m.group(2)), new) if m else set_field(spec, path, new)
        if updated != spec:
            spec = updated
            changed.append(path)
    return spec, changed


def current_pairs(field_ids, values, rev: int) -> list:
    """(path, value) of the controls built for panel revision `rev` (or always current)."""
    return [(i["path"], v) for i, v in zip(field_ids, values) if i.get("rev") in (-1, rev)]
