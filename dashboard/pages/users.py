"""The users page (administrators): every user with their roles and last sign-in; add a user
(a random password, shown once, to be changed at the first sign-in), reset a password,
disable or enable. What `run.py user …` does, in the browser; every change through
models/accounts.py, audited with the administrator's name. The gate refuses this module's
callbacks to anyone else (dashboard/auth/callback_rules.py).
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, html, no_update

from dashboard.auth.current import actor, may
from dashboard.components import card, error_alert, ok_alert, shown_once, time_text
from models import accounts, projects
from models.i18n import _

dash.register_page(__name__, path="/users", name="Users", title=lambda **_params: _("Users · Millrace"))

USERS_TABLE, USERS_FEEDBACK, USER_NAME, USER_ADMIN, USER_ADD = (
    "users-table", "users-feedback", "users-new-name", "users-new-admin", "users-add")
USER_ACTION = "users-action"          # {"type": USER_ACTION, "action": reset|disable|enable, "user": name}


def _button(label: str, action: str, name: str, colour: str) -> html.Button:
    return html.Button(label, id={"type": USER_ACTION, "action": action, "user": name},
                       className=f"btn btn-sm btn-outline-{colour} me-1", **{"data-action": action})


def table():
    head = html.Thead(html.Tr([html.Th(_("User")), html.Th(_("Administrator")), html.Th(_("Projects")),
                               html.Th(_("Last sign-in")), html.Th("")]))
    body = []
    for u in accounts.all_users():
        roles = ", ".join(f"{p}: {r}" for p, r in sorted(projects.roles_of(u).items())) or "–"
        state = [_button(_("Reset password"), "reset", u.username, "secondary"),
                 _button(_("Disable"), "disable", u.username, "danger") if u.is_active
                 else _button(_("Enable"), "enable", u.username, "success")]
        body.append(html.Tr([html.Td([u.username, "" if u.is_active else html.Span(_(" (disabled)"),
                                                                                   className="text-muted")]),
                             html.Td(_("yes") if u.is_admin else "–"), html.Td(roles),
                             html.Td(time_text(u.last_login_at) if u.last_login_at else "–"),
                             html.Td(state, className="text-nowrap text-end")], **{"data-user": u.username}))
    return dbc.Table([head, html.Tbody(body)], hover=True, responsive=True, size="sm")


def layout(**_params):
    if not may("admin"):
        return error_alert(_("Only administrators can manage users."))
    form = [dbc.Row([dbc.Col(dbc.Input(id=USER_NAME, placeholder=_("username")), md=4),
                     dbc.Col(dbc.Checkbox(id=USER_ADMIN, value=False, label=_("administrator")), md=3),
                     dbc.Col(dbc.Button(_("Add user"), id=USER_ADD, color="primary"), md=3)]),
            html.P(_("Roles in projects are set on the Projects page."),
                   className="small text-muted mt-2 mb-0")]
    return html.Div([html.H2(_("Users")), html.Div(id=USERS_FEEDBACK), html.Div(table(), id=USERS_TABLE),
                     card(_("Add a user"), form)])


def _shown_once(message: str, password: str) -> dbc.Alert:
    return shown_once(message, password, "users-password", "user-password")


@callback(Output(USERS_FEEDBACK, "children"), Output(USERS_TABLE, "children"), Output(USER_NAME, "value"),
          Input(USER_ADD, "n_clicks"), State(USER_NAME, "value"), State(USER_ADMIN, "value"), prevent_initial_call=True)
def add(_clicks, name, admin):
    import secrets as random
    password = random.token_urlsafe(12)
    try:
        user = accounts.create((name or "").strip(), password, actor(), is_admin=bool(admin))
    except (ValueError, LookupError) as exc:
        return error_alert(str(exc)), no_update, no_update
    return (_shown_once(_("User '{name}' added. Their password (shown once; they choose a new one at the first "
                          "sign-in):", name=user.username), password), table(), "")


@callback(Output(USERS_FEEDBACK, "children", allow_duplicate=True), Output(USERS_TABLE, "children", allow_duplicate=True),
          Input({"type": USER_ACTION, "action": ALL, "user": ALL}, "n_clicks"), prevent_initial_call=True)
def act(clicks):
    if not ctx.triggered_id or not any(clicks):
        return no_update, no_update
    action, name = ctx.triggered_id["action"], ctx.triggered_id["user"]
    try:
        if action == "reset":
            password = accounts.reset_password(name, actor())
            return _shown_once(_("New password for '{name}' (shown once; to be changed at the next sign-in):",
                                 name=name), password), table()
        accounts.set_active(name, action == "enable", actor())
    except (ValueError, LookupError) as exc:
        return error_alert(str(exc)), no_update
    return ok_alert(_("'{name}' is enabled.", name=name) if action == "enable"
                    else _("'{name}' is disabled and signed out.", name=name)), table()
