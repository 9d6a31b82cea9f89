"""Settings (`/settings`): container registries (add, make default, remove with
confirmation), the chart repository (an OCI path or an HTTP repository URL, and whose
credentials it uses), and the daemon's settings (task slots, container runtime and network
for local run-script tasks, the kaniko image, the checkout time limit).

Every change goes through models/ (registries, daemon_state) as the actor "dashboard";
a model's refusal is shown on the field it concerns. A registry password is taken from
its field, sealed by the model, and the field is emptied: it is never rendered back.
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard import ids, registry_check, settings_forms as forms
from dashboard.components import card, error_alert, ok_alert
from models import daemon_state, i18n, registries
from models.i18n import _

dash.register_page(__name__, path="/settings", name="Settings", title=lambda **_params: _("Settings · Millrace"))

ACTOR = "dashboard"
REGISTRY_CONTROLS = tuple(ids.REGISTRY_ERRORS)   # every control the add form can mark with its error


def layout(**_params):
    return html.Div([
        html.H2(_("Settings")),
        html.Div(id=ids.SETTINGS_FEEDBACK),
        card(_("Container registries"), [html.Div(forms.registries_table(forms.registry_rows()),
                                                  id=ids.REGISTRIES_TABLE),
                                         html.H6(_("Add a registry"), className="mt-3"), *forms.registry_form()],
             className="registries-card"),
        card(_("Chart repository"), forms.chart_repo_form(), className="chart-repo-card"),
        card(_("Daemon"), forms.daemon_form(), className="daemon-settings-card"),
        dbc.Modal([dbc.ModalHeader(dbc.ModalTitle(_("Remove registry"))), dbc.ModalBody(id=ids.REGISTRY_DIALOG_BODY),
                   dbc.ModalFooter([dbc.Button(_("Cancel"), id=ids.REGISTRY_DIALOG_CANCEL, color="secondary",
                                               outline=True),
                                    dbc.Button(_("Remove"), id=ids.REGISTRY_DIALOG_CONFIRM, color="danger")])],
                  id=ids.REGISTRY_DIALOG, is_open=False),
        dcc.Store(id=ids.REGISTRY_PENDING), dcc.Store(id=ids.SETTINGS_CHANGED, data=0),
    ])


@callback(Output(ids.REGISTRIES_TABLE, "children"), Output(ids.CHART_REPO_REGISTRY, "options"),
          Output(ids.CHART_REPO_CURRENT, "children"), Input(ids.SETTINGS_CHANGED, "data"), prevent_initial_call=True)
def refresh(_changed):
    return forms.registries_table(forms.registry_rows()), forms.chart_registry_options(), forms.chart_repo_text()


REGISTRY_MARKS = [o for c in REGISTRY_CONTROLS for o in (Output(c, "invalid"), Output(ids.REGISTRY_ERRORS[c], "children"))]


@callback(Output(ids.SETTINGS_FEEDBACK, "children", allow_duplicate=True),
          Output(ids.SETTINGS_CHANGED, "data", allow_duplicate=True), *REGISTRY_MARKS,
          *(Output(c, "value") for c in (ids.REGISTRY_NAME, ids.REGISTRY_URL, ids.REGISTRY_USERNAME,
                                         ids.REGISTRY_PASSWORD, ids.REGISTRY_CA)),
          Input(ids.REGISTRY_ADD, "n_clicks"),
          State(ids.REGISTRY_NAME, "value"), State(ids.REGISTRY_URL, "value"), State(ids.REGISTRY_USERNAME, "value"),
          State(ids.REGISTRY_PASSWORD, "value"), State(ids.REGISTRY_INSECURE, "value"), State(ids.REGISTRY_CA, "value"),
          State(ids.REGISTRY_DEFAULT, "value"), State(ids.SETTINGS_CHANGED, "data"), State(ids.REGISTRY_ANYWAY, "value"),
          prevent_initial_call=True)
def add_registry(_clicks, name, url, username, password, insecure, ca_cert, make_default, changed, anyway=False):
    name = (name or "").strip() or forms.default_name(url)
    try:
        if not anyway and registries.URL.match((url or "").strip().rstrip("/")):
            problem = registry_check.unreachable((url or "").strip().rstrip("/"), bool(insecure), (ca_cert or "").strip())
            if problem:
                raise ValueError(problem)
        row = registries.add(name, url or "", ACTOR, username=(username or "").strip(), password=password or "",
                             insecure=bool(insecure), ca_cert=(ca_cert or "").strip(), make_default=bool(make_default))
    except ValueError as exc:
        # Which field it concerns, from the model's English words (the shown text may be Chinese).
        where = forms.registry_error_control(i18n.english(exc.args[0]) if exc.args else "")
        marks = [x for c in REGISTRY_CONTROLS for x in (c == where, str(exc) if c == where else "")]
        # the fields keep what was typed (the password too, so it is not lost while the name is fixed)
        return (None if where else error_alert(str(exc)), no_update, *marks, *(no_update,) * 5)
    message = (_("Registry '{name}' added ({url}), the default registry.", name=row.name, url=row.url)
               if row.is_default else _("Registry '{name}' added ({url}).", name=row.name, url=row.url))
    return (ok_alert(message), (changed or 0) + 1, *[x for _c in REGISTRY_CONTROLS for x in (False, "")],
            "", "", "", "", "")


@callback(Output(ids.REGISTRY_DIALOG, "is_open"), Output(ids.REGISTRY_DIALOG_BODY, "children"),
          Output(ids.REGISTRY_PENDING, "data"), Output(ids.SETTINGS_FEEDBACK, "children", allow_duplicate=True),
          Output(ids.SETTINGS_CHANGED, "data", allow_duplicate=True),
          Input({"type": ids.REGISTRY_ACTION, "action": ALL, "registry": ALL}, "n_clicks"),
          State(ids.SETTINGS_CHANGED, "data"), prevent_initial_call=True)
def row_action(clicks, changed):
    if not ctx.triggered_id or not any(clicks):
        return (no_update,) * 5
    action, name = ctx.triggered_id["action"], ctx.triggered_id["registry"]
    try:
        if action == "default":
            registries.set_default(name, ACTOR)
            return no_update, no_update, no_update, ok_alert(_("'{name}' is now the default registry.", name=name)), (changed or 0) + 1
        row = registries.get(name)
    except LookupError as exc:
        return no_update, no_update, no_update, error_alert(str(exc)), (changed or 0) + 1
    text = [html.P([_("Remove registry '{name}' ({url})? Its stored credentials are deleted; images already "
                      "pushed stay in the registry.", name=name, url=row.url)])]
    if row.is_default:
        text.append(dbc.Alert(_("It is the default registry: make another one the default, or tasks that name no "
                                "registry will fail."), color="warning", className="registry-remove-warning"))
    return True, text, name, no_update, no_update


@callback(Output(ids.REGISTRY_DIALOG, "is_open", allow_duplicate=True),
          Output(ids.SETTINGS_FEEDBACK, "children", allow_duplicate=True),
          Output(ids.SETTINGS_CHANGED, "data", allow_duplicate=True),
          Input(ids.REGISTRY_DIALOG_CONFIRM, "n_clicks"), Input(ids.REGISTRY_DIALOG_CANCEL, "n_clicks"),
          State(ids.REGISTRY_PENDING, "data"), State(ids.SETTINGS_CHANGED, "data"), prevent_initial_call=True)
def confirm_remove(_confirm, _cancel, name, changed):
    if ctx.triggered_id != ids.REGISTRY_DIALOG_CONFIRM or not name:
        return False, no_update, no_update
    try:
        registries.remove(name, ACTOR)
    except (LookupError, ValueError) as exc:
        return False, error_alert(str(exc)), (changed or 0) + 1
    return False, ok_alert(_("Registry '{name}' removed.", name=name)), (changed or 0) + 1


@callback(Output(ids.SETTINGS_FEEDBACK, "children", allow_duplicate=True),
          Output(ids.SETTINGS_CHANGED, "data", allow_duplicate=True),
          Output(ids.CHART_REPO_URL, "invalid"), Output(ids.CHART_REPO_URL_ERROR, "children"),
          Input(ids.CHART_REPO_SAVE, "n_clicks"), State(ids.CHART_REPO_URL, "value"),
          State(ids.CHART_REPO_REGISTRY, "value"), State(ids.SETTINGS_CHANGED, "data"), prevent_initial_call=True)
def save_chart_repo(_clicks, url, registry_name, changed):
    try:
        repo = registries.set_chart_repository(url or "", ACTOR, None if registry_name in (forms.BY_HOST, None, "")
                                               else registry_name)
    except registries.NotFound as exc:      # the registry went away meanwhile
        return error_alert(str(exc)), (changed or 0) + 1, False, ""
    except ValueError as exc:
        return None, no_update, True, str(exc)
    return ok_alert(_("Chart repository set to {url}.", url=repo.url)), (changed or 0) + 1, False, ""


@callback(Output(ids.SETTINGS_FEEDBACK, "children", allow_duplicate=True),
          Output(ids.DAEMON_TASK_SLOTS, "invalid"), Output(ids.DAEMON_TASK_SLOTS_ERROR, "children"),
          Output(ids.DAEMON_NETWORK, "invalid"), Output(ids.DAEMON_NETWORK_ERROR, "children"),
          Output(ids.DAEMON_KANIKO, "invalid"), Output(ids.DAEMON_KANIKO_ERROR, "children"),
          Input(ids.DAEMON_SAVE, "n_clicks"), State(ids.DAEMON_TASK_SLOTS, "value"), State(ids.DAEMON_RUNTIME, "value"),
          State(ids.DAEMON_NETWORK, "value"), State(ids.DAEMON_KANIKO, "value"),
          State(ids.DAEMON_CHECKOUT_TIMEOUT, "value"), State(ids.DAEMON_LOG_CAP, "value"), prevent_initial_call=True)
def save_daemon(_clicks, task_slots, runtime, network, kaniko_image, checkout_timeout=None, log_cap=None):
    """Store every daemon setting, or none of them when one is refused (mark_checkout_timeout
    and mark_log_cap put those two refusals on their fields; None there: left as stored)."""
    task_slots, network, kaniko_image = str(task_slots or "").strip(), (network or "").strip(), (kaniko_image or "").strip()
    checkout_timeout = None if checkout_timeout is None else str(checkout_timeout).strip()
    log_cap = None if log_cap is None else str(log_cap).strip()
    runtime = "" if runtime in (forms.NO_RUNTIME, None) else runtime
    limit = {} if checkout_timeout is None else {"checkout_timeout": checkout_timeout}
    if log_cap is not None:
        limit["log_cap"] = log_cap
    errors = forms.daemon_errors(task_slots, network, kaniko_image, **limit)
    marks = (ids.DAEMON_TASK_SLOTS in errors, errors.get(ids.DAEMON_TASK_SLOTS, ""),
             ids.DAEMON_NETWORK in errors, errors.get(ids.DAEMON_NETWORK, ""),
             ids.DAEMON_KANIKO in errors, errors.get(ids.DAEMON_KANIKO, ""))
    if errors:
        return None, *marks
    changes = [("task_slots", task_slots), ("container_runtime", runtime or ""),
               ("container_network", network), ("kaniko_image", kaniko_image)]
    if checkout_timeout is not None:
        changes.append(("checkout_timeout_minutes", checkout_timeout))
    if log_cap is not None:
        changes.append(("log_cap_mb", log_cap))
    try:
        for key, value in changes:
            daemon_state.set_setting(key, value, ACTOR)
    except (KeyError, ValueError) as exc:
        return error_alert(str(exc)), *marks
    limit = daemon_state.get_setting("checkout_timeout_minutes")
    scripts = _("scripts run in their image with {runtime}", runtime=runtime) if runtime else \
        _("scripts run on the shell")
    return ok_alert(_("Daemon settings saved: {slots} task slots, {scripts}, network {network}, checkouts limited to "
                      "{limit} minutes, task logs kept up to {cap} MB.", slots=task_slots, scripts=scripts,
                      network=network, limit=limit, cap=daemon_state.get_setting("log_cap_mb"))), *marks


@callback(Output(ids.DAEMON_CHECKOUT_TIMEOUT, "invalid"), Output(ids.DAEMON_CHECKOUT_TIMEOUT_ERROR, "children"),
          Input(ids.DAEMON_SAVE, "n_clicks"), State(ids.DAEMON_CHECKOUT_TIMEOUT, "value"), prevent_initial_call=True)
def mark_checkout_timeout(_clicks, checkout_timeout):
    """The checkout limit's own field mark on Save (a callback of its own, so save_daemon's
    outputs stay as they were); save_daemon refuses to store anything while it is marked."""
    problem = daemon_state.checkout_timeout_problem(str(checkout_timeout or "").strip())
    return bool(problem), str(problem or "")


@callback(Output(ids.DAEMON_LOG_CAP, "invalid"), Output(ids.DAEMON_LOG_CAP_ERROR, "children"),
          Input(ids.DAEMON_SAVE, "n_clicks"), State(ids.DAEMON_LOG_CAP, "value"), prevent_initial_call=True)
def mark_log_cap(_clicks, log_cap):
    """The log cap's own field mark on Save (as mark_checkout_timeout): the model's check,
    the one `run.py settings log_cap_mb` applies too."""
    problem = daemon_state.log_cap_problem(str(log_cap if log_cap is not None else "").strip())
    return bool(problem), str(problem or "")
