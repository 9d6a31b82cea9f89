"""Task logs as numbered chunks of lines, written by the daemon, read by everyone else.

A chunk is appended in the same transaction that advances the task run's cursor
(`log_cursor_json`), and (task_run_id, first_line) is unique: a line is stored exactly once,
whatever restarts happen in between. Readers page by line number, so the dashboard can
show the tail of a 200,000-line log and only fetch what is new.
"""
from __future__ import annotations

import json

from models.db import utcnow
from models.tables import LogChunk, TaskRun


def append(task_run: TaskRun, lines: list[str], cursor, at=None) -> None:
    """Store `lines` (without newlines) and the new cursor. Call inside write_transaction()."""
    fields = {TaskRun.log_cursor_json: json.dumps(cursor)}
    if lines:
        LogChunk.create(task_run=task_run.id, first_line=task_run.log_lines + 1, line_count=len(lines),
                        content="".join(line + "\n" for line in lines), logged_at=at or utcnow())
        task_run.log_lines += len(lines)
        fields[TaskRun.log_lines] = task_run.log_lines
    TaskRun.update(fields).where(TaskRun.id == task_run.id).execute()
    task_run.log_cursor_json = json.dumps(cursor)


def lines_after(task_run_id: int, after_line: int = 0, limit: int | None = None):
    """Yield (line_number, logged_at, text) for lines numbered > after_line."""
    query = (LogChunk.select().where((LogChunk.task_run == task_run_id)
                                     & (LogChunk.first_line + LogChunk.line_count > after_line + 1))
             .order_by(LogChunk.first_line))
    sent = 0
    for chunk in query:
        for offset, text in enumerate(chunk.content.splitlines()):
            number = chunk.first_line + offset
            if number <= after_line:
                continue
            yield number, chunk.logged_at, text
            sent += 1
            if limit is not None and sent >= limit:
                return


def tail(task_run_id: int, count: int):
    """The last `count` lines: (line_number, logged_at, text) in order."""
    total = TaskRun.select(TaskRun.log_lines).where(TaskRun.id == task_run_id).scalar() or 0
    return list(lines_after(task_run_id, max(0, total - count)))


def text(task_run_id: int, timestamps: bool = True) -> str:
    out = []
    for _, at, line in lines_after(task_run_id, 0):
        out.append(f"{at:%Y-%m-%d %H:%M:%S} {line}" if timestamps else line)
    return "\n".join(out) + ("\n" if out else "")
