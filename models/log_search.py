"""Search within a task's log, on the server: the numbers of the lines that contain a text.

The run page cannot hold a million lines to search them in the browser, so the search
walks the stored chunks here (models.logs.pieces: bounded batches, no snapshot held) and
returns line numbers only; the page then opens a window around the one asked for.

Matching ignores case and the colour codes a terminal would not show (`\\x1b[32m`), so
what the reader sees is what matches. A match is found in a chunk's whole text with
`str.find`, and its line number is counted from the "\\n"s before it: no per-line Python
loop, so a 1,000,000-line log is searched in about the time it takes to decompress.
At most `limit` matches are returned (and whether there were more): the reader pages
through them; a search never builds an unbounded answer.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from models import logs
from models.i18n import _

LIMIT = 1000
MAX_QUERY = 200
_SGR = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")     # colour and cursor codes: never shown, never matched


class Found(NamedTuple):
    lines: list[int]       # line numbers, ascending, each once
    more: bool             # True when the log has further matches after the last one listed


def problem(query: str) -> str | None:
    """Why `query` cannot be searched for, or None (in the reader's language: a search box's feedback)."""
    if not query or not query.strip():
        return _("Type the text to search for.")
    if len(query) > MAX_QUERY:
        return _("The search text is longer than {max} characters.", max=MAX_QUERY)
    if "\n" in query:
        return _("The search text cannot span lines.")
    return None


def search(task_run_id: int, query: str, limit: int = LIMIT) -> Found:
    """Line numbers of the lines containing `query` (case-insensitive), first `limit` of them."""
    needle = query.lower()
    found: list[int] = []
    for piece in logs.pieces(task_run_id, 0):
        text = piece.text
        if "\x1b" in text:
            text = _SGR.sub("", text)
        text = text.lower()
        pos, line, counted = text.find(needle), piece.first, 0
        while pos >= 0:
            line += text.count("\n", counted, pos)
            counted = pos
            if not found or found[-1] != line:
                if len(found) >= limit:
                    return Found(found, True)
                found.append(line)
            end = text.find("\n", pos)             # the next match worth counting starts on the next line
            if end < 0:
                break
            pos = text.find(needle, end + 1)
    return Found(found, False)
