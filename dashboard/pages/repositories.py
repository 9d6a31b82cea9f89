"""Code repositories (`/repositories`, PRODUCT.md §6): GitHub and GitLab accounts connected
through the user's own OAuth applications, and plain git URLs.

Each forge tab shows what to paste into the forge's "new OAuth application" form, takes the
client ID and secret (and a private instance's URL), registers a pending account
(models/forge_accounts.register) and sends the browser to the OAuth flow
(dashboard/forge_oauth.py), which comes back here with `?tab=<forge>&notice=…`. Below, the
signed-in user's accounts (only theirs: PRODUCT.md §8), with Authorise / Re-authorise and
Deregister (a dialog; refused, naming them, while pipelines use the account).
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.auth.current import actor, visible
from dashboard.components import card, error_alert, ok_alert, sentence
from dashboard.repository_accounts import accounts_table, notice as notice_for, setup_card
from models import forge_accounts, forge_client, forge_kinds, pipelines
from models.errors import field_of
from models.i18n import _
from models.tables import Pipeline

dash.register_page(__name__, path="/repositories", name="Code repositories",
                   title=lambda **_params: _("Code repositories · Millrace"))


def _in_use() -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for p in visible(pipelines.live(), Pipeline).order_by(Pipeline.name):
        source = pipelines.current_spec(p).get("source") or {}
        if source.get("repository") and not source.get("account"):
            used.setdefault(source["repository"], []).append(f"{p.name} ({source.get('branch') or 'main'})")
    return used


def _git_urls_tab():
    used = _in_use()
    listing = (html.Ul([html.Li(sentence(_("{repository} — used by {pipelines}"), repository=html.Code(repo),
                                         pipelines=", ".join(names))) for repo, names in used.items()],
                       className="repos-in-use") if used else html.P(_("No pipeline builds a repository yet."),
                                                                      className="text-muted"))
    return card(_("Plain git URLs"), [
        html.P(sentence(_("A pipeline's code source can be any git URL the daemon can clone: a local path, "
                          "{file}, or {http}. Set it in the pipeline editor."),
                        file=html.Code("file://"), http=html.Code("http(s)://"))),
        listing], className="mt-3")


def _forge_tab(forge: str, owner: str):
    return html.Div([setup_card(forge),
                     card(_("Your {forge} accounts", forge=forge_kinds.LABELS[forge]),
                          html.Div(accounts_table(owner, forge), id={"type": ids.REPOS_ACCOUNTS, "forge": forge}))])


def layout(tab=None, notice=None, account=None, **_params):
    owner = actor()
    active = tab if tab in (*forge_kinds.FORGES, "git") else forge_kinds.GITHUB
    return html.Div([
        html.H2(_("Code repositories")),
        notice_for(owner, active, notice, account),
        html.Div(id=ids.REPOS_FEEDBACK),
        dbc.Tabs([dbc.Tab(_forge_tab(forge, owner), label=forge_kinds.LABELS[forge], tab_id=forge)
                  for forge in forge_kinds.FORGES] + [dbc.Tab(_git_urls_tab(), label=_("Git URLs"), tab_id="git")],
                 active_tab=active, id=ids.REPOS_TABS, className="mb-3"),
        dbc.Modal([dbc.ModalHeader(dbc.ModalTitle(_("Deregister account"))), dbc.ModalBody(id=ids.REPOS_DIALOG_BODY),
                   dbc.ModalFooter([dbc.Button(_("Cancel"), id=ids.REPOS_DIALOG_CANCEL, color="secondary",
                                               outline=True),
                                    dbc.Button(_("Deregister"), id=ids.REPOS_DIALOG_CONFIRM, color="danger")])],
                  id=ids.REPOS_DIALOG, is_open=False),
        dcc.Store(id=ids.REPOS_PENDING), dcc.Store(id=ids.REPOS_CHANGED, data=0),
    ])



@callback(Output({"type": ids.REPOS_FORM_FEEDBACK, "forge": MATCH}, "children"),
          Output({"type": ids.REPOS_GO, "forge": MATCH}, "href"),
          Input({"type": ids.REPOS_CONNECT, "forge": MATCH}, "n_clicks"),
          State({"type": ids.REPOS_CLIENT_ID, "forge": MATCH}, "value"),
          State({"type": ids.REPOS_CLIENT_SECRET, "forge": MATCH}, "value"),
          State({"type": ids.REPOS_PRIVATE, "forge": MATCH}, "value"),
          State({"type": ids.REPOS_INSTANCE_URL, "forge": MATCH}, "value"), prevent_initial_call=True)
def connect(_clicks, client_id, client_secret, private, instance_url):
    forge = ctx.triggered_id["forge"]
    if private and not (instance_url or "").strip():
        return error_alert(_("Give the private instance's URL, or untick “Private instance”.")), no_update
    try:
        account = forge_accounts.register(actor(), forge, client_id, client_secret,
                                          instance_url if private else "", actor=actor())
    except ValueError as exc:
        labels = _field_labels()
        return error_alert(_("{field}: {message}", field=labels[field_of(exc)], message=str(exc))
                           if field_of(exc) in labels else str(exc)), no_update
    # A full page load (the Location refreshes): the start route redirects to the forge.
    return no_update, f"/repository/{forge}/start/{account.id}"


def _field_labels():
    return {"client_id": _("Client ID"), "client_secret": _("Client secret"), "base_url": _("Private instance URL")}


@callback(Output(ids.REPOS_DIALOG, "is_open"), Output(ids.REPOS_DIALOG_BODY, "children"),
          Output(ids.REPOS_PENDING, "data"), Output(ids.REPOS_DIALOG_CONFIRM, "disabled"),
          Input({"type": ids.REPOS_ACTION, "action": ALL, "account": ALL}, "n_clicks"), prevent_initial_call=True)
def ask_deregister(clicks):
    if not ctx.triggered_id or not any(clicks):
        return no_update, no_update, no_update, no_update
    try:
        account = forge_accounts.get_visible(ctx.triggered_id["account"], actor())
    except LookupError as exc:
        return True, error_alert(str(exc)), None, True
    used = forge_accounts.users(account.id)
    if used:
        return True, dbc.Alert(sentence(_("{account} cannot be deregistered: {n} pipeline(s) use it: {pipelines}. "
                                          "Change their code source or delete them first.", account=account.name,
                                          n=len(used), pipelines="{pipelines}"),
                                        pipelines=html.Strong(", ".join(used))),
                               color="warning", className="repos-in-use-warning"), None, True
    return True, html.P(_("Deregister {account}? Its OAuth application and tokens are deleted here, and the "
                          "forge is asked to revoke the token.", account=account.name)), account.id, False


@callback(Output(ids.REPOS_DIALOG, "is_open", allow_duplicate=True),
          Output(ids.REPOS_FEEDBACK, "children"), Output(ids.REPOS_CHANGED, "data"),
          Input(ids.REPOS_DIALOG_CONFIRM, "n_clicks"), Input(ids.REPOS_DIALOG_CANCEL, "n_clicks"),
          State(ids.REPOS_PENDING, "data"), State(ids.REPOS_CHANGED, "data"), prevent_initial_call=True)
def confirm_deregister(_confirm, _cancel, account_id, changed):
    if ctx.triggered_id != ids.REPOS_DIALOG_CONFIRM or not account_id:
        return False, no_update, no_update
    try:
        gone = forge_accounts.deregister(account_id, actor())
    except (LookupError, ValueError) as exc:       # InUse is a ValueError: a pipeline started using it meanwhile
        return False, error_alert(str(exc)), (changed or 0) + 1
    try:
        forge_client.revoke(gone)
    except forge_client.ForgeError as exc:
        return False, error_alert(_("Account {account} deregistered, but revoking its token on the forge failed "
                                    "({error}): revoke the application there.", account=gone.name, error=str(exc))), \
            (changed or 0) + 1
    return False, ok_alert(_("Account {account} deregistered; its token is revoked on the forge.",
                             account=gone.name)), (changed or 0) + 1


@callback(Output({"type": ids.REPOS_ACCOUNTS, "forge": ALL}, "children"), Input(ids.REPOS_CHANGED, "data"),
          State({"type": ids.REPOS_ACCOUNTS, "forge": ALL}, "id"), prevent_initial_call=True)
def refresh(_changed, shown):
    return [accounts_table(actor(), which["forge"]) for which in shown]
