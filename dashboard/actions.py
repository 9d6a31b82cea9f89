"""The one dialog that confirms the intents the pages offer (run, stop, re-run, copy,
settings, restore a version, activate, delete); what each asks and does is dashboard.intents'.

Any button whose id is {"type": ROW_ACTION, "action", "pipeline"}, {"type": RUN_ACTION,
"action", "run"} or {"type": TOKEN_ACTION, "action", "token"} (dashboard.token_intents's)
lands here, on whichever page it sits. Actions that start or destroy
something, or need an answer (a name, a timeout), open the dialog first; the others run
at once. Run asks only when there is something to ask: the pipeline's parameters, with
their defaults, to override, or a confirmation for a pipeline that deploys; a deactivated
pipeline is refused before any dialog opens. Every intent goes through models/ with the
actor "dashboard", and a done action bumps ACTION_DONE so the page re-renders without waiting for its poll. The dialog is part
of the shell, so its callbacks (declared on `wiring`) are registered by app.create_app().
"""
from __future__ import annotations

from typing import Any, NamedTuple

import json

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard import ids, token_intents
from dashboard.components import error_alert, ok_alert
from dashboard.intents import IMMEDIATE, describe, perform
from dashboard.wiring import Callbacks
from dashboard.auth.current import may, visible
from models import pipelines
from models.i18n import _
from models.spec import DEFAULT_SCHEDULING_TIMEOUT_MINUTES, SpecError, minutes_problem, minutes_value
from models.tables import Pipeline

wiring = Callbacks()


def dialog() -> html.Div:
    def group(group_id, label, control):
        return html.Div([dbc.Label(label), *(control if isinstance(control, list) else [control])], id=group_id,
                        hidden=True, className="mb-2")

    return html.Div([
        dcc.Store(id=ids.DIALOG_PENDING), dcc.Store(id=ids.ACTION_DONE, data=0),
        dcc.Location(id=ids.REDIRECT, refresh="callback-nav"),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle(id=ids.DIALOG_TITLE)),
            dbc.ModalBody([
                html.P(id=ids.DIALOG_BODY),
                group(ids.DIALOG_SOURCE_GROUP, _("Pipeline to copy"), dbc.Select(id=ids.DIALOG_SOURCE)),
                group(ids.DIALOG_NAME_GROUP, _("New pipeline name"), dbc.Input(id=ids.DIALOG_NAME, type="text")),
                # Text, not type=number: a browser reports a bad number as blank, which would read as "none".
                group(ids.DIALOG_TIMEOUT_GROUP, _("Timeout in minutes (empty: none; runs stop after 14 days)"),
                      [dbc.Input(id=ids.DIALOG_TIMEOUT, type="text", inputMode="numeric"),
                       dbc.FormFeedback(id=ids.DIALOG_TIMEOUT_FEEDBACK, type="invalid")]),
                group(ids.DIALOG_PLACEMENT_GROUP, _("Runs on"), [
                    dbc.Select(id=ids.DIALOG_CLUSTER, className="mb-2"),
                    dbc.Label(_("Scheduling timeout in minutes (empty: {minutes}): how long "
                                "a task may wait for cluster resources; the wait does not count toward the timeout",
                                minutes=DEFAULT_SCHEDULING_TIMEOUT_MINUTES),
                              html_for=ids.DIALOG_SCHEDULING),
                    dbc.Input(id=ids.DIALOG_SCHEDULING, type="text", inputMode="numeric"),
                    dbc.FormFeedback(id=ids.DIALOG_SCHEDULING_FEEDBACK, type="invalid")]),
                group(ids.DIALOG_PARAMS_GROUP, _("Parameters (change a value to override it for this run)"),
                      html.Div(id=ids.DIALOG_PARAMS)),
                html.Div(id=ids.DIALOG_ERROR),
            ]),
            dbc.ModalFooter([dbc.Button(_("Cancel"), id=ids.DIALOG_CANCEL, color="secondary", outline=True),
                             dbc.Button(_("Confirm"), id=ids.DIALOG_CONFIRM, color="primary")]),
        ], id=ids.DIALOG, is_open=False),
    ])


def _message(exc: Exception) -> str:
    if isinstance(exc, SpecError):
        return "; ".join(f"{path}: {msg}" if path else str(msg) for path, msg in exc.errors)   # a msg may be a Msg
    return str(exc)


