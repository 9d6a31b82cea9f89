"""Small facts about the processes serving a data directory, kept as files beside the database:
the address the dashboard serves (so `run.py webhook` prints URLs for the port really
served, not a default) and the daemon restarts `run.py up` made (so the dashboard can say
that its daemon died and was restarted). Files rather than rows: they are written by
processes that are starting or supervising, with no schema to wait for, and losing one
loses a hint, never a fact of a run.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from models import home

URL_FILE = "dashboard.url"
RESTARTS_FILE = "daemon-restarts.json"


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)                     # readers never see half a file


def record_url(host: str, port: int) -> str:
    """The dashboard's base URL, written when it starts serving."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    url = f"http://{shown}:{port}"
    _write(home.current() / URL_FILE, url + "\n")
    return url


def dashboard_url(default: str = "http://127.0.0.1:8050") -> str:
    try:
        return (home.current() / URL_FILE).read_text().strip() or default
    except OSError:
        return default


def record_restart(exit_code: int | None, pid: int, delay: float) -> None:
    """`up` restarted its daemon: when, why (the exit code, -9 for SIGKILL) and the new pid."""
    path = home.current() / RESTARTS_FILE
    try:
        count = json.loads(path.read_text()).get("count", 0)
    except (OSError, ValueError):
        count = 0
    _write(path, json.dumps({"count": count + 1, "at": time.time(), "exit_code": exit_code, "pid": pid,
                             "delay": delay}))


def last_restart() -> dict | None:
    try:
        return json.loads((home.current() / RESTARTS_FILE).read_text())
    except (OSError, ValueError):
        return None
