"""Code repository accounts (PRODUCT.md §6): the table and every intent that changes it.

An account is a GitHub or GitLab login its owner connected through their own OAuth
application: `register()` stores the application (client secret sealed) as a *pending*
account; the OAuth callback calls `store_tokens()` (tokens sealed; the account becomes
*connected*); models/forge_tokens.py's `access_token()` hands the token to its users,
refreshed first, and a refusal marks the account *needs_reauthorisation* with the forge's
words (`mark_revoked()`, also called by whoever gets a 401 from the API). Only the owner sees an account (PRODUCT.md §8:
"own only", administrators included): read through `visible()` / `get_visible()`.
`deregister()` is refused while pipelines name the account in their code source
(`source.account: <id>`, models/spec.py). Every change is audited with its actor; no secret
ever reaches the audit trail.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from peewee import AutoField, DateTimeField, TextField

from models import audit, forge_kinds, i18n
from models.db import BaseModel, utcnow, write_transaction
from models.errors import InUse, NotFound, on_field
from models.i18n import N_
from models.secrets import seal, secret_problem, unseal

class State(str, Enum):
    PENDING = "pending"                                  # registered; not authorised yet
    CONNECTED = "connected"
    NEEDS_REAUTHORISATION = "needs_reauthorisation"      # the forge refused its token; last_error says why

    def __str__(self):
        return self.value


class ForgeAccount(BaseModel):
    id = AutoField()
    owner = TextField()
    forge = TextField()
    base_url = TextField()
    login = TextField(default="")
    forge_user_id = TextField(default="")
    client_id = TextField()
    client_secret_sealed = TextField()
    access_token_sealed = TextField(default="")
    refresh_token_sealed = TextField(default="")
    token_expires_at = DateTimeField(null=True)
    scopes = TextField(default="")
    state = TextField(default=State.PENDING)
    last_error = TextField(default="")
    last_error_message = TextField(null=True)
    connected_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "forge_account"

    @property
    def name(self) -> str:
        """What the audit trail and the pages call it: `login@host` (`#id` until authorised)."""
        return f"{self.login or '#' + str(self.id)}@{self.host}"

    @property
    def host(self) -> str:
        return self.base_url.split("://", 1)[-1]

    @property
    def endpoints(self) -> forge_kinds.Endpoints:
        return forge_kinds.endpoints(self.forge, self.base_url)

    @property
    def is_private_instance(self) -> bool:
        return not forge_kinds.is_public(self.forge, self.base_url)

    @property
    def client_secret(self) -> str:
        return unseal(self.client_secret_sealed)

    @property
    def shown_error(self) -> str:
        return i18n.shown(self.last_error, self.last_error_message)


TABLES = [ForgeAccount]


@dataclass(frozen=True)
class Tokens:
    """What a token endpoint answered (authorization code or refresh grant)."""
    access_token: str
    refresh_token: str = ""
    expires_at: dt.datetime | None = None     # naive UTC; None: does not expire
    scopes: str = ""


class NeedsReauthorisation(RuntimeError):
    """The account has no usable token: its owner must authorise it again (the message says why)."""


# ---- reading ---------------------------------------------------------------------------------

def visible(owner: str):
    """The accounts `owner` (a username) sees: their own, whatever their role."""
    return ForgeAccount.select().where(ForgeAccount.owner == owner).order_by(ForgeAccount.forge, ForgeAccount.id)


def get(account_id) -> ForgeAccount:
    row = ForgeAccount.get_or_none(ForgeAccount.id == _as_id(account_id))
    if row is None:
        raise NotFound(N_("no code repository account #{id}", id=account_id))
    return row


def get_visible(account_id, owner: str) -> ForgeAccount:
    """The account if `owner` owns it; NotFound otherwise (another user's is not even said to exist)."""
    row = get(account_id)
    if row.owner != owner:
        raise NotFound(N_("no code repository account #{id}", id=account_id))
    return row


def _as_id(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(N_("no code repository account #{id}", id=str(value)[:20])) from None


def users(account_id) -> list[str]:
    """Names of the live pipelines whose current definition's code source names the account."""
    from models import pipelines   # late: pipelines is the heavier module
    wanted = _as_id(account_id)
    return sorted(p.name for p in pipelines.live()
                  if ((pipelines.current_spec(p).get("source") or {}).get("account")) == wanted)


def usable_by(account_id, owner: str) -> ForgeAccount:
    """The account a definition saved by `owner` may name (theirs, connected or not: a pipeline
    keeps naming an account that needs re-authorising); NotFound otherwise, on field `source.account`."""
    try:
        return get_visible(account_id, owner)
    except NotFound as exc:
        raise on_field(exc, "source.account") from None


# ---- intents ---------------------------------------------------------------------------------

def register(owner: str, forge: str, client_id: str, client_secret: str, base_url: str = "", *,
             actor: str | None = None) -> ForgeAccount:
    """A new pending account for `owner`'s OAuth application on `forge` (public, or the
    private instance at `base_url`). The flow then authorises it (store_tokens)."""
    forge_kinds.check_forge(forge)
    web = forge_kinds.normalise_base_url(forge, base_url)
    client_id = (client_id or "").strip()
    if not client_id or len(client_id) > 200 or any(c.isspace() for c in client_id):
        raise on_field(ValueError(N_("the client ID is required: copy it from the forge's OAuth application")),
                       "client_id")
    client_secret = (client_secret or "").strip()
    if not client_secret:
        raise on_field(ValueError(N_("the client secret is required: copy it from the forge's OAuth application")),
                       "client_secret")
    if problem := secret_problem(client_secret):
        raise on_field(ValueError(problem), "client_secret")
    with write_transaction():
        row = ForgeAccount.create(owner=owner, forge=forge, base_url=web, client_id=client_id,
                                  client_secret_sealed=seal(client_secret))
        audit.record(actor or owner, "create", row, forge=forge, base_url=web, client_id=client_id)
    return row


def store_tokens(account_id, tokens: Tokens, *, login: str, forge_user_id: str = "", actor: str,
                 now: dt.datetime | None = None) -> ForgeAccount:
    """The authorisation succeeded: seal the tokens, name the forge login, mark it connected.

    When the owner already has an account for this login on this forge, that one is
    re-authorised with this application and tokens, and this (pending) row is dropped: one
    account per forge user, so pipelines naming the old one keep working. Returns the row kept."""
    now = now or utcnow()
    with write_transaction():
        row = get(account_id)
        kept = ForgeAccount.get_or_none((ForgeAccount.owner == row.owner) & (ForgeAccount.forge == row.forge)
                                        & (ForgeAccount.base_url == row.base_url) & (ForgeAccount.login == login)
                                        & (ForgeAccount.id != row.id))
        target = kept or row
        ForgeAccount.update(login=login, forge_user_id=str(forge_user_id or ""), client_id=row.client_id,
                            client_secret_sealed=row.client_secret_sealed, **token_fields(tokens),
                            state=State.CONNECTED, last_error="", last_error_message=None, connected_at=now,
                            updated_at=now).where(ForgeAccount.id == target.id).execute()
        if kept is not None:
            row.delete_instance()
        target = get(target.id)
        audit.record(actor, "authorise", target, login=login, scopes=tokens.scopes,
                     expires_at=tokens.expires_at, merged_from=row.id if kept is not None else None)
    return target


def token_fields(tokens: Tokens) -> dict:
    return {"access_token_sealed": seal(tokens.access_token),
            "refresh_token_sealed": seal(tokens.refresh_token) if tokens.refresh_token else "",
            "token_expires_at": tokens.expires_at, "scopes": tokens.scopes}


def record_error(account_id, message, *, actor: str, now: dt.datetime | None = None) -> None:
    """An authorisation attempt failed (denied consent, the token endpoint's refusal…): keep its
    words on the account; its state is unchanged (a connected account stays usable)."""
    now = now or utcnow()
    with write_transaction():
        row = get(account_id)
        ForgeAccount.update(**_error_fields(message), updated_at=now).where(ForgeAccount.id == row.id).execute()
        audit.record(actor, "authorise_failed", row, error=i18n.english(message))


def mark_revoked(account_id, message, *, actor: str = "system", now: dt.datetime | None = None) -> None:
    """The forge refused the account's token (revoked, expired without refresh, app deleted):
    it needs re-authorisation. The stored tokens are dropped: they are worth nothing now."""
    now = now or utcnow()
    with write_transaction():
        row = get(account_id)
        if row.state == State.NEEDS_REAUTHORISATION and row.last_error == i18n.english(message):
            return        # already said: one audit row per revocation, however many callers notice
        ForgeAccount.update(state=State.NEEDS_REAUTHORISATION, access_token_sealed="", refresh_token_sealed="",
                            token_expires_at=None, **_error_fields(message), updated_at=now) \
            .where(ForgeAccount.id == row.id).execute()
        audit.record(actor, "revoked", row, error=i18n.english(message))


def _error_fields(message) -> dict:
    return {"last_error": i18n.english(message)[:2000],
            "last_error_message": message.to_json() if isinstance(message, i18n.Msg) else None}


def deregister(account_id, owner: str, *, actor: str | None = None) -> ForgeAccount:
    """Remove `owner`'s account; refused (InUse, naming them) while pipelines use it.
    Returns the removed row (its fields still readable, e.g. to revoke the token on the forge)."""
    used = users(account_id)
    with write_transaction():
        row = get_visible(account_id, owner)
        if used:
            raise InUse(N_("account {account} is used by {count} pipeline(s): {names}; change their code source "
                           "or delete them first", account=row.name, count=len(used), names=", ".join(used)))
        from models.forge_hooks import ForgeHook      # late: forge_hooks reads pipelines through triggers
        hooked = [h.repository for h in ForgeHook.select().where(ForgeHook.account_id == row.id)]
        if hooked:      # removed on the forge through this account's token first, or it would stay there
            raise InUse(N_("account {account} still has Millrace's webhook on {repositories} to remove; the daemon "
                           "does it within seconds, then try again", account=row.name,
                           repositories=", ".join(hooked)))
        audit.record(actor or owner, "delete", row, forge=row.forge, base_url=row.base_url)
        row.delete_instance()
    return row
