"""The live log panel of the run page: a window of the selected task's log, by line number.

The browser never holds more than a window: PAGE lines (up to 2 × PAGE while following a
live tail). "Earlier" and "Later" replace the window with the page before or after it,
read with models.logs.window (an index seek and a chunk or two), so a page costs the same
at line 1,000,000 as at line 1 and the DOM never grows. An ever-growing DOM was what made
each "load earlier" slower than the one before (issue 12, defect 6).

A log opens at its tail and, while the window ends at the last line, follows it: each poll
appends only the lines after the last one shown (a Patch). A reader who falls far behind
(a task printing faster than the poll), or a window grown past 2 × PAGE, jumps to the tail.
A link to a line (`…/runs/12?task=build#L340`) or a search match opens the window around
that line, highlighted (LOG_GOTO). Scrolling (to the bottom, the top, the mark) is the
browser's job: assets/logwindow.js draws LOG_DATA's rows and scrolls as its `scroll` says.
Search is dashboard.runlog.search. The callbacks are declared on `wiring` and registered
by the run page (pages/run_detail.py calls `wiring.register()`).
"""
from __future__ import annotations

import time

import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, Patch, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.components import status_badge
from dashboard.runlog import view as logview
from dashboard.runlog.search import search_bar
from dashboard.wiring import Callbacks
from dashboard.auth.current import may_see_task
from models import i18n, logs
from models.i18n import _
from models.tables import StageRun, TaskRun

PAGE = 500           # lines in a window (an earlier or later page)
MAX_PER_POLL = 2000  # beyond this many new lines, jump to the tail
POLL_MS = 1000

wiring = Callbacks()


def task_row(task_id) -> TaskRun | None:
    if not task_id:
        return None
    return TaskRun.select(TaskRun, StageRun).join(StageRun).where(TaskRun.id == task_id).first()


def link_name(task: TaskRun) -> str:
    """How a link names the task (`?task=`): its name, or `stage/name` when the name is not unique in the run."""
    twins = TaskRun.select().where((TaskRun.run == task.run_id) & (TaskRun.name == task.name)).count()
    return task.name if twins == 1 else f"{task.stage_run.name}/{task.name}"


def _title(task: TaskRun | None):
    if task is None:
        return _("No task selected")
    title = [f"{task.stage_run.name} / {task.name} ", status_badge(task.status)]
    if task.reason:     # why it failed or stopped, in the reader's language (also when recorded in the other)
        title.append(html.Span(" " + i18n.shown(task.reason, task.reason_message),
                               className="log-task-reason small text-danger ms-1"))
    return title


def _range(first: int, last: int, total: int) -> str:
    if total == 0:
        return _("No lines yet")
    return _("Lines {first}–{last} of {total}", first=format(first, ","), last=format(last, ","),
             total=format(total, ","))


def shown(task_id, first: int | None = None, mark: int | None = None, scroll: str = "tail") -> dict:
    """The panel for lines first .. first + PAGE - 1 of the task (None: the tail), `mark` highlighted."""
    task = task_row(task_id)
    total = task.log_lines if task else 0
    if first is None:
        first = max(1, total - PAGE + 1)
    first = max(1, min(first, max(1, total - PAGE + 1)))
    rows = logs.window(task.id, first, PAGE, streams=True) if task else []
    last = rows[-1][0] if rows else first - 1
    live = last >= total
    return {"data": {"key": f"{task_id}:{first}:{mark or ''}:{time.time():.3f}", "rows": logview.rows(rows),
                     "mark": mark, "scroll": "tail" if scroll == "tail" and live else scroll},
            "window": {"task": task_id, "first": first, "last": last, "live": live,
                       "status": task.status if task else None, "mark": mark},
            "title": _title(task), "href": f"/api/tasks/{task.id}/log" if task else None,
            "earlier": first <= 1, "later": live, "tail": live and mark is None,
            "range": _range(first, last, total),
            "link": {"task": link_name(task) if task else None, "line": mark}}