class Dialog(NamedTuple):
    """What `ask` answers: one field per output of the dialog, in the order of DIALOG_OUTPUTS
    (which holds each field's Output). A field left out stays as the page has it."""
    is_open: Any = no_update
    title: Any = no_update
    body: Any = no_update
    pending: Any = no_update            # the action confirm() carries out: {"action", "pipeline", "run"}
    name: Any = no_update
    name_hidden: Any = no_update
    sources: Any = no_update            # the pipelines to copy from
    source: Any = no_update
    source_hidden: Any = no_update
    timeout: Any = no_update
    timeout_hidden: Any = no_update
    clusters: Any = no_update           # where the pipeline may run
    cluster: Any = no_update
    scheduling: Any = no_update
    placement_hidden: Any = no_update
    timeout_invalid: Any = no_update    # the timeout fields' marks, cleared when the dialog opens
    scheduling_invalid: Any = no_update
    params: Any = no_update             # the run's parameter fields
    params_hidden: Any = no_update
    confirm_label: Any = no_update
    confirm_colour: Any = no_update
    error: Any = no_update              # the dialog's own error line
    feedback: Any = no_update           # the page's feedback area
    done: Any = no_update               # ACTION_DONE, bumped when an action was carried out


DIALOG_OUTPUTS = Dialog(
    is_open=Output(ids.DIALOG, "is_open", allow_duplicate=True), title=Output(ids.DIALOG_TITLE, "children"),
    body=Output(ids.DIALOG_BODY, "children"), pending=Output(ids.DIALOG_PENDING, "data"),
    name=Output(ids.DIALOG_NAME, "value"), name_hidden=Output(ids.DIALOG_NAME_GROUP, "hidden"),
    sources=Output(ids.DIALOG_SOURCE, "options"), source=Output(ids.DIALOG_SOURCE, "value"),
    source_hidden=Output(ids.DIALOG_SOURCE_GROUP, "hidden"), timeout=Output(ids.DIALOG_TIMEOUT, "value"),
    timeout_hidden=Output(ids.DIALOG_TIMEOUT_GROUP, "hidden"), clusters=Output(ids.DIALOG_CLUSTER, "options"),
    cluster=Output(ids.DIALOG_CLUSTER, "value"), scheduling=Output(ids.DIALOG_SCHEDULING, "value"),
    placement_hidden=Output(ids.DIALOG_PLACEMENT_GROUP, "hidden"),
    timeout_invalid=Output(ids.DIALOG_TIMEOUT, "invalid", allow_duplicate=True),
    scheduling_invalid=Output(ids.DIALOG_SCHEDULING, "invalid", allow_duplicate=True),
    params=Output(ids.DIALOG_PARAMS, "children"), params_hidden=Output(ids.DIALOG_PARAMS_GROUP, "hidden"),
    confirm_label=Output(ids.DIALOG_CONFIRM, "children"), confirm_colour=Output(ids.DIALOG_CONFIRM, "color"),
    error=Output(ids.DIALOG_ERROR, "children", allow_duplicate=True),
    feedback=Output(ids.FEEDBACK, "children", allow_duplicate=True),
    done=Output(ids.ACTION_DONE, "data", allow_duplicate=True))


@wiring.callback(*DIALOG_OUTPUTS, Input({"type": ids.ROW_ACTION, "action": ALL, "pipeline": ALL}, "n_clicks"),
                 Input({"type": ids.RUN_ACTION, "action": ALL, "run": ALL}, "n_clicks"),
                 Input({"type": ids.TOKEN_ACTION, "action": ALL, "token": ALL}, "n_clicks"), State(ids.ACTION_DONE, "data"),
                 prevent_initial_call=True)
def ask(_row_clicks, _run_clicks, _token_clicks, done) -> Dialog:
    # Buttons re-rendered by a poll fire with n_clicks None: only a real click counts.
    if not ctx.triggered or not ctx.triggered[0]["value"]:
        return Dialog()
    target = ctx.triggered_id
    # "settings@card": a second button for the same action on one page (ids must be unique).
    pending = {"action": target["action"].split("@")[0], "pipeline": target.get("pipeline"), "run": target.get("run"),
               "token": target.get("token")}
    if pending["action"].startswith("restore:"):        # "restore:<version>", from the version history
        pending["action"], pending["restore"] = pending["action"].split(":")
    if pending["action"] in IMMEDIATE:
        try:
            message, _go_to = perform(pending)
            return Dialog(feedback=ok_alert(message), done=(done or 0) + 1)
        except Exception as exc:  # the model's words go to the user; nothing was changed
            return Dialog(feedback=error_alert(_message(exc)))
    try:
        d = (token_intents.describe(pending) if pending["token"] else
             describe(pending["action"], pending["pipeline"], pending["run"], pending.get("restore")))
        if d.get("immediate"):
            message, _go_to = perform(pending)
            return Dialog(feedback=ok_alert(message), done=(done or 0) + 1)
    except Exception as exc:
        return Dialog(feedback=error_alert(_message(exc)))
    if d.get("refuse"):
        return Dialog(feedback=error_alert(str(d["refuse"])))
    pending.update(version=d.get("version"), params=d.get("params"))
    sources = ([{"label": p.name, "value": str(p.id)} for p in visible(pipelines.live(), Pipeline).order_by(Pipeline.name)
                if may("copy", p)] if d.get("source") else [])
    return Dialog(is_open=True, title=d["title"], body=d["text"], pending=pending,
                  name=d.get("name", ""), name_hidden="name" not in d,
                  sources=sources, source=sources[0]["value"] if sources else None, source_hidden=not d.get("source"),
                  timeout=d.get("timeout"), timeout_hidden="timeout" not in d,
                  clusters=d.get("clusters", []), cluster=d.get("cluster"), scheduling=d.get("scheduling"),
                  placement_hidden="clusters" not in d, timeout_invalid=False, scheduling_invalid=False,
                  params=parameter_fields(d.get("params") or {}), params_hidden=not d.get("params"),
                  confirm_label=d["confirm"], confirm_colour=d["colour"], error=None)


