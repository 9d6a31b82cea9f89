"""Opening the database: the only place SQLite pragmas live.

Both processes (dashboard, daemon) and the CLI call `open_db(path)`. WAL lets readers
run beside the one writer; the busy timeout makes a writer wait for the lock instead of
failing with "database is locked"; every write transaction that reads first must use
`write_transaction()` (BEGIN IMMEDIATE) so SQLite never has to abort a lock upgrade.

Connections are pooled (peewee's PooledSqliteDatabase): the dashboard opens one per request
and closes it at the end (dashboard/app.py), and a new SQLite connection pays for reading
the whole schema on its first statement — measured 1.1 ms of a 3.4 ms /api/health. A closed
connection goes back to the pool (its open transaction rolled back) for the next request;
so, as rule 10 of docs/architecture.md already asks, no query is left half-read past a
request (an unfinished SELECT would keep its snapshot on the pooled connection).

Writers of one process queue on a lock of their own before they ask SQLite: SQLite's busy
handler makes a waiting connection sleep 1, 2, 5 … 100 ms between tries, so 20 dashboard
threads writing at once were served in no order, and one waited over a second for a lock
that was free most of that time. Across processes (dashboard, daemon, CLI) the busy
timeout still decides.
"""
from __future__ import annotations

import datetime as dt
import threading
from contextlib import contextmanager

from peewee import Model
from playhouse.pool import PooledSqliteDatabase

BUSY_TIMEOUT_MS = 30_000

# No cap: each thread holds at most one; one idle longer than 5 minutes is closed, not reused.
database = PooledSqliteDatabase(None, max_connections=None, stale_timeout=300)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


def open_db(path) -> PooledSqliteDatabase:
    """Point the shared database object at `path` (idempotent for the same path)."""
    path = str(path)
    if not database.is_closed() and database.database == path:
        return database
    if database.database is not None and database.database != path:
        database.close_all()            # pooled connections to another file must not be handed out
    elif not database.is_closed():
        database.close()
    # check_same_thread=False: a pooled connection serves one thread at a time, not always the same one
    database.init(path, check_same_thread=False, pragmas={
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
