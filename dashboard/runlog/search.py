"""Search within the shown task's log: the box, the previous/next buttons and their callback.

The search runs on the server (models.log_search: line numbers only, at most LIMIT of
them); a match is shown by asking the panel for the window around its line (LOG_GOTO),
highlighted there. The matches are kept in a store, so "next" and "previous" move through
them without searching again; a new text or another task searches again. Declared on
`wiring`, registered by the run page.
"""
from __future__ import annotations

import time

import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.wiring import Callbacks
from models import log_search
from models.i18n import _

wiring = Callbacks()


def search_bar() -> html.Div:
    return html.Div([
        dbc.InputGroup([
            dbc.Input(id=ids.LOG_SEARCH, placeholder=_("Search the log"), type="search", debounce=False,
                      maxLength=log_search.MAX_QUERY, style={"maxWidth": "12rem"}),
            dbc.Button(_("Find"), id=ids.LOG_SEARCH_GO, color="secondary", outline=True),
            dbc.Button("↑", id=ids.LOG_MATCH_PREV, color="secondary", outline=True, disabled=True,
                       title=_("Previous match")),
            dbc.Button("↓", id=ids.LOG_MATCH_NEXT, color="secondary", outline=True, disabled=True,
                       title=_("Next match")),
        ], size="sm", className="flex-nowrap w-auto"),
        html.Span(id=ids.LOG_SEARCH_INFO, className="small text-muted ms-2 log-search-info"),
        dcc.Store(id=ids.LOG_MATCHES),
    ], className="d-flex align-items-center flex-wrap")


def _info(found: dict) -> str:
    total = f"{len(found['lines']):,}" + ("+" if found["more"] else "")
    return _("Match {at} of {total}", at=format(found["at"] + 1, ","), total=total)


@wiring.callback(Output(ids.LOG_MATCHES, "data"), Output(ids.LOG_SEARCH_INFO, "children"),
                 Output(ids.LOG_GOTO, "data", allow_duplicate=True), Output(ids.LOG_MATCH_PREV, "disabled"),
                 Output(ids.LOG_MATCH_NEXT, "disabled"),
                 Input(ids.LOG_SEARCH, "n_submit"), Input(ids.LOG_SEARCH_GO, "n_clicks"),
                 Input(ids.LOG_MATCH_PREV, "n_clicks"), Input(ids.LOG_MATCH_NEXT, "n_clicks"),
                 State(ids.LOG_SEARCH, "value"), State(ids.LOG_MATCHES, "data"), State(ids.LOG_TASK, "data"),
                 State(ids.LOG_WINDOW, "data"), prevent_initial_call=True)
def find(_submit, _go, _prev, _next, query, found, task_id, window):
    query = query or ""
    problem = log_search.problem(query)
    if problem or not task_id:
        # str(): the model's problem may be a Msg, said in the reader's language
        return None, str(problem) if problem else _("No task selected."), no_update, True, True
    step = {ids.LOG_MATCH_PREV: -1, ids.LOG_MATCH_NEXT: 1}.get(ctx.triggered_id, 0)
    fresh = not found or found.get("task") != task_id or found.get("query") != query
    if fresh:
        result = log_search.search(task_id, query)
        if not result.lines:
            return None, _("No line contains “{query}”.", query=query), no_update, True, True
        top = (window or {}).get("first", 1)
        at = next((i for i, n in enumerate(result.lines) if n >= top), 0)   # the first match from here on
        found = {"task": task_id, "query": query, "lines": result.lines, "more": result.more, "at": at}
    elif step:
        found = dict(found, at=max(0, min(len(found["lines"]) - 1, found["at"] + step)))
    goto = {"task": task_id, "line": found["lines"][found["at"]], "seq": time.time()}
    return found, _info(found), goto, found["at"] == 0, found["at"] >= len(found["lines"]) - 1
