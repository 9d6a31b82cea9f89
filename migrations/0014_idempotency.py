"""Idempotency keys of run creation through the REST API (issue 16).

`POST /api/v1/pipelines/<name>/runs` with `Idempotency-Key: K`: the first request stores
(actor, K) → the run it queued; the same actor's same key within 24 hours gets that run
back and queues nothing (models/idempotency.py). A key older than that is replaced.
"""
atomic = True

STATEMENTS = [
    """CREATE TABLE idempotency_key (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        actor TEXT NOT NULL,                        -- who sent it (a user's name): keys are per user
        key TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
        pipeline_id INTEGER NOT NULL REFERENCES pipeline(id),
        run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
        created_at DATETIME NOT NULL,
        UNIQUE (actor, key))""",
    "CREATE INDEX idempotency_key_created ON idempotency_key(created_at)",
]


def up(migrator, db):
    for statement in STATEMENTS:
        db.execute_sql(statement)
