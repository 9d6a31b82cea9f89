"""Output bytes → the text of stored log chunks, at C speed: a block is worked on whole.

What the executors hand the shipper is whole lines (or one marked piece of a long line), so
a batch of reads is itself whole lines, and everything the stored form needs can be done
on the block as one `bytes`, without a Python step per line: CRLF endings dropped with one
`replace`, UTF-8 checked by `isascii()` (or one strict decode), lines counted by `count`,
chunks cut at an `rfind` of "\\n", the log cap cut the same way. Only a block that holds a
line over MAX_LINE_BYTES (found by `has_long_line`, a few `find` calls) or a secret (the
masker's own check) takes the per-line path. The result is byte for byte what the per-line
path gives (tests/test_log_shipping.py compares both).

Streams: a line the executor hands over after STDERR_TAG (never in UTF-8) was written
to stderr; it is stored after STDERR_MARK ("\\x1e"), one `replace` for the block. A task's own
line that begins with "\\x1e" is stored with "\u241e" (␞) there instead, so a stored line
that begins with the marker is always a stderr line (models/logs.py reads it).
"""
from __future__ import annotations

from daemon.executors.base import CONTINUES, MAX_LINE_BYTES, STDERR_TAG
from models.logs import STDERR_MARK

CHUNK_BYTES = 256 * 1024      # a stored chunk: about this much text …
MAX_LINES_PER_CHUNK = 5000    # … and at most this many lines (a reader skips within one chunk line by line)
_MARKER = CONTINUES.rstrip(b"\n")
_MARK = STDERR_MARK.encode()
_OWN_MARK = "\u241e".encode()       # a task's own "\x1e" at a line's start: shown as ␞, never read as the marker


def clean(data: bytes) -> bytes:
    """`data` as stored text: every line ends in "\\n" (a last line without one gets it), a
    CRLF ending is a plain "\\n" (other "\\r" stay), invalid UTF-8 is U+FFFD, a stderr line
    begins with STDERR_MARK."""
    body = data if data.endswith(b"\n") else data + b"\n"
    if b"\r" in body:                                # memchr: far faster than looking for "\r\n"
        body = body.replace(b"\r\n", b"\n")          # one "\r" per ending, as "a\r\r\n" → "a\r"
    if _MARK in body:                                # memchr; rare in a task's output
        body = _line_starts(body, _MARK, _OWN_MARK)
    if STDERR_TAG in body:                           # stderr lines
        body = _line_starts(body, STDERR_TAG, _MARK)
        if STDERR_TAG in body:                       # landed inside a stdout line written in parts (a
            body = body.replace(STDERR_TAG, b"\n" + _MARK)    # buffered program): it begins a line of its own
    if not body.isascii():
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            body = body.decode("utf-8", errors="replace").encode()
    return body


def _line_starts(body: bytes, old: bytes, new: bytes) -> bytes:
    """`body` with `old` replaced by `new` where it begins a line (one C `replace`)."""
    body = body.replace(b"\n" + old, b"\n" + new)
    return new + body[len(old):] if body.startswith(old) else body


def has_long_line(body: bytes, limit: int = MAX_LINE_BYTES) -> bool:
    """False only when no line of `body` is longer than `limit` bytes: true of every block in
    which each aligned window of limit/2 bytes holds a "\\n" (two newlines in neighbouring
    windows are under `limit` apart). True may be wrong (a line just under the limit): the
    caller then looks line by line."""
    half = limit // 2
    for start in range(0, len(body) - half + 1, half):
        if body.find(b"\n", start, start + half) == -1:
            return True
    return False


def pieces(line: bytes, cut_at) -> list[bytes]:
    """A line (without its "\\n") over the limit as marked pieces, cut where `cut_at(raw,
    limit)` says (no secret across the cut), like the local executor cuts a line it cannot hand
    over whole (a pod's lines come whole; so does a long line ending within one read). A
    piece the executor made, its body within the limit, stays as it is. Each piece of a
    stderr line begins with STDERR_MARK (not counted in the limit)."""
    mark = _MARK if line.startswith(_MARK) else b""
    body = line[:-len(_MARKER)] if line.endswith(_MARKER) else line
    if len(body) - len(mark) <= MAX_LINE_BYTES:
        return [line]
    out, line = [], line[len(mark):]
    while len(line) > MAX_LINE_BYTES:
        cut = cut_at(line, MAX_LINE_BYTES)
        out.append(mark + line[:cut] + _MARKER)
        line = line[cut:]
    return out + [mark + line]


def split_long_lines(body: bytes, cut_at) -> bytes:
    """`body` with each line over the limit replaced by its marked pieces (one line each)."""
    lines = body[:-1].split(b"\n")
    return b"\n".join(piece for line in lines for piece in pieces(line, cut_at)) + b"\n"


def within(body: bytes, room: int) -> bytes:
    """The whole lines at the start of `body` that fit in `room` bytes (newlines counted)."""
    return body[:body.rfind(b"\n", 0, max(room, 0)) + 1]


def chunks(body: bytes) -> list[tuple[bytes, int]]:
    """`body` as (text, line count) chunks of about CHUNK_BYTES and ≤ MAX_LINES_PER_CHUNK lines,
    cut after a "\\n"."""
    out, start, size = [], 0, len(body)
    while start < size:
        end = size if size - start <= CHUNK_BYTES else body.rfind(b"\n", start, start + CHUNK_BYTES) + 1
        if end <= start:                             # one line longer than a chunk: it is one chunk
            end = body.find(b"\n", start + CHUNK_BYTES) + 1
        count = body.count(b"\n", start, end)
        if count > MAX_LINES_PER_CHUNK:              # short lines: end after the last one allowed
            end -= len(body[start:end].split(b"\n", MAX_LINES_PER_CHUNK)[-1])
            count = MAX_LINES_PER_CHUNK
        out.append((body[start:end], count))
        start = end
    return out
