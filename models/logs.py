"""Task logs as numbered chunks of lines, written by the daemon, read by everyone else.

A chunk is appended in the same transaction that advances the task run's cursor
(`log_cursor_json`), and (task_run_id, first_line) is unique: a line is stored exactly once,
whatever restarts happen in between. Readers page by line number, so the dashboard can
show the tail of a 200,000-line log and only fetch what is new.

A line is what ends in "\\n", and nothing else: every reader splits on "\\n" only, so line
numbers are the ones the shipper counted (`task_run.log_lines`). A carriage return stays in
the stored text; `last_state()` is how the CLI and the dashboard show such a line (what a
terminal shows of a progress bar: the text after the last "\\r").

Storage (migration 0007): a chunk whose text compresses to less than KEEP_RATIO of its size
is stored as one zstd frame in `data` (`compression = 'zstd'`, `content = ''`); others (a
line or two, incompressible output) stay plain text in `content`. docs/architecture.md,
"Log storage", has the measurements. Readers handle both, and rows older than 0007.

Streams: a stored line that begins with STDERR_MARK ("\\x1e") was written to stderr (a
task's own "\\x1e" there is stored as "␞": daemon/log_blocks.clean). Readers drop the
marker (one `str.replace` per chunk) unless asked for `streams`: downloads, search and
every other reader see the task's text only; the log viewer and the CLI ask, and tell
stderr lines apart with `stream_of`.

Reading is in bounded batches: a query reads at most BATCH_CHUNKS chunk headers, or chunk
texts adding up to BATCH_BYTES (at least one chunk), and is read to its end before anything
is yielded. So a slow consumer (`run.py logs --follow` printing to a terminal, a download
to a slow client) never holds a read snapshot open, and memory stays bounded whatever the
log's size.
"""
from __future__ import annotations

import json
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, NamedTuple

import zstandard
from peewee import SQL, fn

from models.db import utcnow
from models.tables import LogChunk, TaskRun

ZSTD_LEVEL = 1               # measured: 3× zlib-1's speed at a better ratio; level 3 gains 2 % of size for 14 % more CPU
KEEP_RATIO = 0.9             # compressed only when that saves a tenth or more
BATCH_CHUNKS = 256           # chunk headers per query
BATCH_BYTES = 2 * 1024 * 1024  # chunk text per query (at least one chunk)

STDERR_MARK = "\x1e"       # a stored line's first character when the task wrote it to stderr

_local = threading.local()   # zstd contexts are not thread-safe; the dashboard serves from threads
_pool: ThreadPoolExecutor | None = None     # compresses a big store's chunks in parallel (_encode_all)


def _compressor() -> zstandard.ZstdCompressor:
    c = getattr(_local, "compressor", None)
    if c is None:
        c = _local.compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
    return c


def _decompressor() -> zstandard.ZstdDecompressor:
    d = getattr(_local, "decompressor", None)
    if d is None:
        d = _local.decompressor = zstandard.ZstdDecompressor()
    return d


def encode(text: str) -> dict:
    """The LogChunk fields that store `text`: compressed if that pays, else plain."""
    return encode_raw(text.encode("utf-8", errors="replace"), text)


def encode_raw(raw: bytes, text: str | None = None) -> dict:
    """encode() of valid UTF-8 bytes (`text`: the same as a str, if the caller has it)."""
    if len(raw) >= 64:
        packed = _compressor().compress(raw)
        if len(packed) < KEEP_RATIO * len(raw):
            return {"compression": "zstd", "content": "", "data": packed, "text_bytes": len(raw)}
    return {"compression": "", "content": raw.decode() if text is None else text, "data": None, "text_bytes": len(raw)}


def _encode_all(raws: list[bytes]):
    """encode_raw of each, compressed on all cores when there are several: zstd lets go of
    the GIL while it compresses, and compressing is most of a big store's CPU."""
    if len(raws) < 2:
        return map(encode_raw, raws)
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)), thread_name_prefix="zstd")
    return _pool.map(encode_raw, raws)


