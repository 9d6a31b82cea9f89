"""An account's access token for its users (the pickers, checkout, webhooks, statuses),
refreshed before use.

`access_token(account, now, refresh=…)` returns a token good for REFRESH_MARGIN at least:
GitLab's expire after two hours and come with a refresh token, which rotates on every
refresh. `refresh(account, refresh_token) -> forge_accounts.Tokens` is the callable that asks the
forge (default: models/forge_client.refresh_tokens, authlib's requests client); the
dashboard and the daemon both call it, so it lives in models/ and uses no Flask. A refusal
of the grant (`NeedsReauthorisation`) marks the account needs_reauthorisation; other errors
(the forge unreachable) propagate and change nothing.

Refreshes are serialised in a process by a lock; across processes (dashboard and daemon)
the first to reach the forge wins and the other, refused for the now-used refresh token,
takes the token the winner stored (`_refreshed_elsewhere`) instead of marking the account.
"""
from __future__ import annotations

import datetime as dt
import threading
import time

from models import forge_accounts
from models.db import utcnow, write_transaction
from models.forge_accounts import ForgeAccount, NeedsReauthorisation, State, get, mark_revoked
from models.i18n import N_
from models.secrets import unseal

REFRESH_MARGIN = dt.timedelta(minutes=5)   # refresh this long before expiry: a clone may take minutes
RACE_WAIT_SECONDS = 2.0                    # how long a refused refresh waits for another process's new token

_refreshing = threading.Lock()     # one refresh at a time in this process (GitLab rotates refresh tokens)


def access_token(account, now: dt.datetime | None = None, *, refresh=None) -> str:
    """The account's access token, refreshed first when it expires within REFRESH_MARGIN.

    `refresh(account, refresh_token) -> Tokens` asks the forge (default:
    models.forge_client.refresh_tokens); it raises `NeedsReauthorisation` when the forge
    refuses the grant, which marks the account; any other error (the forge unreachable)
    propagates and changes nothing. Raises NeedsReauthorisation when the account is not
    connected. Safe across processes: a refresh refused because another process used the
    refresh token first takes the token that process stored."""
    now = now or utcnow()
    row = get(account.id if hasattr(account, "id") else account)
    if row.state != State.CONNECTED or not row.access_token_sealed:
        raise NeedsReauthorisation(row.shown_error or N_("account {account} is not authorised yet: connect it on "
                                                         "the Code repositories page", account=row.name))
    if not _expiring(row, now):
        return unseal(row.access_token_sealed)
    if not row.refresh_token_sealed:
        message = N_("the token of account {account} expired and the forge gave no refresh token: authorise it "
                     "again", account=row.name)
        mark_revoked(row.id, message, now=now)
        raise NeedsReauthorisation(message)
    if refresh is None:
        from models.forge_client import refresh_tokens as refresh
    with _refreshing:
        row = get(row.id)                        # another thread may have refreshed meanwhile
        if row.state == State.CONNECTED and row.access_token_sealed and not _expiring(row, now):
            return unseal(row.access_token_sealed)
        old = row.refresh_token_sealed
        try:
            tokens = refresh(row, unseal(old))
        except NeedsReauthorisation as exc:
            if (newer := _refreshed_elsewhere(row.id, old)) is not None:
                return newer
            mark_revoked(row.id, exc.args[0] if exc.args else str(exc), now=now)
            raise
        with write_transaction():
            ForgeAccount.update(**forge_accounts.token_fields(tokens), updated_at=now).where(ForgeAccount.id == row.id).execute()
        return tokens.access_token


def _expiring(row: ForgeAccount, now: dt.datetime) -> bool:
    return row.token_expires_at is not None and row.token_expires_at - REFRESH_MARGIN <= now


def _refreshed_elsewhere(account_id: int, old_sealed: str) -> str | None:
    """The access token another process stored after refreshing with the same refresh token
    (its request reached the forge first), waiting a moment for its write; else None."""
    deadline = time.monotonic() + RACE_WAIT_SECONDS
    while True:
        row = ForgeAccount.get_or_none(ForgeAccount.id == account_id)
        if row is not None and row.refresh_token_sealed != old_sealed and row.state == State.CONNECTED:
            return unseal(row.access_token_sealed)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.1)
