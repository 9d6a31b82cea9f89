"""The editor's side panel: one form per selected node, built from the definition.

Code source (where the code is: the pickers of source_picker, then repository and branch), stage (name, serial/parallel), task (name, type, then
exactly the fields models.spec.TASK_TYPES gives that type, and environment rows with a
"secret" switch), or, with nothing selected, the pipeline's own settings
(pipeline_form). A task's fields, their labels, hints and order are read from
models.task_types, so a new task type needs no edit here. Controls come from controls and are stamped with the panel
revision they were built for. Secret values are never filled in: an empty one keeps the
stored value on save.
"""
from __future__ import annotations

import json

import dash_bootstrap_components as dbc
from dash import html

from dashboard.editor import chart_picker, ids as eid, pickers, source_picker
from dashboard.editor.controls import op_button, select_field, text_field
from dashboard.editor.pipeline_form import pipeline_form
from dashboard.editor.values import BLANK_CHOICE
from dashboard.editor.words import field_label, mode_options, type_options
from dashboard.editor.yaml_text import secret_key
from dashboard.graph import parse_node
from models import task_types
from models.i18n import N_, _
from models.spec import STAGE_MODES, TASK_TYPES

REPOSITORY_HINT = N_("https://… or file:///…")       # a Msg: shown in the reader's language


def source_form(spec, errors):
    source = spec.get("source")
    if not source:
        return [html.H5(_("Code source")),
                html.P(_("No code source: tasks start in an empty workspace."), className="text-muted"),
                op_button(_("+ Add code source"), "add-source", "primary")]
    return [html.H5(_("Code source")), *source_picker.controls(source, errors),
            text_field(_("Repository URL"), "source.repository", source.get("repository"), errors, required=True,
                       placeholder=str(REPOSITORY_HINT),
                       help_text=_("A git URL or a local path; picking a repository above fills it in.")),
            text_field(_("Branch"), "source.branch", source.get("branch"), errors, placeholder="main"),
            op_button(_("Remove code source"), "delete-source", "danger")]


def stage_form(spec, i, errors):
    stage, p = spec["stages"][i], f"stages[{i}]"
    return [html.H5(_("Stage")),
            text_field(_("Stage name"), f"{p}.name", stage.get("name"), errors, required=True),
            select_field(_("Tasks run"), f"{p}.mode", stage.get("mode") or "serial", mode_options(STAGE_MODES), errors)]


def env_rows(task, p, errors, stored, stage_name):
    rows = []
    for k, env in enumerate(task.get("env") or []):
        q = f"{p}.env[{k}]"
        secret = bool(env.get("secret"))
        kept = secret and secret_key(stage_name, task.get("name"), env.get("name")) in stored
        hint = _("(stored)") if kept else (_("secret value") if secret else _("value"))
        rows.append(dbc.Row([
            dbc.Col(text_field(_("Name"), f"{q}.name", env.get("name"), errors, placeholder="NAME"), width=4),
            dbc.Col(text_field(_("Value"), f"{q}.value", env.get("value"), errors, placeholder=hint,
                               input_type="password" if secret else "text"), width=4),
            dbc.Col([dbc.Label(_("Secret")), dbc.Switch(id=eid.toggle(f"{q}.secret"), value=secret)], width=2),
            dbc.Col(op_button("✕", f"delete-env:{k}", "danger", title=_("remove this variable")), width=2,
                    className="pt-4"),
        ], className="g-1"))
    return rows


def task_field(spec, task, declared, path, value, errors, offered):
    """A declared field: a select where the product knows the choices (pickers), else text,
    with suggestions where it knows some."""
    options = pickers.select_options(declared.picker, offered, value) if declared.picker else None
    if options is not None:
        return select_field(field_label(declared.label), path, value or BLANK_CHOICE,
                            [(v or BLANK_CHOICE, label) for v, label in options], errors)
    suggested, note, list_id = pickers.suggestions(declared.picker, offered, spec) if declared.picker else (), "", None
    if declared.picker == "chart":
        note = offered.get("chart_note") or ""
    elif declared.picker == "chart_version":          # the versions of the chart in this task's chart field
        suggested, note = chart_picker.version_choices(task.get("chart") or "", offered, spec)
        list_id = chart_picker.version_list_id(path)
    if list_id:
        note = chart_picker.version_note(path, note)
    return text_field(field_label(declared.label), path, value, errors, required=declared.required, multiline=declared.multiline,
                      placeholder=declared.hint or None, suggestions=suggested, suggestions_id=list_id,
                      help_text=note or None)


def task_form(spec, i, j, errors, stored, offered=None):
    stage, p = spec["stages"][i], f"stages[{i}].tasks[{j}]"
    task = stage["tasks"][j]
    kind = task.get("type")
    out = [html.H5(_("Task in stage '{stage}'", stage=stage.get("name"))),
           text_field(_("Task name"), f"{p}.name", task.get("name"), errors, required=True),
           select_field(_("Type"), f"{p}.type", kind if kind in TASK_TYPES else "",
                        ([] if kind in TASK_TYPES else [("", _("choose a type"))]) + type_options(), errors)]
    if kind not in TASK_TYPES:
        return out
    for declared in task_types.get(kind).fields:      # labels, hints and order as models.task_types declares them
        out.append(task_field(spec, task, declared, f"{p}.{declared.name}", task.get(declared.name), errors, offered or {}))
    out += [html.H6(_("Environment variables"), className="mt-3"),
            *env_rows(task, p, errors, stored, stage.get("name")),
            op_button(_("+ Variable"), "add-env"),
            dbc.FormText(_("Secret values are stored encrypted, never shown again, and masked as *** in logs; "
                           "a stored one stays as it is while its value is left empty."), className="d-block")]
    return out


def panel(spec: dict, selected: str | None, errors, stored=(), rev: int = 0, placement=None, offered=None) -> list:
    """The form for the selected node, its controls stamped with the panel revision `rev`;
    `offered`: what the pickers offer (pickers.choices(), read as the editor opened)."""
    ref = parse_node(selected)
    form = None
    try:
        if ref[:1] == ("source",):
            form = source_form(spec, errors)
        elif ref[:1] == ("stage",):
            form = stage_form(spec, ref[1], errors)
        elif ref[:1] == ("task",):
            form = task_form(spec, ref[1], ref[2], errors, set(stored), offered)
    except (IndexError, KeyError, TypeError, AttributeError):
        pass     # the node is gone (undo, YAML edit): fall back to the pipeline's settings
    return _stamp(form or pipeline_form(spec, errors, placement), rev)


def _stamp(node, rev: int):
    if isinstance(node, (list, tuple)):
        for child in node:
            _stamp(child, rev)
        return node
    cid = getattr(node, "id", None)
    if isinstance(cid, dict) and cid.get("type") in (eid.FIELD, eid.TOGGLE):
        node.id = {**cid, "rev": rev}
    label_for = getattr(node, "html_for", None)
    if isinstance(label_for, str) and label_for.startswith("{"):
        node.html_for = eid.dom_id({**json.loads(label_for), "rev": rev})
    _stamp(getattr(node, "children", None) or [], rev)
    return node