def panel(task_id) -> dbc.Card:
    o = shown(task_id)

    def nav(label, component_id, disabled):
        return dbc.Button(label, id=component_id, size="sm", color="secondary", outline=True, className="me-1",
                          disabled=disabled)
    return dbc.Card([
        dbc.CardHeader([
            html.Div([
                html.Span(o["title"], id=ids.LOG_TITLE, className="fw-semibold me-auto"),
                html.A(_("Download whole log"), id=ids.LOG_DOWNLOAD, href=o["href"], download="",
                       className="btn btn-sm btn-outline-primary"),
            ], className="d-flex align-items-center flex-wrap gap-1"),
            html.Div([
                nav(_("Earlier"), ids.LOG_EARLIER, o["earlier"]), nav(_("Later"), ids.LOG_LATER, o["later"]),
                nav(_("Tail"), ids.LOG_TAIL, o["tail"]),
                html.Span(o["range"], id=ids.LOG_RANGE, className="small text-muted me-auto"),
                search_bar(),
            ], className="d-flex align-items-center flex-wrap gap-1 mt-1"),
        ]),
        # The lines are drawn by assets/logwindow.js from LOG_DATA (DOM nodes made directly: a
        # 500-line window as Dash components took React ~0.4 s to draw, as data ~10 ms).
        dbc.CardBody(html.Div(html.Div(id=ids.LOG_LINES), id=ids.LOG_VIEW, className="log-view"), className="p-1"),
        dcc.Store(id=ids.LOG_DATA, data=o["data"]), dcc.Store(id=ids.LOG_WINDOW, data=o["window"]),
        dcc.Store(id=ids.LOG_GOTO),
        dcc.Store(id=ids.LOG_LINK), dcc.Interval(id=ids.LOG_POLL, interval=POLL_MS),
    ], className="mb-3 log-panel")


OUTPUTS = (Output(ids.LOG_DATA, "data"), Output(ids.LOG_WINDOW, "data"), Output(ids.LOG_TITLE, "children"),
           Output(ids.LOG_DOWNLOAD, "href"), Output(ids.LOG_EARLIER, "disabled"), Output(ids.LOG_LATER, "disabled"),
           Output(ids.LOG_TAIL, "disabled"), Output(ids.LOG_RANGE, "children"), Output(ids.LOG_LINK, "data"))


def _all(o: dict, auto: bool):
    link = o["link"] if (not auto or o["link"]["line"]) else {"task": None, "line": None}
    return (o["data"], o["window"], o["title"], o["href"], o["earlier"], o["later"], o["tail"], o["range"], link)


@wiring.callback(*OUTPUTS, Input(ids.LOG_TASK, "data"), Input(ids.LOG_EARLIER, "n_clicks"),
                 Input(ids.LOG_LATER, "n_clicks"), Input(ids.LOG_TAIL, "n_clicks"), Input(ids.LOG_GOTO, "data"),
                 State(ids.LOG_WINDOW, "data"), State(ids.LOG_AUTO, "data"), prevent_initial_call=True)
