"""Signed-in sessions, kept on the server: the browser's cookie holds a random value whose
SHA-256 is a `login_session` row, so a session ends for real (logout, expiry, a password
change, a disabled user) and an administrator can see who is signed in.

A session ends when unused for `session_idle_minutes` or `session_absolute_hours` after
sign-in (models/account_settings.py). `seen_at` is written at most once a minute, so a
page's polling does not turn every request into a database write.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets as random

from models import account_settings
from models.account_tables import LoginSession, User
from models.db import utcnow

SEEN_WRITE_SECONDS = 60


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User, remote_addr: str = "", user_agent: str = "", now=None) -> str:
    """A new session for `user`; returns the value for the cookie (shown to no one else)."""
    now = now or utcnow()
    token = random.token_urlsafe(32)
    LoginSession.create(user=user, token_hash=_hash(token), created_at=now, seen_at=now,
                        remote_addr=remote_addr[:64], user_agent=user_agent[:200])
    User.update(last_login_at=now).where(User.id == user.id).execute()
    return token


def find(token: str | None) -> LoginSession | None:
    if not token:
        return None
    return LoginSession.get_or_none(LoginSession.token_hash == _hash(token))


def resolve(token: str | None, now=None) -> tuple[User | None, LoginSession | None]:
    """The signed-in user of this cookie value, or (None, None) when there is no live session.
    An expired session is ended here, with the reason."""
    row = find(token)
    if row is None or row.ended_at is not None:
        return None, None
    now = now or utcnow()
    user = row.user
    idle = dt.timedelta(minutes=account_settings.number("session_idle_minutes"))
    absolute = dt.timedelta(hours=account_settings.number("session_absolute_hours"))
    reason = ("user disabled" if not user.is_active else
              "idle" if now - row.seen_at > idle else
              "expired" if now - row.created_at > absolute else "")
    if reason:
        _end(row, reason, now)
        return None, None
    if (now - row.seen_at).total_seconds() >= SEEN_WRITE_SECONDS:
        LoginSession.update(seen_at=now).where(LoginSession.id == row.id).execute()
    return user, row


def _end(row: LoginSession, reason: str, now=None) -> None:
    LoginSession.update(ended_at=now or utcnow(), end_reason=reason).where(
        (LoginSession.id == row.id) & LoginSession.ended_at.is_null()).execute()


def end(token: str | None, reason: str = "logout") -> LoginSession | None:
    row = find(token)
    if row is not None:
        _end(row, reason)
    return row


def end_all(user: User, reason: str, keep: int | None = None) -> int:
    """End every live session of `user` (but `keep`, the one making the change)."""
    query = LoginSession.update(ended_at=utcnow(), end_reason=reason).where(
        (LoginSession.user == user.id) & LoginSession.ended_at.is_null())
    if keep is not None:
        query = query.where(LoginSession.id != keep)
    return query.execute()


def live(user: User | None = None) -> list[LoginSession]:
    query = LoginSession.select().where(LoginSession.ended_at.is_null()).order_by(LoginSession.seen_at.desc())
    return list(query.where(LoginSession.user == user.id) if user is not None else query)
