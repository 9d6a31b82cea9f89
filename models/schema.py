"""Schema state: which migrations are applied, applying them, and refusing to run on a
database that does not match this code — older (it needs `migrate`) or newer (it was
migrated by a newer Millrace, which this code must not touch: downgrades, two installs).

Applied migrations are the rows of playhouse's `schema_migration` table; a row whose
file is not in migrations/ is a migration this code does not know.
"""
from __future__ import annotations

from pathlib import Path

from playhouse.migrations import Runner

from models.db import database
from models.i18n import N_

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class SchemaMismatch(RuntimeError):
    """The database and this code disagree on the schema; the message (one line) says what to do."""


class SchemaOutOfDate(SchemaMismatch):
    pass


class SchemaTooNew(SchemaMismatch):
    pass


def _runner() -> Runner:
    return Runner(database, str(MIGRATIONS_DIR))


def pending() -> list[str]:
    return [m.name for m in _runner().status() if m.applied is None and m.path is not None]


def unknown() -> list[str]:
    """Applied migrations that this code has no file for: the database is newer than the code."""
    return [m.name for m in _runner().status() if m.path is None]


def require_known(db_path=None) -> None:
    """Refuse a database migrated by a newer Millrace: its tables have columns and meanings
    this code does not know, so running on it would fail later, or worse, half-write."""
    extra = unknown()
    if extra:
        known = [m.name for m in _runner().migrations()]
        raise SchemaTooNew(N_(
            "the database {path} was migrated by a newer Millrace: it has {count} migration(s) this version does "
            "not know ({names}; this version knows up to {last}); upgrade Millrace to the version that wrote it",
            path=str(db_path or database.database), count=len(extra), names=", ".join(extra),
            last=known[-1] if known else N_("none")))


def migrate(db_path=None) -> list[str]:
    """Apply every pending migration, in order; return their names. Refused on a newer database:
    applying this code's migrations there would not make it this code's schema."""
    require_known(db_path)
    return _runner().up()


def require_current(db_path) -> None:
    require_known(db_path)
    todo = pending()
    if todo:
        home = "" if str(db_path).endswith("/.millrace/millrace.db") else f" --home {Path(db_path).parent}"
        raise SchemaOutOfDate(N_("the database {path} needs {count} migration(s) ({names}); run: python run.py "
                                 "migrate{home}", path=str(db_path), count=len(todo), names=", ".join(todo),
                                 home=home))
