"""The data directory (`--home`, `$MILLRACE_HOME`, default `~/.millrace`) and opening it.

It holds `millrace.db`, `secret.key`, run workspaces under `runs/`, and the daemon's
wake-up socket. `open_home()` is what every entry point calls first.
"""
from __future__ import annotations

import os
from pathlib import Path

from models import db, schema, secrets

_home: Path | None = None


def resolve(home=None) -> Path:
    return Path(home or os.environ.get("MILLRACE_HOME") or Path.home() / ".millrace").expanduser().resolve()


def open_home(home=None, *, migrate=False, require_current=True) -> Path:
    """Create the directory if needed, open the database, load the secret key.

    With `migrate`, apply pending migrations; otherwise (by default) refuse a database
    that needs them, naming the command that fixes it. Always, a database migrated by a
    newer Millrace is refused (schema.SchemaTooNew: upgrade Millrace), before anything
    reads or writes it.
    """
    global _home
    path = resolve(home)
    path.mkdir(parents=True, exist_ok=True)
    (path / "runs").mkdir(exist_ok=True)
    os.chmod(path, 0o700)
    db.open_db(path / "millrace.db")
    secrets.load_key(path)
    if migrate:
        schema.migrate(path / "millrace.db")
    elif require_current:
        schema.require_current(path / "millrace.db")
    else:
        schema.require_known(path / "millrace.db")
    _home = path        # only once the schema is this code's: current() means "safe to use"
    return path


def current() -> Path:
    if _home is None:
        raise RuntimeError("open_home() was not called")
    return _home


def wake_socket_path() -> Path:
    return current() / "daemon.sock"
