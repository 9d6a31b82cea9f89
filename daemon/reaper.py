"""Stopping processes whose task run is already final: TERM now, KILL after a grace period.

A run failed by an internal error, or a task whose directory vanished, must not leave
its process running untracked. The run advancer no longer visits a final run, so the
second half of "TERM, grace, KILL" is kept here and finished on later ticks.
"""
from __future__ import annotations

import logging
import time

log = logging.getLogger("millrace.daemon")
GRACE_SECONDS = 10.0


class Reaper:
    def __init__(self, executors, grace: float = GRACE_SECONDS):
        self.executors = executors
        self.grace = grace
        self._pending: list[tuple[float, str, dict]] = []    # (KILL deadline, executor name, handle)

    def stop(self, executor_name: str, handle: dict) -> None:
        try:
            self.executors[executor_name].stop(handle)
        except Exception:                 # a stop that fails must not hide the failure being recorded
            log.exception("could not stop a task of executor %s", executor_name)
        self._pending.append((time.monotonic() + self.grace, executor_name, handle))

    def tick(self) -> None:
        now, keep = time.monotonic(), []
        for deadline, name, handle in self._pending:
            if now < deadline:
                keep.append((deadline, name, handle))
                continue
            try:      # cleanup also removes the raw output: the task will never be shipped again
                self.executors[name].stop(handle, force=True)
                self.executors[name].cleanup(handle)
            except Exception:
                log.exception("could not kill a task of executor %s", name)
        self._pending = keep

    def busy(self) -> bool:
        return bool(self._pending)
