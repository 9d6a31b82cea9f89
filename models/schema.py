"""Schema state: which migrations are applied, applying them, refusing to run on an old schema."""
from __future__ import annotations

from pathlib import Path

from playhouse.migrations import Runner

from models.db import database

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class SchemaOutOfDate(RuntimeError):
    pass


def _runner() -> Runner:
    return Runner(database, str(MIGRATIONS_DIR))


def pending() -> list[str]:
    return [m.name for m in _runner().status() if m.applied is None and m.path is not None]


def migrate() -> list[str]:
    """Apply every pending migration, in order; return their names."""
    return _runner().up()


def require_current(db_path) -> None:
    todo = pending()
    if todo:
        raise SchemaOutOfDate(
            f"the database {db_path} needs {len(todo)} migration(s) ({', '.join(todo)}); "
            f"run: python run.py migrate" + ("" if str(db_path).endswith("/.millrace/millrace.db") else f" --home {Path(db_path).parent}"))
