"""Revoking a personal access token, as words and a deed for the shared confirming dialog
(dashboard.actions), like dashboard.intents' for pipelines: `describe` says what the dialog
asks, `perform` revokes through models/api_tokens as the signed-in user.

A user only ever reaches their own tokens: the token is looked up among the signed-in
user's, so an id of someone else's token is "no such token" (it says nothing of them).
"""
from __future__ import annotations

from dashboard.auth.current import actor
from models import accounts
from models.account_tables import ApiToken
from models.errors import NotFound
from models.i18n import N_, _


def own_token(token_id) -> ApiToken:
    """The signed-in user's token with this id, or NotFound."""
    me = accounts.get(actor())
    try:
        wanted = int(token_id)
    except (TypeError, ValueError):
        wanted = -1
    row = ApiToken.get_or_none((ApiToken.id == wanted) & (ApiToken.user == me.id))
    if row is None:
        raise NotFound(N_("you have no such token"))
    return row


def describe(pending: dict) -> dict:
    row = own_token(pending.get("token"))
    if row.revoked_at is not None:
        return dict(refuse=_("Token '{name}' is revoked already.", name=row.name))
    return dict(title=_("Revoke token {name}", name=row.name), confirm=_("Revoke"), colour="danger",
                text=_("Revoke '{name}'? Scripts using it are refused from now on; this cannot be undone.",
                       name=row.name))


def perform(pending: dict) -> tuple[str, None]:
    from models import api_tokens
    row = own_token(pending.get("token"))
    api_tokens.revoke(row.user, row.name, actor())
    return _("Revoked token '{name}'.", name=row.name), None
