"""Personal access tokens for scripts and the API: made by a user with scopes and an
optional expiry, shown once, stored as their SHA-256, listed with their last use, revoked.

Scopes build on each other: `admin` includes `write`, which includes `run`, which includes
`read`. A token never grants more than its user may do (models/permissions.py decides
that; the scope only narrows it). A disabled user's tokens are refused.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets as random

from models import audit
from models.account_tables import SCOPES, ApiToken, User
from models.db import utcnow, write_transaction
from models.errors import Conflict, NotFound
from models.i18n import N_

PREFIX = "mrt_"                 # recognisable in a leaked file, as GitHub's ghp_
NAME = re.compile(r"^\S.{0,63}$")
MAX_EXPIRY_DAYS = 366 * 5
USED_WRITE_SECONDS = 60


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def implied(scopes) -> frozenset[str]:
    """The scopes a set of granted scopes allows (admin ⊃ write ⊃ run ⊃ read)."""
    granted = set(scopes)
    for higher, lower in (("admin", "write"), ("write", "run"), ("run", "read")):
        if higher in granted:
            granted.add(lower)
    return frozenset(granted)


def create(user: User, name: str, scopes, *, expires_days: int | None = None, now=None,
           within: frozenset | None = None) -> tuple[ApiToken, str]:
    """A new token; returns its row and its value (shown once, never stored). `within`: the
    scopes of the token the request came with (None: a session), which a new token cannot exceed."""
    name, scopes = (name or "").strip(), sorted(set(scopes or ()))
    if not NAME.match(name):
        raise ValueError(N_("token name: give it a name (at most 64 characters) saying what uses it"))
    if not scopes or set(scopes) - set(SCOPES):
        raise ValueError(N_("token scopes: choose from {choices}", choices=", ".join(SCOPES)))
    if "admin" in scopes and not user.is_admin:
        raise ValueError(N_("only administrators can make a token with the admin scope"))
    if within is not None and not implied(scopes) <= within:
        raise ValueError(N_("a token cannot make a token with more scopes than its own ({scopes})",
                            scopes=", ".join(s for s in SCOPES if s in within)))
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise ValueError(N_("token expiry: from 1 to {high} days, or none", high=MAX_EXPIRY_DAYS))
    now = now or utcnow()
    value = PREFIX + random.token_urlsafe(30)
    with write_transaction():
        if ApiToken.get_or_none((ApiToken.user == user.id) & (ApiToken.name == name)) is not None:
            raise Conflict(N_("you already have a token named '{name}'", name=name))
        row = ApiToken.create(user=user, name=name, token_hash=_hash(value), prefix=value[:len(PREFIX) + 6],
                              scopes=",".join(scopes), created_at=now,
                              expires_at=now + dt.timedelta(days=expires_days) if expires_days else None)
        audit.record(user.username, "create token", row, scopes=scopes, expires_days=expires_days)
    return row, value


def authenticate(value: str | None, now=None) -> tuple[User | None, ApiToken | None]:
    """The user and token of a presented token value, or (None, None) if it is unknown,
    revoked, expired, or its user is disabled."""
    if not value or not value.startswith(PREFIX):
        return None, None
    row = ApiToken.select(ApiToken, User).join(User).where(ApiToken.token_hash == _hash(value)).first()
    now = now or utcnow()
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None, None
    if not row.user.is_active:
        return None, None
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() >= USED_WRITE_SECONDS:
        ApiToken.update(last_used_at=now).where(ApiToken.id == row.id).execute()
    return row.user, row


def of(user: User) -> list[ApiToken]:
    return list(ApiToken.select().where(ApiToken.user == user.id).order_by(ApiToken.created_at.desc()))


def revoke(user: User, name: str, actor: str) -> ApiToken:
    row = ApiToken.get_or_none((ApiToken.user == user.id) & (ApiToken.name == name))
    if row is None:
        raise NotFound(N_("no token named '{name}'", name=name))
    with write_transaction():
        ApiToken.update(revoked_at=utcnow()).where((ApiToken.id == row.id) & ApiToken.revoked_at.is_null()).execute()
        audit.record(actor, "revoke token", row, user=user.username)
    return row
