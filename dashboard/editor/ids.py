"""Component ids of the canvas editor, in one place (the rest of the dashboard's are in ids.py).

Form controls use pattern-matching ids whose "path" is the field's path in the definition,
exactly as models.spec reports errors (`stages[0].tasks[1].image`), so an error finds its
field by id; their "rev" is the side panel's revision they were built for (-1: always
current), so values from a panel that is about to be replaced are never written to a
definition whose paths have moved on. Buttons are {"type": OP, "op": <operation>}.
"""
from __future__ import annotations

import json

STATE = "editor-state"          # Store: the history {present, past, future, initial, key, show_errors, save_errors}
META = "editor-meta"            # Store: {"pipeline_id", "version": the version opened, "stored": [secret keys], "placement"}
SELECTED = "editor-selected"    # Store: the selected node id (graph.py names) or None for pipeline settings
FORM_REV = "editor-form-rev"    # Store: bumped when the side panel must be rebuilt (not on typing)
CANVAS = "editor-canvas"
CANVAS_FIT = "editor-canvas-fit"  # Store written by the clientside re-fit when the canvas tab opens
PANEL = "editor-panel"
STAGE_TOOLBAR = "editor-stage-toolbar"
TASK_TOOLBAR = "editor-task-toolbar"
HEADER = "editor-header"        # the pipeline name field
PROJECT = "editor-project"      # the project a new pipeline goes to (a Select; read-only for a stored one)
PROBLEMS = "editor-problems"    # every validation error, in words
TABS = "editor-tabs"
YAML = "editor-yaml"
YAML_ERROR = "editor-yaml-error"
SAVE = "editor-save"
SAVE_RUN = "editor-save-run"
REDIRECT = "editor-redirect"
DIRTY = "editor-dirty"          # a hidden marker, class "dirty" while there are unsaved edits (assets/editor_keys.js)
DESELECT = "deselect"           # the op of a hidden button pressed by Esc or a tap on the empty canvas (assets/editor_keys.js)
CONFLICT = "editor-conflict"    # Store: the newer stored version a save was refused for {"version", "by", "at"}
CONFLICT_MODAL = "editor-conflict-modal"
CONFLICT_TEXT = "editor-conflict-text"
CONFLICT_DIFF = "editor-conflict-diff"          # a Collapse holding the side-by-side diff
CONFLICT_SHOW_DIFF = "editor-conflict-show-diff"
CONFLICT_RELOAD = "editor-conflict-reload"
CONFLICT_OVERWRITE = "editor-conflict-overwrite"
CONFLICT_CANCEL = "editor-conflict-cancel"

FIELD = "editor-field"          # text-like controls with an `invalid` flag
FEEDBACK = "editor-feedback"    # the message under a FIELD
TOGGLE = "editor-toggle"        # switches (secret)
OP = "editor-op"
CHART_VERSIONS = "editor-chart-versions"   # {"type", "task": the task's path}: the version field's suggestion list
SOURCE_PICK = "editor-source-pick"         # {"type", "part"}: the code source pickers (editor/source_picker.py)
CHART_NOTE = "editor-chart-note"           # {"type", "task"}: under the version field, why the repository was not read

TAB_CANVAS, TAB_YAML = "canvas", "yaml"


def field(path: str, rev: int = -1) -> dict:
    return {"type": FIELD, "path": path, "rev": rev}


def feedback(path: str) -> dict:
    return {"type": FEEDBACK, "path": path}


def toggle(path: str, rev: int = -1) -> dict:
    return {"type": TOGGLE, "path": path, "rev": rev}


def op(name: str) -> dict:
    return {"type": OP, "op": name}


def dom_id(component_id) -> str:
    """The DOM id Dash gives a component (pattern ids become sorted compact JSON)."""
    if isinstance(component_id, str):
        return component_id
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


def pick(part, of="source") -> dict:
    """A code source picker control (`of` is always "source": callbacks match it with ALL, so
    they are valid while the source form is not shown)."""
    return {"type": SOURCE_PICK, "part": part, "of": of}