def decode(compression: str, content: str, data) -> str:
    if compression == "zstd":
        return _decompressor().decompress(bytes(data)).decode("utf-8", errors="replace")
    if compression:
        raise ValueError(f"log chunk stored with unknown compression '{compression}'")
    return content


def append(task_run: TaskRun, lines: list[str], cursor, at=None) -> None:
    """Store `lines` (without their "\\n"; "\\r" allowed) and the new cursor. Call inside write_transaction()."""
    text = "\n".join(lines) + "\n"
    append_chunks(task_run, [(text.encode("utf-8", errors="replace"), len(lines))] if lines else [], cursor, at)


def append_chunks(task_run: TaskRun, chunks: list[tuple[bytes, int]], cursor, at=None, fields=None) -> None:
    """Store chunks, each (UTF-8 text of lines that each end in "\\n", their count), as rows
    of one INSERT, and the new cursor (and other task run `fields`) in one UPDATE. Call
    inside write_transaction()."""
    fields = {**(fields or {}), TaskRun.log_cursor_json: json.dumps(cursor)}
    if chunks:
        at, first, rows = at or utcnow(), task_run.log_lines + 1, []
        for (raw, count), encoded in zip(chunks, _encode_all([raw for raw, _ in chunks])):
            rows.append({"task_run": task_run.id, "first_line": first, "line_count": count, "logged_at": at,
                         **encoded})
            first += count
        LogChunk.insert_many(rows).execute()
        task_run.log_lines = fields[TaskRun.log_lines] = first - 1
    TaskRun.update(fields).where(TaskRun.id == task_run.id).execute()
    task_run.log_cursor_json = json.dumps(cursor)


class Piece(NamedTuple):
    """Consecutive stored lines: `text` is `count` lines, each ending in "\\n", numbered from `first`."""
    first: int
    count: int
    logged_at: object
    text: str


_SIZE = SQL("CASE WHEN text_bytes > 0 THEN text_bytes ELSE length(content) END")


def _start(task_run_id: int, after_line: int) -> int:
    """first_line of the chunk that holds line after_line + 1 (an index seek, not a scan)."""
    found = (LogChunk.select(fn.MAX(LogChunk.first_line))
             .where((LogChunk.task_run == task_run_id) & (LogChunk.first_line <= after_line + 1)).scalar())
    return found or 1


def unmarked(text: str) -> str:
    """Lines (each ending in "\\n") without their stderr markers: the task's text only."""
    if STDERR_MARK not in text:                     # most chunks: one scan, no copy
        return text
    text = text.replace("\n" + STDERR_MARK, "\n")
    return text[1:] if text.startswith(STDERR_MARK) else text


def stream_of(line: str) -> tuple[bool, str]:
    """(whether it was written to stderr, its text) of a line read with `streams`."""
    return (True, line[1:]) if line.startswith(STDERR_MARK) else (False, line)


