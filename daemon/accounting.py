"""A run's execution and waiting time, added up on every tick and stored now and then.

Execution and waiting seconds are added from the previous tick's time (on the cached run
and tasks), and stored at most every ACCOUNT_WRITE_SECONDS — and whenever the run's status
changes or a task stops waiting — so a restart loses at most that much of them. Time spent
waiting (for a task slot or cluster resources) does not count toward the timeout.
"""
from __future__ import annotations

from models import runs
from models.db import write_transaction
from models.status import Status
from models.tables import Run, TaskRun

ACCOUNT_WRITE_SECONDS = 5.0     # a restart loses at most this much accounting


def fields(run) -> dict:
    """The run's accounting columns, for a write that also changes its status."""
    return {"execution_seconds": run.execution_seconds, "waiting_seconds": run.waiting_seconds,
            "accounted_at": run.accounted_at}


class RunAccounting:
    def __init__(self):
        self._stored_waiting = {}   # task run id -> waiting_seconds as last stored

    def forget(self, tasks) -> None:
        for task in tasks:
            self._stored_waiting.pop(task.id, None)

    def account(self, run, tasks, now) -> bool:
        """Add the time since the last tick; False when the run changed under us (ended elsewhere)."""
        last = run.accounted_at or run.started_at or now
        if getattr(run, "stored_accounted_at", None) is None:     # as read from the database
            run.stored_accounted_at = last
        delta = max(0.0, (now - last).total_seconds())      # a clock step backwards adds nothing
        statuses = {t.status for t in tasks}
        all_waiting = Status.WAITING in statuses and Status.RUNNING not in statuses
        if all_waiting:
            run.waiting_seconds += delta
        else:
            run.execution_seconds += delta
        for task in tasks:
            if task.status == Status.WAITING:
                task.waiting_seconds += delta
        status = Status.WAITING if all_waiting else Status.RUNNING
        run.accounted_at = now
        stored_at = run.stored_accounted_at
        changed = [t for t in tasks if t.waiting_seconds != self._stored_waiting.get(t.id, 0.0)]
        left_waiting = any(t.status != Status.WAITING for t in changed)
        if status == run.status and not left_waiting and (now - stored_at).total_seconds() < ACCOUNT_WRITE_SECONDS:
            return True
        with write_transaction():
            # compare-and-set like every status write: a run that ended meanwhile is never revived
            if status != run.status:
                ours = runs.set_status(run, status, **fields(run), now=now)
            else:
                ours = bool(Run.update(**fields(run))
                            .where((Run.id == run.id) & (Run.status == run.status)).execute())
            if not ours:
                return False
            for task in changed:
                TaskRun.update(waiting_seconds=task.waiting_seconds).where(TaskRun.id == task.id).execute()
        run.stored_accounted_at = now
        self._stored_waiting.update((t.id, t.waiting_seconds) for t in changed)
        return True
