"""Idempotency keys: a retried "start a run" request gets the run the first one queued.

`once(actor, key, pipeline, start)` looks the key up and, only when it is new (or older than
KEEP), calls `start()` and stores the key with the run it returns — all in one BEGIN
IMMEDIATE transaction, so two requests with the same key at once queue one run: the second
waits for the write lock and then finds the first's key. Keys are per actor (a user's name):
another user's same key is another key. Migration 0014 made the table.
"""
from __future__ import annotations

import datetime as dt

from peewee import AutoField, DateTimeField, IntegerField, TextField

from models.db import BaseModel, utcnow, write_transaction
from models.errors import Conflict, on_field
from models.i18n import N_
from models.nudge import wake_daemon
from models.tables import Run

KEEP = dt.timedelta(hours=24)
MAX_LENGTH = 200


class IdempotencyKey(BaseModel):
    id = AutoField()
    actor = TextField()
    key = TextField()
    pipeline_id = IntegerField()
    run_id = IntegerField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "idempotency_key"


def check(key: str) -> str:
    if not key or len(key) > MAX_LENGTH or not key.isprintable():
        raise on_field(ValueError(N_("an Idempotency-Key is 1 to {max} printable characters", max=MAX_LENGTH)),
                       "Idempotency-Key")
    return key


def once(actor: str, key: str, pipeline, start, now=None) -> tuple[Run, bool]:
    """(the run, True) when `start()` queued it now; (the stored run, False) for a key seen
    within KEEP. The same key used for another pipeline is a Conflict."""
    now = now or utcnow()
    with write_transaction():
        forget_old(now)
        found = IdempotencyKey.get_or_none(IdempotencyKey.actor == actor, IdempotencyKey.key == key)
        run = Run.get_or_none(Run.id == found.run_id) if found is not None else None
        if run is not None:
            if found.pipeline_id != pipeline.id:
                raise on_field(Conflict(N_("this Idempotency-Key was used for run {run} of another pipeline",
                                           run=run.label)), "Idempotency-Key")
            return run, False
        if found is not None:
            found.delete_instance()
        run = start()
        IdempotencyKey.create(actor=actor, key=key, pipeline_id=pipeline.id, run_id=run.id, created_at=now)
    wake_daemon()           # start() woke it inside the transaction, before the run was committed
    return run, True


def forget_old(now=None) -> int:
    """Remove keys older than KEEP (nothing needs them; `once` does it as it goes); returns how many."""
    return IdempotencyKey.delete().where(IdempotencyKey.created_at <= (now or utcnow()) - KEEP).execute()