def pieces(task_run_id: int, after_line: int = 0, wanted: int | None = None, streams: bool = False) -> Iterator[Piece]:
    """Yield the lines numbered > after_line, a stored chunk (or the end of one) at a time.
    With `wanted`, a batch stops at the chunk that covers that many lines: a window of a few
    hundred lines reads one or two chunks, never a 2 MiB batch (constant time per window).
    With `streams`, a stderr line keeps its STDERR_MARK (`stream_of` tells)."""
    start = _start(task_run_id, after_line)
    while True:
        headers = list(LogChunk.select(LogChunk.first_line, _SIZE, LogChunk.line_count)
                       .where((LogChunk.task_run == task_run_id) & (LogChunk.first_line >= start))
                       .order_by(LogChunk.first_line).limit(BATCH_CHUNKS if wanted is None else 2 + wanted // 64)
                       .tuples())
        if not headers:
            return
        i = 0
        while i < len(headers):
            j, size = i, 0
            while j < len(headers) and (j == i or size + headers[j][1] <= BATCH_BYTES):
                size += headers[j][1]
                j += 1
                if wanted is not None and headers[j - 1][0] + headers[j - 1][2] > after_line + wanted:
                    break                           # this chunk already holds the last line wanted
            rows = list(LogChunk.select(LogChunk.first_line, LogChunk.line_count, LogChunk.logged_at,
                                        LogChunk.compression, LogChunk.content, LogChunk.data)
                        .where((LogChunk.task_run == task_run_id)
                               & (LogChunk.first_line.between(headers[i][0], headers[j - 1][0])))
                        .order_by(LogChunk.first_line).tuples())
            for first, count, at, compression, content, data in rows:
                text = decode(compression, content, data)
                if first <= after_line:             # the chunk begins before the lines asked for
                    skip, pos = after_line - first + 1, 0
                    for _ in range(skip):
                        pos = text.find("\n", pos) + 1
                        if pos == 0:
                            break
                    if pos == 0 or pos >= len(text):
                        continue
                    text, first, count = text[pos:], after_line + 1, count - skip
                yield Piece(first, count, at, text if streams else unmarked(text))
            i = j
        start = headers[-1][0] + 1


def lines_after(task_run_id: int, after_line: int = 0, limit: int | None = None, streams: bool = False):
    """Yield (line_number, logged_at, text) for lines numbered > after_line (at most `limit`;
    `streams`: stderr lines keep their marker)."""
    if limit is not None and limit <= 0:
        return
    sent = 0
    for piece in pieces(task_run_id, after_line, limit, streams):
        for offset, text in enumerate(piece.text[:-1].split("\n") if piece.text else ()):
            yield piece.first + offset, piece.logged_at, text
            sent += 1
            if limit is not None and sent >= limit:
                return


def tail(task_run_id: int, count: int):
    """The last `count` lines: (line_number, logged_at, text) in order."""
    total = TaskRun.select(TaskRun.log_lines).where(TaskRun.id == task_run_id).scalar() or 0
    return list(lines_after(task_run_id, max(0, total - count)))


def window(task_run_id: int, first: int, count: int, streams: bool = False):
    """Lines first .. first + count - 1 (those that exist): what the run page shows at once.
    An index seek to the chunk holding `first`, then one or two chunks read: the same
    cost at line 1 as at line 1,000,000."""
    return list(lines_after(task_run_id, max(0, first - 1), limit=max(0, count), streams=streams))


def text(task_run_id: int, timestamps: bool = True) -> str:
    out = []
    for _, at, line in lines_after(task_run_id, 0):
        out.append(f"{at:%Y-%m-%d %H:%M:%S} {line}" if timestamps else line)
    return "\n".join(out) + ("\n" if out else "")


def last_state(line: str) -> str:
    """A line as a terminal leaves it: the text after its last "\\r" (a progress bar's final
    state); a "\\r" at the very end (a CRLF line ending) does not count."""
    if "\r" not in line:
        return line
    line = line.rstrip("\r")
    return line[line.rfind("\r") + 1:]


def stamped(piece: Piece, stamp: str, last_states: bool = False, stderr: tuple[str, str] | None = None) -> str:
    """The piece's lines, each after `stamp` (and shown in its last state, if asked). With
    `stderr` (before, after), read with `streams`: each stderr line's text between the two
    (a terminal's colour codes), the marker dropped."""
    body = piece.text[:-1]
    if stderr and STDERR_MARK in body:
        out = []
        for line in body.split("\n"):
            is_err, line = stream_of(line)
            line = last_state(line) if last_states else line
            out.append(f"{stamp}{stderr[0]}{line}{stderr[1]}\n" if is_err else f"{stamp}{line}\n")
        return "".join(out)
    if last_states and "\r" in body:
        return "".join(f"{stamp}{last_state(line)}\n" for line in body.split("\n"))
    return stamp + body.replace("\n", "\n" + stamp) + "\n"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(name: str) -> str:
    """A stage or task name for a one-line header: control characters as escapes (\\r, \\n, …)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), name)
