"""The status vocabulary shared by the database, the code and the UI, and its transitions.

Runs, stage runs and task runs all use `Status`; values are stored as these plain
strings. `check_transition` is the one rule every status change obeys: terminal
states never change back.
"""
from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    PENDING = "pending"        # task/stage not started yet
    QUEUED = "queued"          # run waiting for the daemon to claim it
    RUNNING = "running"
    WAITING = "waiting"        # started but held by something outside it (slots, cluster resources)
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STOPPED = "stopped"
    TIMED_OUT = "timed_out"
    SKIPPED = "skipped"        # never ran because an earlier task ended the run

    def __str__(self):
        return self.value


TERMINAL = frozenset({Status.SUCCEEDED, Status.FAILED, Status.STOPPED, Status.TIMED_OUT, Status.SKIPPED})
ACTIVE = frozenset({Status.QUEUED, Status.RUNNING, Status.WAITING})     # not finished: a run can still change
STARTED = frozenset({Status.RUNNING, Status.WAITING})                   # holds a process, pod or slot

_ALLOWED = {
    Status.PENDING: {Status.RUNNING, Status.WAITING, *TERMINAL},
    Status.QUEUED: {Status.RUNNING, Status.WAITING, Status.FAILED, Status.STOPPED},
    Status.RUNNING: {Status.WAITING, *TERMINAL - {Status.SKIPPED}},
    Status.WAITING: {Status.RUNNING, *TERMINAL - {Status.SKIPPED}},
}


class TransitionError(ValueError):
    pass


def check_transition(old: str, new: str) -> None:
    old, new = Status(old), Status(new)
    if old == new:
        return
    if new not in _ALLOWED.get(old, ()):
        raise TransitionError(f"status cannot change from {old} to {new}")


def is_terminal(status: str) -> bool:
    return Status(status) in TERMINAL
