"""The pieces of the Code repositories page for one forge (GitHub or GitLab): what to paste
into the forge's "new OAuth application" form, the form that registers the application and
starts the flow, the signed-in user's accounts with their state, and the notice the OAuth
flow came back with (dashboard/forge_oauth.py). Secrets are never rendered: the client
secret input always starts empty."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.components import card, error_alert, field, time_text
from dashboard.forge_oauth import callback_url
from models import account_settings, forge_accounts, forge_kinds
from models.errors import NotFound
from models.forge_accounts import State
from models.i18n import N_, _

STATE_WORDS = {State.PENDING: (N_("not authorised yet"), "secondary"),
               State.CONNECTED: (N_("connected"), "success"),
               State.NEEDS_REAUTHORISATION: (N_("needs re-authorisation"), "warning")}
APP_FORM = {forge_kinds.GITHUB: N_("On GitHub: Settings → Developer settings → OAuth Apps → New OAuth App."),
            forge_kinds.GITLAB: N_("On GitLab: Preferences → Applications → Add new application (confidential), "
                                   "with the scopes below.")}


def _copyable(label: str, value: str, kind: str, forge: str) -> html.Div:
    return field(label, html.Code(value, id={"type": ids.REPOS_COPY, "what": kind, "forge": forge},
                                  className=f"repos-{kind}"))


def setup_card(forge: str) -> dbc.Card:
    """What to paste into the forge, and the form that takes the application back."""
    def fid(kind):
        return {"type": kind, "forge": forge}

    return card(_("Connect a {forge} account", forge=forge_kinds.LABELS[forge]), [
        html.P(str(APP_FORM[forge]), className="small"),
        _copyable(_("Homepage URL"), account_settings.public_url(), "homepage", forge),
        _copyable(_("Authorization callback URL"), callback_url(forge), "callback", forge),
        _copyable(_("Scopes"), forge_kinds.SCOPES[forge], "scopes", forge),
        dbc.Row([dbc.Col([dbc.Label(_("Client ID"), html_for=str(fid(ids.REPOS_CLIENT_ID))),
                          dbc.Input(id=fid(ids.REPOS_CLIENT_ID), type="text", autoComplete="off", className="repos-client-id")], md=6),
                 dbc.Col([dbc.Label(_("Client secret"), html_for=str(fid(ids.REPOS_CLIENT_SECRET))),
                          dbc.Input(id=fid(ids.REPOS_CLIENT_SECRET), type="password", autoComplete="new-password",
                                    className="repos-client-secret")],
                         md=6)], className="mt-3"),
        dbc.Checkbox(id=fid(ids.REPOS_PRIVATE), value=False, className="mt-2 repos-private",
                     label=_("Private instance (GitHub Enterprise)") if forge == forge_kinds.GITHUB
                     else _("Private instance (self-hosted GitLab 9.0 or later)")),
        dbc.Input(id=fid(ids.REPOS_INSTANCE_URL), type="url", className="mt-1 repos-instance-url",
                  placeholder="https://github.example.com" if forge == forge_kinds.GITHUB
                  else "https://gitlab.example.com"),
        dbc.FormText(_("Its web address; the API address is derived from it (/api/v3 or /api/v4).")),
        html.Div(dbc.Button(_("Connect"), id=fid(ids.REPOS_CONNECT), color="primary", className="repos-connect"), className="mt-3"),
        html.Div(id=fid(ids.REPOS_FORM_FEEDBACK), className="mt-2 repos-form-feedback"),
        dcc.Location(id=fid(ids.REPOS_GO), refresh=True),
    ], className=f"mt-3 repos-setup repos-setup-{forge}")


def accounts_table(owner: str, forge: str):
    rows = [a for a in forge_accounts.visible(owner) if a.forge == forge]
    if not rows:
        return html.P(_("No {forge} account connected yet.", forge=forge_kinds.LABELS[forge]),
                      className="text-muted repos-none")
    head = html.Thead(html.Tr([html.Th(_("Account")), html.Th(_("Instance")), html.Th(_("State")),
                               html.Th(_("Connected")), html.Th("")]))
    body = []
    for a in rows:
        word, colour = STATE_WORDS[State(a.state)]
        actions = []
        if a.state != State.CONNECTED:
            actions.append(html.A(_("Re-authorise") if a.state == State.NEEDS_REAUTHORISATION else _("Authorise"),
                                  href=f"/repository/{a.forge}/start/{a.id}",
                                  className="btn btn-sm btn-outline-primary me-1 repos-reauthorise"))
        actions.append(html.Button(_("Deregister"), id={"type": ids.REPOS_ACTION, "action": "deregister",
                                                        "account": a.id},
                                   className="btn btn-sm btn-outline-danger repos-deregister"))
        body.append(html.Tr([
            html.Td([html.Strong(a.login or "–"), html.Div(a.shown_error, className="small text-danger repos-error")
                     if a.last_error else None]),
            html.Td(a.base_url), html.Td(dbc.Badge(str(word), color=colour, className="repos-state")),
            html.Td(time_text(a.connected_at) if a.connected_at else "–"),
            html.Td(actions, className="text-nowrap text-end")], **{"data-account": str(a.id), "data-state": a.state}))
    return dbc.Table([head, html.Tbody(body)], hover=True, responsive=True, size="sm")


def notice(owner: str, forge: str, code: str | None, account_id) -> html.Div | None:
    """The words for how the OAuth flow ended (its `notice` query parameter)."""
    return html.Div(_notice(owner, forge, code, account_id), className="repos-notice") if code else None


def _notice(owner, forge, code, account_id):
    try:
        account = forge_accounts.get_visible(account_id, owner) if account_id else None
    except NotFound:
        account = None
    label = forge_kinds.LABELS.get(forge, forge)
    if code == "connected" and account is not None:
        return dbc.Alert(_("Account {account} is connected.", account=account.name), color="success",
                         dismissable=True)
    if code == "denied":
        return error_alert(_("Authorisation was denied on {forge}: nothing was connected. Click Connect (or "
                             "Authorise) to try again.", forge=label))
    if code == "state":
        return error_alert(_("The answer from {forge} does not belong to an authorisation this browser started "
                             "(its state did not match): nothing was stored. Start again from this page.",
                             forge=label))
    if code == "failed" and account is not None:
        return error_alert(_("Connecting {forge} failed: {error}", forge=label, error=account.shown_error),
                           className="repos-notice")
    return error_alert(_("That code repository account does not exist, or is not yours."))
