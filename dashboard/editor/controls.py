"""The side panel's building blocks: a labelled field that shows its error, a select, an
operation button, and the stage and task button bars.

Every control's id carries its field path (ids.field), and an error for that path
shows on it (invalid + message). The button bars stay in the page and are only shown or
hidden for the selected kind of node, with the moves that are impossible disabled.
"""
from __future__ import annotations

import re

import dash_bootstrap_components as dbc
from dash import html

from dashboard.editor import ids as eid
from dashboard.editor.values import to_widget
from dashboard.graph import parse_node
from models.i18n import N_, Msg

# Labels are Msgs: the bars are built per page view, in the reader's language (op_button str()s them).
STAGE_OPS = ((N_("+ Stage after"), "add-stage-after", "primary"), (N_("+ Task"), "add-task", "primary"),
             (N_("Copy stage"), "copy-stage", "secondary"), (N_("← Move left"), "stage-left", "secondary"),
             (N_("Move right →"), "stage-right", "secondary"), (N_("Delete stage"), "delete-stage", "danger"))
TASK_OPS = ((N_("Copy task"), "copy-task", "secondary"), (N_("↑ Move up"), "task-up", "secondary"),
            (N_("↓ Move down"), "task-down", "secondary"), (N_("Delete task"), "delete-task", "danger"))


def error_for(errors, path: str) -> str | None:
    return next((m for p, m in errors or () if p == path), None)


def text_field(label, path, value, errors, *, required=False, multiline=False, placeholder=None, help_text=None,
               input_type="text", numeric=False, suggestions=(), suggestions_id=None):
    """`suggestions`: values offered in a list under the field; anything else may still be typed.
    `suggestions_id`: the list's own id, for a callback that rewrites it (then present even when empty)."""
    message = error_for(errors, path)
    props = dict(id=eid.field(path), value=to_widget(path, value), invalid=bool(message),
                 placeholder=placeholder or "")
    if numeric:     # text, not type=number: a browser reports bad numbers as blank, which reads as "none"
        props["inputMode"] = "numeric"
    offered = None
    if (suggestions or suggestions_id) and not multiline:
        list_id = suggestions_id or "suggest-" + re.sub(r"[^A-Za-z0-9_-]", "-", path)   # Dash ids may not hold "."
        props["list"] = eid.dom_id(list_id)
        offered = html.Datalist([html.Option(value=v) for v in suggestions], id=list_id)
    control = (dbc.Textarea(rows=6 if path.endswith("script") else 3, className="font-monospace", **props)
               if multiline else dbc.Input(type=input_type, **props))
    return html.Div([dbc.Label([label, html.Span(" *", className="text-danger") if required else None],
                               html_for=eid.dom_id(eid.field(path))),
                     control, offered, dbc.FormFeedback(message or "", id=eid.feedback(path), type="invalid"),
                     dbc.FormText(help_text) if help_text else None], className="mb-2")


def select_field(label, path, value, options, errors):
    message = error_for(errors, path)
    return html.Div([dbc.Label(label), dbc.Select(id=eid.field(path), value=value, invalid=bool(message),
                                                  options=[{"label": t, "value": v} for v, t in options]),
                     dbc.FormFeedback(message or "", id=eid.feedback(path), type="invalid")], className="mb-2")


def op_button(label, name, colour="secondary", **kwargs):
    return dbc.Button(str(label) if isinstance(label, Msg) else label, id=eid.op(name), color=colour, outline=colour != "primary", size="sm",
                      className="me-1 mb-1", **kwargs)


def toolbars() -> list:
    """The stage and task buttons. They stay in the page (shown for the selected kind of node)
    rather than being rebuilt with each form, so a quick second click is never lost."""
    return [html.Div([op_button(*b) for b in STAGE_OPS], id=eid.STAGE_TOOLBAR, style={"display": "none"}),
            html.Div([op_button(*b) for b in TASK_OPS], id=eid.TASK_TOOLBAR, style={"display": "none"})]


def toolbar_state(spec: dict, selected: str | None) -> dict:
    """Which toolbar shows, and which moves are possible, for the selected node."""
    ref, hidden = parse_node(selected), {"display": "none"}
    out = {"stage": hidden, "task": hidden, "stage-left": True, "stage-right": True, "task-up": True, "task-down": True}
    stages = spec.get("stages") or []
    if ref[:1] == ("stage",) and ref[1] < len(stages):
        out.update(stage={}, **{"stage-left": ref[1] == 0, "stage-right": ref[1] == len(stages) - 1})
    elif ref[:1] == ("task",) and ref[1] < len(stages) and ref[2] < len(stages[ref[1]].get("tasks") or []):
        count = len(stages[ref[1]]["tasks"])
        out.update(task={}, **{"task-up": ref[2] == 0, "task-down": ref[2] == count - 1})
    return out