def parameter_fields(params: dict) -> list:
    """One field per parameter of the pipeline, holding its default."""
    out = []
    for name, default in params.items():
        pid = {"type": ids.DIALOG_PARAM, "name": name}
        out.append(html.Div([dbc.Label(html.Code(name), html_for=json.dumps(pid, sort_keys=True, separators=(",", ":")),
                                       className="mb-0"),
                             dbc.Input(id=pid, type="text", value=default, size="sm")], className="mb-2"))
    return out


def _minutes_marks(pending, timeout, scheduling) -> tuple:
    """The advanced settings' minutes fields checked with the editor's own rule (models.spec)."""
    if pending.get("action") != "settings":
        return None, None
    found = minutes_problem(minutes_value(timeout)), minutes_problem(minutes_value(scheduling))
    return tuple(str(problem) if problem else None for problem in found)     # a Msg, said in the reader's language


PARAM_ALL = {"type": ids.DIALOG_PARAM, "name": ALL}


@wiring.callback(Output(ids.DIALOG, "is_open"), Output(ids.DIALOG_ERROR, "children"), Output(ids.FEEDBACK, "children"),
                 Output(ids.ACTION_DONE, "data"), Output(ids.REDIRECT, "href"),
                 Output(ids.DIALOG_TIMEOUT, "invalid"), Output(ids.DIALOG_TIMEOUT_FEEDBACK, "children"),
                 Output(ids.DIALOG_SCHEDULING, "invalid"), Output(ids.DIALOG_SCHEDULING_FEEDBACK, "children"),
                 Input(ids.DIALOG_CONFIRM, "n_clicks"), Input(ids.DIALOG_CANCEL, "n_clicks"),
                 State(ids.DIALOG_PENDING, "data"), State(ids.DIALOG_NAME, "value"), State(ids.DIALOG_SOURCE, "value"),
                 State(ids.DIALOG_TIMEOUT, "value"), State(ids.DIALOG_CLUSTER, "value"),
                 State(ids.DIALOG_SCHEDULING, "value"), State(PARAM_ALL, "id"), State(PARAM_ALL, "value"),
                 State(ids.ACTION_DONE, "data"), prevent_initial_call=True)
def confirm(_ok, _cancel, pending, name, source, timeout, cluster, scheduling, param_ids, param_values, done):
    fine = (False, "", False, "")
    if ctx.triggered_id == ids.DIALOG_CANCEL or not pending:
        return False, None, no_update, no_update, no_update, *fine
    bad_timeout, bad_scheduling = _minutes_marks(pending, timeout, scheduling)
    if bad_timeout or bad_scheduling:      # said on the field; nothing is stored
        return True, None, no_update, no_update, no_update, bool(bad_timeout), bad_timeout or "", \
            bool(bad_scheduling), bad_scheduling or ""
    placement = {"cluster": cluster, "scheduling": scheduling} if pending.get("action") == "settings" else None
    defaults = pending.get("params") or {}
    overrides = {i["name"]: "" if v is None else str(v) for i, v in zip(param_ids or [], param_values or [])
                 if i["name"] in defaults and ("" if v is None else str(v)) != defaults[i["name"]]}
    try:
        message, go_to = (token_intents.perform(pending) if pending.get("token") else
                          perform(pending, name, source, timeout, placement, overrides))
    except Exception as exc:  # keep the dialog open with the reason, as the model said it
        return True, error_alert(_message(exc)), no_update, no_update, no_update, *fine
    return False, None, ok_alert(message), (done or 0) + 1, go_to or no_update, *fine
