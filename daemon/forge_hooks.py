"""The reconciler of managed webhooks: makes the forge hold what the `forge_hook` rows say.

`reconcile(now, check_all)` first lets models.forge_hooks.sync() turn the pipelines' rules
into rows, then, per row:
- registering: list the repository's hooks and adopt one already pointing at the row's
  receiver URL (a daemon killed after the forge made it, before its id was stored: fault
  point `forge_hook.after_create`), else create it; then `registered`;
- registered (when `check_all`, or its last check is older than CHECK_SECONDS, 60 s unless
  $MILLRACE_FORGE_HOOK_CHECK_SECONDS says otherwise): list the
  hooks; gone from the forge (deleted there by hand) → `missing`, with the reason, until
  someone presses Repair (models.forge_hooks.request_repair) — it is reported, not hidden;
- removing: delete every hook with the receiver URL (404 is fine), then the row;
- a hook whose id is the row's but whose URL is not the receiver URL (Settings → base URL
  changed since) is deleted and made again at the new address.
A forge that cannot be reached, or refuses, leaves the state as it is with `last_error`
set; the next pass tries again. Nothing is lost: the rows are the truth, the forge follows.
"""
from __future__ import annotations

import datetime as dt
import logging
import os

from daemon import faults, reasons
from models import forge_accounts, forge_client, forge_hooks, forge_kinds
from models.errors import NotFound
from models.forge_accounts import NeedsReauthorisation
from models.forge_hooks import MISSING, REGISTERED, REGISTERING, REMOVING, ForgeHook
from models.forge_repo_api import hook_body, hook_url, list_all, repo_root
from models.i18n import N_

log = logging.getLogger("millrace.forge_hooks")
# how often a registered hook is looked for on the forge (an operator may ask for more often)
CHECK_SECONDS = float(os.environ.get("MILLRACE_FORGE_HOOK_CHECK_SECONDS", "60"))


def reconcile(now: dt.datetime, check_all: bool = False) -> None:
    for row in forge_hooks.sync(now):
        if row.state == REGISTERED and not (check_all or _stale(row, now)):
            continue
        if row.state == MISSING:
            continue
        try:
            _one(row, now)
        except (forge_client.ForgeError, NeedsReauthorisation, NotFound, ValueError) as exc:
            forge_hooks.record(row, now, error=_reason(exc))
        except Exception as exc:     # noqa: BLE001 — one repository's trouble never stops the others
            log.exception("webhook of %s", row.repository)
            forge_hooks.record(row, now, error=reasons.of_exception(exc))


def _stale(row: ForgeHook, now) -> bool:
    return row.last_checked_at is None or not 0 <= (now - row.last_checked_at).total_seconds() < CHECK_SECONDS


def _reason(exc):
    return exc.args[0] if exc.args else type(exc).__name__


def _one(row: ForgeHook, now) -> None:
    if row.state == REMOVING:
        try:
            account = forge_accounts.get(row.account_id)
        except NotFound:           # the account is gone: nothing can reach the hook any more
            forge_hooks.remove_row(row)
            return
        _remove(account, row)
        forge_hooks.remove_row(row)
        return
    account = forge_accounts.get(row.account_id)
    hooks_path = repo_root(account, row.clone_url) + "/hooks"
    listed = list_all(account, hooks_path)
    ours = [h for h in listed if hook_url(account, h) == row.receiver_url]
    if any(str(h["id"]) == row.forge_hook_id and hook_url(account, h) != row.receiver_url for h in listed):
        # registered under the base URL of before: deliveries to the old address reach nobody
        _delete(account, hooks_path, [row.forge_hook_id])
        log.info("webhook of %s moves to %s", row.repository, row.receiver_url)
        row.state, row.forge_hook_id = REGISTERING, ""
    if row.state == REGISTERING:
        _register(account, row, hooks_path, ours, now)
    elif not any(str(h["id"]) == row.forge_hook_id for h in ours):
        forge_hooks.record(row, now, state=MISSING, error=N_(
            "the webhook (forge id {id}) is no longer on {forge}: deleted there by hand? Press Repair to "
            "register it again", id=row.forge_hook_id, forge=forge_kinds.LABELS[account.forge]))
        log.warning("webhook of %s is missing on the forge", row.repository)
    else:
        forge_hooks.record(row, now)


def _register(account, row: ForgeHook, hooks_path: str, ours: list[dict], now) -> None:
    """Adopt the hook already at the receiver URL (a crash before its id was stored), or create it."""
    if not ours:
        response = forge_client.request(account, "POST", hooks_path, now=now,
                                        json=hook_body(account, row.receiver_url, row.secret))
        if response.status_code not in (200, 201):
            raise forge_client.ForgeError(N_("{forge} refused to create the webhook: {error}",
                                             forge=forge_kinds.LABELS[account.forge],
                                             error=forge_client.error_words(response)))
        faults.point("forge_hook.after_create")
        ours = [response.json()]
    forge_hooks.record(row, now, state=REGISTERED, forge_hook_id=str(ours[0]["id"]))
    log.info("webhook of %s registered (forge id %s)", row.repository, ours[0]["id"])


def _remove(account, row: ForgeHook) -> None:
    hooks_path = repo_root(account, row.clone_url) + "/hooks"
    ids = {str(h["id"]) for h in list_all(account, hooks_path) if hook_url(account, h) == row.receiver_url}
    _delete(account, hooks_path, sorted(ids | ({row.forge_hook_id} if row.forge_hook_id else set())))
    log.info("webhook of %s removed", row.repository)


def _delete(account, hooks_path: str, hook_ids) -> None:
    for hook_id in hook_ids:
        response = forge_client.request(account, "DELETE", f"{hooks_path}/{hook_id}")
        if response.status_code not in (200, 204, 404):
            raise forge_client.ForgeError(N_("{forge} refused to delete the webhook: {error}",
                                             forge=forge_kinds.LABELS[account.forge],
                                             error=forge_client.error_words(response)))
