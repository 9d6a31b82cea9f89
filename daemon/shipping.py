"""Log shipping: executor output → masked, numbered lines in log_chunk, exactly once, completely.

Each read takes what the task wrote after the stored cursor, and its lines and the new
cursor are stored in one transaction, so a daemon killed between two calls re-reads from
the last stored cursor: no line lost, none repeated. Executors hand over whole lines (a
line is what ends in "\\n"; the partial last line stays behind the cursor until it is
complete), so masking always sees a whole line and no read boundary splits a secret. A
line longer than MAX_LINE_BYTES comes in pieces, each ending in the executor's CONTINUES
marker and cut (by `safe_cut`) where no secret spans the cut. `ship` works within a time budget and says whether
it stored everything there was: a task is only finished once it did, over as many ticks
as that takes. Past the log cap, output is read and dropped, after one visible line.
"""
from __future__ import annotations

import json
import time

from daemon.executors.base import CONTINUES, MAX_LINE_BYTES
from models import logs
from models.db import write_transaction
from models.secrets import Masker
from models.tables import TaskRun

MAX_LINES_PER_CHUNK = 5000
BUDGET_SECONDS = 0.2


def ship(executor, task_run: TaskRun, handle: dict, masker: Masker, now=None, cap_bytes: int | None = None) -> bool:
    """Move new output into the database. True when all the output there is has been stored
    (or dropped past the cap); False when the budget ran out first (call again)."""
    cursor = json.loads(task_run.log_cursor_json) if task_run.log_cursor_json else None
    deadline = time.monotonic() + BUDGET_SECONDS
    while True:
        data, new_cursor = executor.read_output(handle, cursor, safe_cut=lambda raw, cut, final: safe_cut(masker, raw, cut, final))
        if not data and new_cursor == cursor:
            return True
        _store(task_run, data, cursor, new_cursor, masker, now, cap_bytes)
        cursor = new_cursor
        if time.monotonic() >= deadline:
            return False


def _store(task_run, data: bytes, cursor, new_cursor, masker, now, cap_bytes) -> None:
    if task_run.log_truncated_at is not None:      # past the cap: keep reading, store only the cursor
        with write_transaction():
            logs.append(task_run, [], new_cursor, at=now)
        return
    lines = data.decode("utf-8", errors="replace").split("\n")
    if lines[-1] == "":
        lines.pop()                    # the text ended with its newline (else: the task's last, unterminated line)
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]    # CRLF: the \r is the ending
    if any(len(line) > MAX_LINE_BYTES // 4 for line in lines):     # a character is at most 4 bytes
        lines = [piece for line in lines for piece in _pieces(masker, line)]
    truncated = None
    if cap_bytes is not None and task_run.log_bytes + len(data) > cap_bytes:
        lines, kept = _within(lines, cap_bytes - task_run.log_bytes)
        truncated = task_run.log_bytes + kept
        lines.append(f"[millrace] log truncated at {truncated} bytes (the log_cap_mb setting); "
                     f"the task goes on, its further output is not kept")
    masked = masker.mask_lines(lines) if masker.values else lines
    with write_transaction():
        for start in range(0, max(len(masked), 1), MAX_LINES_PER_CHUNK):
            part = masked[start:start + MAX_LINES_PER_CHUNK]
            last = start + MAX_LINES_PER_CHUNK >= len(masked)
            logs.append(task_run, part, new_cursor if last else cursor, at=now)
        task_run.log_bytes += len(data)
        fields = {TaskRun.log_bytes: task_run.log_bytes}
        if truncated is not None:
            task_run.log_truncated_at = fields[TaskRun.log_truncated_at] = truncated
        TaskRun.update(fields).where(TaskRun.id == task_run.id).execute()


def _pieces(masker, line: str) -> list[str]:
    """A line over the limit as marked pieces, cut like the local executor cuts a line it
    cannot hand over whole (a pod's log lines come whole; so does a long line that ends
    within the local executor's read block). A piece the executor made stays as it is."""
    raw, marker, out = line.encode(), CONTINUES.rstrip(b"\n").decode(), []
    body = raw[:-len(marker)] if raw.endswith(marker.encode()) else raw
    if len(body) <= MAX_LINE_BYTES:
        return [line]
    while len(raw) > MAX_LINE_BYTES:
        cut = safe_cut(masker, raw, MAX_LINE_BYTES)          # the whole line is there: final
        out.append(raw[:cut].decode("utf-8", errors="replace") + marker)
        raw = raw[cut:]
    return out + [raw.decode("utf-8", errors="replace")]


def _within(lines: list[str], room: int) -> tuple[list[str], int]:
    """The whole lines that fit in `room` bytes (counting their newlines), and their size."""
    kept, used = [], 0
    for line in lines:
        size = len(line.encode()) + 1
        if used + size > room:
            break
        kept.append(line)
        used += size
    return kept, used


def safe_cut(masker: Masker, raw: bytes, cut: int, final: bool = True) -> int:
    """Where to cut a long line's piece so that no secret form spans the cut: moved back
    before any form across it (again until it stays put: moving it can put another form
    across it), then onto a UTF-8 character boundary. While the task still runs, 0 ("wait")
    unless enough of the line is there to see every form that could cross the cut — a
    secret being written right at the cut must not be cut in two."""
    longest = max((len(form.encode()) for form in masker.values), default=0)
    if not final and len(raw) < cut + longest - 1:
        return 0
    forms = [form.encode() for form in masker.values]
    moved = True
    while moved and cut > 0:
        moved = False
        for form in forms:
            at = raw.find(form, max(0, cut - len(form) + 1), cut + len(form) - 1)
            while at != -1 and at < cut:
                if at + len(form) > cut:
                    cut, moved = at, True
                    break
                at = raw.find(form, at + 1, cut + len(form) - 1)
    while 0 < cut < len(raw) and (raw[cut] & 0xC0) == 0x80:     # inside a UTF-8 character
        cut -= 1
    # a form longer than the limit at the very start cannot be kept whole: cut at the limit
    return cut if cut > 0 else min(len(raw), MAX_LINE_BYTES)


def note(task_run: TaskRun, text: str, now=None) -> None:
    """Millrace's own line(s) in a task log (not from the task); keeps the output cursor."""
    cursor = json.loads(task_run.log_cursor_json) if task_run.log_cursor_json else None
    with write_transaction():
        logs.append(task_run, [f"[millrace] {line}" for line in text.split("\n")], cursor, at=now)
