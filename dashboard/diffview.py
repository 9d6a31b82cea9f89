"""A side-by-side diff of two texts (pipeline definitions as YAML), as safe Dash components.

Pure: difflib's SequenceMatcher pairs the lines; each row shows the old line and the new
one with their numbers, marked removed / added / changed, and long runs of unchanged lines
fold to a few lines of context around each change. The text goes in as children, never as
HTML, so whatever a definition holds is shown, not run. Used by the editor's conflict
dialog and by the version history of the pipeline page. Secrets are the caller's concern:
both texts must come from definitions already stripped (dashboard.editor.yaml_text).
"""
from __future__ import annotations

import difflib
from itertools import zip_longest

from dash import html

from models.i18n import ngettext, _

CONTEXT = 3         # unchanged lines kept around a change


def rows(old: str, new: str, context: int = CONTEXT) -> list[tuple]:
    """(kind, old number, old line, new number, new line) for the lines to show; kind is
    "same", "del", "add", "chg" or "fold" (then the old line holds how many were folded)."""
    a, b = old.splitlines(), new.splitlines()
    out: list[tuple] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            pairs = [("same", i + 1, a[i], j + 1, b[j]) for i, j in zip(range(i1, i2), range(j1, j2))]
            first, last = not out, i2 == len(a) and j2 == len(b)
            head = 0 if first else context
            tail = 0 if last else context
            if len(pairs) > head + tail + 1:
                out += pairs[:head] + [("fold", None, len(pairs) - head - tail, None, None)] + (
                    pairs[len(pairs) - tail:] if tail else [])
            else:
                out += pairs
            continue
        kind = {"replace": "chg", "delete": "del", "insert": "add"}[tag]
        for i, j in zip_longest(range(i1, i2), range(j1, j2)):
            out.append((kind, None if i is None else i + 1, "" if i is None else a[i],
                        None if j is None else j + 1, "" if j is None else b[j]))
    return out


def side_by_side(old: str, new: str, old_title: str, new_title: str, table_id=None) -> html.Div:
    """The diff as a table; "no differences" when the texts are equal."""
    shown = rows(old, new)
    if all(kind in ("same", "fold") for kind, *_ in shown):
        return html.P(_("No differences between {old} and {new}.", old=old_title, new=new_title), className="text-muted diff-none",
                      **({"id": table_id} if table_id else {}))
    body = []
    for kind, n_old, line_old, n_new, line_new in shown:
        if kind == "fold":
            body.append(html.Tr(html.Td("⋯ " + ngettext("{n} unchanged line", "{n} unchanged lines", line_old), colSpan=4, className="diff-fold")))
            continue
        left = "diff-del" if kind in ("del", "chg") and n_old else ""
        right = "diff-add" if kind in ("add", "chg") and n_new else ""
        body.append(html.Tr([html.Td(n_old or "", className="diff-no"), html.Td(line_old, className=f"diff-text {left}"),
                             html.Td(n_new or "", className="diff-no"), html.Td(line_new, className=f"diff-text {right}")],
                            className=f"diff-{kind}"))
    head = html.Thead(html.Tr([html.Th(old_title, colSpan=2), html.Th(new_title, colSpan=2)]))
    # A fixed layout takes its widths from the first row (the titles span two columns): say them here.
    widths = html.Colgroup([html.Col(className="diff-no-col"), html.Col(), html.Col(className="diff-no-col"), html.Col()])
    return html.Div(html.Table([widths, head, html.Tbody(body)], className="diff-table"), className="diff-scroll",
                    **({"id": table_id} if table_id else {}))
