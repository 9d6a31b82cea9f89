"""Log shipping: executor output → masked, numbered lines in log_chunk, exactly once.

Each call reads what the task wrote after the stored cursor and stores those lines and
the new cursor in one transaction, so a daemon killed between two calls re-reads from
the last stored cursor: no line lost, none repeated. Masking works on whole lines (the
executors hand over complete lines), so a secret split across two writes is masked too.
"""
from __future__ import annotations

import json
import time

from models import logs
from models.db import write_transaction
from models.secrets import Masker
from models.tables import TaskRun

MAX_LINES_PER_CHUNK = 5000
BUDGET_SECONDS = 0.2


def ship(executor, task_run: TaskRun, handle: dict, masker: Masker, now=None) -> int:
    """Move new output into the database; returns the number of lines stored."""
    cursor = json.loads(task_run.log_cursor_json) if task_run.log_cursor_json else None
    stored, deadline = 0, time.monotonic() + BUDGET_SECONDS
    while time.monotonic() < deadline:
        data, new_cursor = executor.read_output(handle, cursor)
        if not data and new_cursor == cursor:
            break
        lines = data.decode("utf-8", errors="replace").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        masked = [masker(line.rstrip("\r")) for line in lines] if masker.values else [l.rstrip("\r") for l in lines]
        with write_transaction():
            for start in range(0, max(len(masked), 1), MAX_LINES_PER_CHUNK):
                part = masked[start:start + MAX_LINES_PER_CHUNK]
                last = start + MAX_LINES_PER_CHUNK >= len(masked)
                logs.append(task_run, part, new_cursor if last else cursor, at=now)
        stored += len(masked)
        cursor = new_cursor
    return stored


def note(task_run: TaskRun, text: str, now=None) -> None:
    """Millrace's own line(s) in a task log (not from the task); keeps the output cursor."""
    cursor = json.loads(task_run.log_cursor_json) if task_run.log_cursor_json else None
    with write_transaction():
        logs.append(task_run, [f"[millrace] {line}" for line in text.splitlines()], cursor, at=now)
