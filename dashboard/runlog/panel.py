"""The live log panel of the run page: the selected task's log, followed as it grows.

Only new lines travel: each poll asks models.logs for lines after the last one shown and
appends them with a Patch. A long log opens at its tail (TAIL lines) with a "load
earlier" button that prepends PAGE lines at a time; a reader who falls far behind (a
task printing faster than the poll) jumps to the tail instead of receiving everything.
Following the tail until the reader scrolls up is done in the browser (assets/logfollow.js).
The callbacks are declared on `wiring` and registered by the run page
(pages/run_detail.py calls `wiring.register()`).
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, Patch, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.components import status_badge
from dashboard.runlog import view as logview
from dashboard.wiring import Callbacks
from models import logs
from models.tables import StageRun, TaskRun

TAIL = 1000          # lines shown when a log opens
PAGE = 1000          # lines added by one "load earlier"
MAX_PER_POLL = 2000  # beyond this many new lines, jump to the tail
POLL_MS = 1000

wiring = Callbacks()


def _task(task_id) -> TaskRun | None:
    if not task_id:
        return None
    return TaskRun.select(TaskRun, StageRun).join(StageRun).where(TaskRun.id == task_id).first()


def _title(task: TaskRun | None):
    if task is None:
        return "No task selected"
    return [f"{task.stage_run.name} / {task.name} ", status_badge(task.status)]


def opened(task_id) -> dict:
    """The panel's content for a freshly selected task: its tail, and where it starts and ends."""
    task = _task(task_id)
    rows = logs.tail(task.id, TAIL) if task else []
    first = rows[0][0] if rows else (task.log_lines + 1 if task else 1)
    last = rows[-1][0] if rows else (task.log_lines if task else 0)
    return {"title": _title(task), "href": f"/api/tasks/{task.id}/log" if task else None,
            "lines": logview.lines(rows), "earlier_hidden": first <= 1,
            "cursor": {"task": task_id, "last": last, "status": task.status if task else None},
            "first": {"task": task_id, "first": first}}


def panel(task_id) -> dbc.Card:
    o = opened(task_id)
    return dbc.Card([
        dbc.CardHeader(html.Div([
            html.Span(o["title"], id=ids.LOG_TITLE, className="fw-semibold me-auto"),
            dbc.Button("Load earlier lines", id=ids.LOG_EARLIER, size="sm", color="secondary", outline=True,
                       className="me-2", style={"display": "none"} if o["earlier_hidden"] else None),
            html.A("Download whole log", id=ids.LOG_DOWNLOAD, href=o["href"], className="btn btn-sm btn-outline-primary",
                   download=""),
        ], className="d-flex align-items-center")),
        dbc.CardBody(html.Div([html.Div([], id=ids.LOG_OLDER), html.Div(o["lines"], id=ids.LOG_LINES)],
                              id=ids.LOG_VIEW, className="log-view"), className="p-1"),
        dcc.Store(id=ids.LOG_CURSOR, data=o["cursor"]), dcc.Store(id=ids.LOG_FIRST, data=o["first"]),
        dcc.Interval(id=ids.LOG_POLL, interval=POLL_MS),
    ], className="mb-3 log-panel")


def _hidden(flag: bool):
    return {"display": "none"} if flag else None


@wiring.callback(Output(ids.LOG_LINES, "children"), Output(ids.LOG_CURSOR, "data"), Output(ids.LOG_TITLE, "children"),
                 Output(ids.LOG_OLDER, "children"), Output(ids.LOG_FIRST, "data", allow_duplicate=True),
                 Output(ids.LOG_DOWNLOAD, "href"), Output(ids.LOG_EARLIER, "style", allow_duplicate=True),
                 Input(ids.LOG_POLL, "n_intervals"), Input(ids.LOG_TASK, "data"), State(ids.LOG_CURSOR, "data"),
                 prevent_initial_call=True)
def follow(_tick, task_id, cursor):
    cursor = cursor or {}
    if ctx.triggered_id == ids.LOG_TASK or cursor.get("task") != task_id:
        return _reset(task_id)
    head = TaskRun.select(TaskRun.log_lines, TaskRun.status).where(TaskRun.id == task_id).first()
    if head is None or (head.log_lines == cursor["last"] and head.status == cursor.get("status")):
        return (no_update,) * 7
    if head.log_lines - cursor["last"] > MAX_PER_POLL:
        return _reset(task_id)
    rows = list(logs.lines_after(task_id, cursor["last"]))
    patch = Patch()
    patch.extend(logview.lines(rows))
    last = rows[-1][0] if rows else cursor["last"]
    title = _title(_task(task_id)) if head.status != cursor.get("status") else no_update
    return (patch, {"task": task_id, "last": last, "status": head.status}, title,
            no_update, no_update, no_update, no_update)


def _reset(task_id):
    o = opened(task_id)
    return o["lines"], o["cursor"], o["title"], [], o["first"], o["href"], _hidden(o["earlier_hidden"])


@wiring.callback(Output(ids.LOG_OLDER, "children", allow_duplicate=True), Output(ids.LOG_FIRST, "data"),
                 Output(ids.LOG_EARLIER, "style"), Input(ids.LOG_EARLIER, "n_clicks"), State(ids.LOG_FIRST, "data"),
                 prevent_initial_call=True)
def earlier(clicks, first):
    if not clicks or not first or first.get("first", 1) <= 1:
        return no_update, no_update, no_update
    start = max(1, first["first"] - PAGE)
    rows = list(logs.lines_after(first["task"], start - 1, limit=first["first"] - start))
    patch = Patch()
    patch.prepend(html.Div(logview.lines(rows), className="log-page"))
    return patch, {"task": first["task"], "first": start}, _hidden(start <= 1)
