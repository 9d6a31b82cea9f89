"""Commit statuses: one row per run and state the daemon reports to the forge.

A run of a pipeline whose code source names an account reports `pending` once its commit
is pinned and it has not ended, and `success` / `failure` / `error` (stopped, timed out)
when it ends — each exactly once: the row is UNIQUE (run, state), it is marked reported
when the forge accepted it, and retried with a growing delay (at most ATTEMPTS times)
while the forge refuses or cannot be reached. A failure to report is shown on the run
page and never changes the run. The rows are written and sent by daemon/commit_status.py.
"""
from __future__ import annotations

import datetime as dt

from peewee import AutoField, DateTimeField, ForeignKeyField, IntegerField, IntegrityError, TextField

from models import i18n
from models.db import BaseModel, utcnow, write_transaction
from models.status import Status
from models.tables import Run

ATTEMPTS = 8
FINAL = {Status.SUCCEEDED: "success", Status.FAILED: "failure", Status.STOPPED: "error",
         Status.TIMED_OUT: "error", Status.SKIPPED: "error"}


class CommitStatus(BaseModel):
    id = AutoField()
    run = ForeignKeyField(Run, column_name="run_id", backref="commit_statuses", on_delete="CASCADE")
    state = TextField()
    sha = TextField()
    context = TextField()
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    reported_at = DateTimeField(null=True)
    gave_up_at = DateTimeField(null=True)
    last_error = TextField(default="")
    last_error_message = TextField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "commit_status"

    @property
    def shown_error(self) -> str:
        return i18n.shown(self.last_error, self.last_error_message)


TABLES = [CommitStatus]


def context_of(pipeline_name: str) -> str:
    return f"millrace/{pipeline_name}"


def add(run: Run, state: str, now: dt.datetime) -> bool:
    """The row for (run, state), once; False when it was there already."""
    try:
        with write_transaction():
            CommitStatus.create(run=run, state=state, sha=run.commit_sha, context=context_of(run.pipeline.name),
                                next_attempt_at=now, created_at=now)
        return True
    except IntegrityError:
        return False


def due(now: dt.datetime, limit: int = 50) -> list[CommitStatus]:
    return list(CommitStatus.select().where(CommitStatus.reported_at.is_null() & CommitStatus.gave_up_at.is_null()
                                            & (CommitStatus.next_attempt_at <= now))
                .order_by(CommitStatus.id).limit(limit))


def reported(row: CommitStatus, now: dt.datetime) -> None:
    with write_transaction():
        CommitStatus.update(reported_at=now, attempts=row.attempts + 1, last_error="", last_error_message=None) \
            .where(CommitStatus.id == row.id).execute()


def failed(row: CommitStatus, error, now: dt.datetime, *, final: bool = False) -> None:
    """An attempt failed: try again later (5 s, 10 s, 20 s … at most 10 min), or give up."""
    attempts = row.attempts + 1
    give_up = final or attempts >= ATTEMPTS
    with write_transaction():
        CommitStatus.update(attempts=attempts, last_error=i18n.english(error)[:2000],
                            last_error_message=error.to_json() if isinstance(error, i18n.Msg) else None,
                            next_attempt_at=now + dt.timedelta(seconds=min(600, 5 * 2 ** (attempts - 1))),
                            gave_up_at=now if give_up else None).where(CommitStatus.id == row.id).execute()


def of_run(run: Run) -> list[CommitStatus]:
    return list(CommitStatus.select().where(CommitStatus.run == run).order_by(CommitStatus.id))
