"""The access tokens page (every signed-in user, for their own tokens): create a personal
access token with a name, scopes and an optional expiry; its value is shown once, right
after creation, and never sent again (the list shows its first characters only); the
list says when each was made, expires and was last used; revoking goes through the shared
confirming dialog (dashboard.token_intents). What `run.py token …` does, in the browser,
through models/api_tokens.py, audited with the user's name.
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html, no_update

from dashboard import ids
from dashboard.auth.current import actor
from dashboard.components import card, error_alert, shown_once, time_text
from models import accounts, api_tokens
from models.account_tables import SCOPES
from models.db import utcnow
from models.i18n import N_, _

dash.register_page(__name__, path="/tokens", name="Access tokens",
                   title=lambda **_params: _("Access tokens · Millrace"))

TOKENS_TABLE, TOKENS_FEEDBACK, TOKEN_NAME, TOKEN_SCOPES, TOKEN_EXPIRY, TOKEN_CREATE = (
    "tokens-table", "tokens-feedback", "tokens-new-name", "tokens-new-scopes", "tokens-new-expiry", "tokens-create")
SCOPE_WORDS = {"read": N_("read: see pipelines, runs and logs"), "run": N_("run: run, stop and re-run"),
               "write": N_("write: create, copy, edit, activate and delete"),
               "admin": N_("admin: clusters and administration (administrators)")}


def _state(row, now) -> str:
    if row.revoked_at is not None:
        return _("revoked")
    if row.expires_at is not None and row.expires_at <= now:
        return _("expired")
    return _("active")


def table():
    me, now = accounts.get(actor()), utcnow()
    rows = api_tokens.of(me)
    if not rows:
        return html.P(_("You have no access tokens yet."), className="text-muted")
    head = html.Thead(html.Tr([html.Th(str(word)) for word in (N_("Name"), N_("Scopes"), N_("Created"), N_("Expires"),
                                                            N_("Last used"), N_("State"))] + [html.Th("")]))
    body = []
    for row in rows:
        state = _state(row, now)
        revoke = html.Button(_("Revoke"), id={"type": ids.TOKEN_ACTION, "action": "revoke", "token": row.id},
                             className="btn btn-sm btn-outline-danger", **{"data-action": "revoke"})
        body.append(html.Tr([html.Td([row.name, " ", html.Code(row.prefix + "…", className="text-muted small")]),
                             html.Td(", ".join(s for s in SCOPES if s in api_tokens.implied(row.scope_set))), html.Td(time_text(row.created_at)),
                             html.Td(time_text(row.expires_at) if row.expires_at else _("never")),
                             html.Td(time_text(row.last_used_at) if row.last_used_at else _("never")),
                             html.Td(state, className="token-state"),
                             html.Td(revoke if row.revoked_at is None else "", className="text-end")],
                            **{"data-token": row.name}))
    return dbc.Table([head, html.Tbody(body)], hover=True, responsive=True, size="sm")


def layout(**_params):
    me = accounts.get(actor())
    offered = [s for s in SCOPES if s != "admin" or me.is_admin]       # models/api_tokens refuses admin to others
    form = [dbc.Row([dbc.Col([dbc.Label(_("Name"), html_for=TOKEN_NAME),
                              dbc.Input(id=TOKEN_NAME, placeholder=_("what uses it, e.g. deploy script"))], md=4),
                     dbc.Col([dbc.Label(_("Expires after (days, blank: never)"), html_for=TOKEN_EXPIRY),
                              dbc.Input(id=TOKEN_EXPIRY, type="text", inputMode="numeric")], md=4)], className="mb-2"),
            dbc.Label(_("Scopes (each includes the ones above it)")),
            dbc.Checklist(id=TOKEN_SCOPES, value=["read"],
                          options=[{"label": str(SCOPE_WORDS[s]), "value": s} for s in offered], className="mb-2"),
            dbc.Button(_("Create token"), id=TOKEN_CREATE, color="primary")]
    return html.Div([html.H2(_("Access tokens")),
                     html.P(_("A token lets a script use the API as you, within its scopes: send it as "
                              "'Authorization: Bearer <token>'."), className="text-muted"),
                     html.Div(id=TOKENS_FEEDBACK), html.Div(table(), id=TOKENS_TABLE),
                     card(_("Create a token"), form)])


def expiry_days(text) -> int | None:
    """Blank: never; otherwise a whole number of days (api_tokens checks its range)."""
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(_("token expiry: a whole number of days (from 1 to {high}), or blank for never",
                           high=api_tokens.MAX_EXPIRY_DAYS))
    return int(text)


@callback(Output(TOKENS_FEEDBACK, "children"), Output(TOKENS_TABLE, "children"), Output(TOKEN_NAME, "value"),
          Input(TOKEN_CREATE, "n_clicks"), State(TOKEN_NAME, "value"), State(TOKEN_SCOPES, "value"),
          State(TOKEN_EXPIRY, "value"), prevent_initial_call=True)
def create(_clicks, name, scopes, expiry):
    try:
        row, value = api_tokens.create(accounts.get(actor()), name, scopes or [], expires_days=expiry_days(expiry))
    except (ValueError, LookupError) as exc:
        return error_alert(str(exc)), no_update, no_update
    return (shown_once(_("Token '{name}' created. Copy it now: it is shown only this once.", name=row.name), value,
                       "tokens-value", "token-value"), table(), "")


@callback(Output(TOKENS_TABLE, "children", allow_duplicate=True), Input(ids.ACTION_DONE, "data"),
          prevent_initial_call=True)
def refresh(_done):
    """After the dialog revoked one (and the feedback area said so)."""
    return table()
