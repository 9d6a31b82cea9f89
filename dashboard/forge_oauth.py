"""The OAuth authorization-code flow that connects a code repository account (Flask routes).

- `GET /repository/<forge>/start/<account>`: the signed-in owner's pending (or to be
  re-authorised) account → a fresh `state` (and PKCE verifier for GitLab) kept in the
  signed session cookie, then a redirect to the forge's consent page;
- `GET /repository/<forge>/redirect`: the authorization callback the user pasted into the
  forge. The `state` must be the one this browser was given; the code is exchanged for
  tokens, the forge's user API names the account, and the tokens are sealed
  (models/forge_accounts.store_tokens).
Every ending goes back to the Code repositories page on the forge's tab with a `notice`
the page words (connected, state, denied, failed); the forge's own words are kept on the
account (`last_error`). The callback URL is built from the configured base URL
(account_settings.public_url), never from the request's Host. Both routes are behind the
gate (signed in); an account is only ever looked up among the signed-in user's own.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, redirect, request, session

from dashboard.auth.current import actor
from models import account_settings, forge_accounts, forge_client, forge_kinds
from models.errors import NotFound
from models.i18n import N_

blueprint = Blueprint("forge_oauth", __name__)
PENDING_KEY = "forge_oauth"      # in the signed session cookie: {state: {verifier, account, forge}}
MAX_PENDING = 4                  # flows started in other tabs stay answerable; older ones are forgotten


def callback_url(forge: str) -> str:
    """What the user pastes into the forge as the authorization callback URL."""
    return account_settings.public_url().rstrip("/") + forge_kinds.callback_path(forge)


def back(forge: str, notice: str, account_id=None):
    query = {"tab": forge, "notice": notice, **({"account": account_id} if account_id else {})}
    return redirect("/repositories?" + urlencode(query), code=303)


@blueprint.get("/repository/<forge>/start/<int:account_id>")
def start(forge: str, account_id: int):
    if forge not in forge_kinds.FORGES:
        return back("github", "failed")
    try:
        account = forge_accounts.get_visible(account_id, actor())
    except NotFound:
        return back(forge, "missing")
    url, state, verifier = forge_client.authorization_url(account, callback_url(account.forge))
    pending = dict(session.get(PENDING_KEY) or {})
    pending[state] = {"verifier": verifier, "account": account.id, "forge": account.forge}
    session[PENDING_KEY] = dict(list(pending.items())[-MAX_PENDING:])
    return redirect(url, code=303)


@blueprint.get("/repository/<forge>/redirect")
def callback(forge: str):
    flows = dict(session.get(PENDING_KEY) or {})
    pending = flows.pop(request.args.get("state") or "", None)     # a state answers once
    session[PENDING_KEY] = flows
    if forge not in forge_kinds.FORGES:
        return back("github", "state")
    if not pending or pending.get("forge") != forge:
        # Not the answer to a flow this browser started: nothing is stored, nothing is exchanged.
        return back(forge, "state")
    try:
        account = forge_accounts.get_visible(pending["account"], actor())
    except NotFound:
        return back(forge, "missing")
    if request.args.get("error"):
        denied = request.args["error"] == "access_denied"
        forge_accounts.record_error(account.id, N_("authorisation was denied on {forge}", forge=_label(forge))
                                    if denied else N_("{forge} answered: {error} {description}", forge=_label(forge),
                                                      error=request.args["error"][:100],
                                                      description=request.args.get("error_description", "")[:300]),
                                    actor=actor())
        return back(forge, "denied" if denied else "failed", account.id)
    try:
        tokens = forge_client.exchange_code(account, callback_url(forge), request.args.get("code", ""),
                                            pending.get("verifier"))
        login, user_id = forge_client.fetch_user(account, tokens.access_token)
    except forge_client.ForgeError as exc:
        forge_accounts.record_error(account.id, exc.args[0], actor=actor())
        return back(forge, "failed", account.id)
    kept = forge_accounts.store_tokens(account.id, tokens, login=login, forge_user_id=user_id, actor=actor())
    return back(forge, "connected", kept.id)


def _label(forge: str) -> str:
    return forge_kinds.LABELS[forge]
