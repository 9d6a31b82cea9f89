"""The daemon's turn at the forges: managed webhooks and commit statuses, off the tick.

`ForgeUpkeep.tick(now, nudged)` is called by every daemon tick and starts, at most one at
a time, a pass in a thread of its own (its own database connection): commit statuses
every STATUS_SECONDS (daemon/commit_status.py), webhooks every HOOKS_SECONDS or at once
after a nudge (a save may have changed a rule: daemon/forge_hooks.py). A forge that is
slow or down (each request times out after forge_client.TIMEOUT_SECONDS) so costs the
daemon's loop nothing: runs go on, the pass simply takes longer.
"""
from __future__ import annotations

import logging
import threading

from daemon import commit_status, forge_hooks
from models.db import database, utcnow

log = logging.getLogger("millrace.forge_upkeep")
STATUS_SECONDS = 1.0
HOOKS_SECONDS = 5.0


class ForgeUpkeep:
    def __init__(self, background: bool = True):
        self.background = background
        self._thread: threading.Thread | None = None
        self._hooks_at = self._status_at = None
        self._hooks_asked = False

    def tick(self, now, nudged: bool = False) -> None:
        self._hooks_asked = self._hooks_asked or nudged
        if self._thread is not None and self._thread.is_alive():
            return
        hooks = self._hooks_asked or self._due(self._hooks_at, now, HOOKS_SECONDS)
        status = self._due(self._status_at, now, STATUS_SECONDS)
        if not (hooks or status):
            return
        if hooks:
            self._hooks_at, self._hooks_asked = now, False
        if status:
            self._status_at = now
        if not self.background:
            self._pass(hooks, status)
            return
        self._thread = threading.Thread(target=self._in_thread, args=(hooks, status), name="forge-upkeep",
                                        daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @staticmethod
    def _due(last, now, every) -> bool:
        return last is None or now < last or (now - last).total_seconds() >= every

    def _in_thread(self, hooks: bool, status: bool) -> None:
        try:
            self._pass(hooks, status)
        finally:
            database.close()           # this thread's own connection

    @staticmethod
    def _pass(hooks: bool, status: bool) -> None:
        now = utcnow()      # the forge's answers are facts of now, whatever clock drives the tick
        if status:
            try:
                commit_status.collect(now)
                commit_status.send(now)
            except Exception:          # noqa: BLE001 — a database hiccup: the next pass tries again
                log.exception("commit status pass failed")
        if hooks:
            try:
                forge_hooks.reconcile(now)
            except Exception:          # noqa: BLE001
                log.exception("webhook reconcile pass failed")
