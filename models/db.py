"""Opening the database: the only place SQLite pragmas live.

Both processes (dashboard, daemon) and the CLI call `open_db(path)`. WAL lets readers
run beside the one writer; the busy timeout makes a writer wait for the lock instead of
failing with "database is locked"; every write transaction that reads first must use
`write_transaction()` (BEGIN IMMEDIATE) so SQLite never has to abort a lock upgrade.

Writers of one process queue on a lock of their own before they ask SQLite: SQLite's busy
handler makes a waiting connection sleep 1, 2, 5 … 100 ms between tries, so 20 dashboard
threads writing at once were served in no order, and one could wait 400 ms for a lock that
was free most of that time. Across processes (dashboard, daemon, CLI) the busy timeout
still decides.
"""
from __future__ import annotations

import datetime as dt
import threading
from contextlib import contextmanager

from peewee import Model, SqliteDatabase

BUSY_TIMEOUT_MS = 30_000

database = SqliteDatabase(None)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


def open_db(path) -> SqliteDatabase:
    """Point the shared database object at `path` (idempotent for the same path)."""
    path = str(path)
    if not database.is_closed() and database.database == path:
        return database
    if not database.is_closed():
        database.close()
    database.init(path, timeout=BUSY_TIMEOUT_MS / 1000, pragmas={
        "journal_mode": "wal",
        "busy_timeout": BUSY_TIMEOUT_MS,
        "foreign_keys": 1,
        "synchronous": "normal",
    })
    database.connect(reuse_if_open=True)
    return database


_writers = threading.RLock()   # re-entrant: a nested write_transaction() is a savepoint


@contextmanager
def write_transaction():
    """A BEGIN IMMEDIATE transaction: take the write lock up front (waiting up to the busy timeout),
    after this process's other writers (in the order they came)."""
    with _writers, database.atomic(lock_type="IMMEDIATE") as transaction:
        yield transaction


def utcnow() -> dt.datetime:
    """Naive UTC, the one time representation stored in the database."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
