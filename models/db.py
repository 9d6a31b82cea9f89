"""Opening the database: the only place SQLite pragmas live.

Both processes (dashboard, daemon) and the CLI call `open_db(path)`. WAL lets readers
run beside the one writer; the busy timeout makes a writer wait for the lock instead of
failing with "database is locked"; every write transaction that reads first must use
`write_transaction()` (BEGIN IMMEDIATE) so SQLite never has to abort a lock upgrade.
"""
from __future__ import annotations

import datetime as dt

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


def write_transaction():
    """A BEGIN IMMEDIATE transaction: take the write lock up front (waiting up to the busy timeout)."""
    return database.atomic(lock_type="IMMEDIATE")


def utcnow() -> dt.datetime:
    """Naive UTC, the one time representation stored in the database."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
