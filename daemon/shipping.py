"""Log shipping: executor output → masked, numbered lines in log_chunk, exactly once, completely.

Each store takes what the task wrote after the stored cursor (a few executor reads, up to
BATCH_BYTES), and its lines and the new cursor are stored in one transaction, so a daemon
killed between two stores re-reads from the last stored cursor: no line lost, none
repeated. Executors hand over whole lines (a line is what ends in "\\n"; the partial last
line stays behind the cursor until it is complete), so masking always sees a whole line and
no read boundary splits a secret. A line longer than MAX_LINE_BYTES comes in pieces, each
ending in the executor's CONTINUES marker and cut (by `safe_cut`) where no secret spans the
cut. The batch is worked on as one block of bytes (daemon/log_blocks.py: no Python step per
line unless a line is too long or a secret occurs). `ship` works within a time budget and
says whether it stored everything there was: a task is only finished once it did, over as
many ticks as that takes (the loop ticks again at once while one is behind). Past the log
cap, output is read and dropped, after one visible line.
"""
from __future__ import annotations

import json
import time

from daemon import faults, log_blocks
from daemon.executors.base import MAX_LINE_BYTES
from models import logs
from models.db import write_transaction
from models.secrets import Masker
from models.tables import TaskRun

BATCH_BYTES = 4 * 1024 * 1024     # output read (several executor reads) before one store, one transaction
BUDGET_SECONDS = 0.2


def ship(executor, task_run: TaskRun, handle: dict, masker: Masker, now=None, cap_bytes: int | None = None) -> bool:
    """Move new output into the database. True when all the output there is has been stored
    (or dropped past the cap); False when the budget ran out first (call again)."""
    cursor = json.loads(task_run.log_cursor_json) if task_run.log_cursor_json else None
    deadline = time.monotonic() + BUDGET_SECONDS

    def cut(raw, at, final):
        return safe_cut(masker, raw, at, final)
    while True:
        # Reads are batched so a store costs one transaction per few MB, not per read block;
        # the batch is still whole lines: a block without its "\n" (the task's last line) ends it.
        blocks, end, size = [], cursor, 0
        while size < BATCH_BYTES and (not blocks or blocks[-1].endswith(b"\n")):
            data, new_cursor = executor.read_output(handle, end, safe_cut=cut)
            if not data and new_cursor == end:
                break
            blocks.append(data)
            size, end = size + len(data), new_cursor
        if end == cursor and not blocks:
            return True
        _store(task_run, blocks[0] if len(blocks) == 1 else b"".join(blocks), end, masker, now, cap_bytes)
        faults.point("ship.after_store")
        cursor = end
        if time.monotonic() >= deadline:
            return False


def _store(task_run, data: bytes, new_cursor, masker, now, cap_bytes) -> None:
    """Store `data` (whole lines from the executor) and the cursor after it, in one transaction."""
    if task_run.log_truncated_at is not None or not data:    # past the cap: keep reading, store only the cursor
        with write_transaction():
            logs.append_chunks(task_run, [], new_cursor, at=now)
        return
    body = log_blocks.clean(data)
    if log_blocks.has_long_line(body):
        body = log_blocks.split_long_lines(body, lambda raw, at: safe_cut(masker, raw, at))
    truncated = note = None
    if cap_bytes is not None and task_run.log_bytes + len(data) > cap_bytes:
        body = log_blocks.within(body, cap_bytes - task_run.log_bytes)
        truncated = task_run.log_bytes + len(body)
        note = (f"[millrace] log truncated at {truncated} bytes (the log_cap_mb setting); "
                f"the task goes on, its further output is not kept\n").encode()
    body = masker.mask_block(body)
    pieces = log_blocks.chunks(body) + ([(note, 1)] if note else [])
    with write_transaction():
        task_run.log_bytes += len(data)
        fields = {TaskRun.log_bytes: task_run.log_bytes}
        if truncated is not None:
            task_run.log_truncated_at = fields[TaskRun.log_truncated_at] = truncated
        logs.append_chunks(task_run, pieces, new_cursor, at=now, fields=fields)
        faults.point("ship.before_commit")


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