def show(task_id, _earlier, _later, _tail, goto, w, auto):
    """The reader's moves: another task, a page earlier or later, the tail, a line (link or search).
    Not the poll's callback: Dash dropped a click that came while a poll of the same callback was
    in flight, so following the tail is a callback of its own (`follow`)."""
    w = w or {}
    if task_id and not may_see_task(task_id):        # a posted id of a task this user may not see
        return (no_update,) * len(OUTPUTS)
    fired = set(ctx.triggered_prop_ids.values())
    if ids.LOG_TASK in fired or w.get("task") != task_id:
        return _all(shown(task_id), auto)
    if ids.LOG_GOTO in fired:
        if not goto or goto.get("task") != task_id:
            return (no_update,) * len(OUTPUTS)
        line = int(goto["line"])
        return _all(shown(task_id, line - PAGE // 2, mark=line, scroll="mark"), auto)
    if ids.LOG_EARLIER in fired:
        return _all(shown(task_id, w["first"] - PAGE, scroll="bottom"), auto)
    if ids.LOG_LATER in fired:
        return _all(shown(task_id, w["last"] + 1, scroll="top"), auto)
    return _all(shown(task_id), auto)


@wiring.callback(*(Output(o.component_id, o.component_property, allow_duplicate=True) for o in OUTPUTS),
                 Input(ids.LOG_POLL, "n_intervals"), State(ids.LOG_TASK, "data"), State(ids.LOG_WINDOW, "data"),
                 State(ids.LOG_AUTO, "data"), prevent_initial_call=True)
def follow(_tick, task_id, w, auto):
    if not w or w.get("task") != task_id or not may_see_task(task_id):
        return (no_update,) * len(OUTPUTS)
    return _follow(task_id, w, auto)


def _follow(task_id, w: dict, auto: bool):
    """A poll: append the lines after the last one shown, if the window is at the tail."""
    head = TaskRun.select(TaskRun.log_lines, TaskRun.status).where(TaskRun.id == task_id).first()
    if head is None or (head.log_lines == w["last"] and head.status == w.get("status")):
        return (no_update,) * len(OUTPUTS)
    status_only = not w.get("live") or head.log_lines == w["last"]
    if status_only:              # a window further up stays where the reader is; only the status moves
        if head.status == w.get("status"):
            return (no_update,) * len(OUTPUTS)
        # A Patch of the one key, never the window as this poll read it: a page click answered
        # while the poll was in flight would be undone (the next "Earlier" then skipped a page).
        window = Patch()
        window["status"] = head.status
        return (no_update, window, _title(task_row(task_id))) + (no_update,) * 6
    if head.log_lines - w["last"] > MAX_PER_POLL or head.log_lines - w["first"] + 1 > 2 * PAGE:
        return _all(shown(task_id), auto)
    rows = list(logs.lines_after(task_id, w["last"], streams=True))
    patch = Patch()
    patch["rows"].extend(logview.rows(rows))
    last = rows[-1][0] if rows else w["last"]
    title = _title(task_row(task_id)) if head.status != w.get("status") else no_update
    return (patch, dict(w, last=last, status=head.status), title, no_update, no_update, no_update, no_update,
            _range(w["first"], last, head.log_lines), no_update)


# The address bar follows what is shown (?task=…#L…), without a navigation: replaceState
# fires no event, so neither Dash's router nor RUN_URL sees it; a reload opens the same view.
wiring.clientside(ClientsideFunction("millrace", "renderLog"), Output(ids.LOG_LINES, "data-rendered"),
                  Input(ids.LOG_DATA, "data"))
wiring.clientside(
    """function (link) {
        if (!link) { return window.dash_clientside.no_update; }
        var url = new URL(window.location.href);
        if (link.task) { url.searchParams.set("task", link.task); } else { url.searchParams.delete("task"); }
        url.hash = link.line ? "L" + link.line : "";
        if (url.href !== window.location.href) { window.history.replaceState(window.history.state, "", url.href); }
        return window.dash_clientside.no_update;
    }""",
    Output(ids.LOG_RANGE, "title"), Input(ids.LOG_LINK, "data"), prevent_initial_call=True)


@wiring.callback(Output(ids.LOG_GOTO, "data"), Input(ids.RUN_URL, "hash"), State(ids.LOG_TASK, "data"))
def goto_hash(hash_, task_id):
    """`#L340` in the address (a link to a line, opened or clicked): open the window around line 340."""
    text = (hash_ or "").lstrip("#")
    if not (text.startswith("L") and text[1:].isdigit() and task_id):
        return no_update
    return {"task": task_id, "line": int(text[1:]), "seq": time.time()}   # the same line again still moves
