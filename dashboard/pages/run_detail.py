"""Run detail (`/pipelines/<id>/runs/<n>`): status, duration, cause, start; the run's graph
with every stage and task coloured by live status and labelled with its duration; the
task list, with a download of the whole run's log (every task, in order); a Gantt of the
tasks; and the selected task's live log (dashboard.runlog.panel, whose callbacks this
page registers).

The page polls while the run is active and re-renders only when what it shows changed;
once the run has ended the poll switches itself off. Until the reader picks a task (in
the list or on the graph), the log follows the run: it switches to whichever task is running.
"""
from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
import dash_cytoscape as cyto
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard import graph, ids
from dashboard.components import (ago_text, cause_word, duration_text, field, run_button, span_seconds, status_badge, status_word,
                                  time_text)
from dashboard.runlog import panel as logpanel
from dashboard.runlog import search as logsearch
from dashboard.timeline import bar, tasks_figure
from dashboard.auth.current import visible
from models import commit_statuses, pipelines
from models.db import utcnow
from models import i18n
from models.i18n import _
from models.status import ACTIVE, Status
from models.tables import Pipeline, Run, StageRun, TaskRun



def page_title(pipeline_id=None, number=None, **_params) -> str:
    """The browser tab's title: `sample #12 · failed` (as the run was when the page opened)."""
    try:
        run = _run(pipeline_id, number)
    except Exception:  # noqa: BLE001 — a title must never break the page; the layout says what is wrong
        run = None
    if run is None:
        return _("Run · Millrace")
    return _("{name} #{number} · {status} · Millrace", name=run.pipeline.name, number=run.number,
             status=status_word(run.status))


dash.register_page(__name__, path_template="/pipelines/<pipeline_id>/runs/<number>", name="Run", title=page_title)
logpanel.wiring.register()          # the live log panel this page shows
logsearch.wiring.register()         # and its search

POLL_MS = 1500


def _run(pipeline_id, number) -> Run | None:
    if not (str(pipeline_id).isdigit() and str(number).isdigit()):
        return None
    return visible(Run.select(Run, Pipeline).join(Pipeline), Pipeline).where(
        (Run.pipeline == int(pipeline_id)) & (Run.number == int(number))).first()


def _iso(at: dt.datetime | None):
    return at.isoformat() if at else None


def snapshot(run: Run) -> dict:
    """The run, its stages and tasks as plain data (what the poll compares)."""
    now = utcnow()
    tasks = (TaskRun.select(TaskRun, StageRun).join(StageRun).where(TaskRun.run == run.id)
             .order_by(StageRun.position, TaskRun.position))
    stages = StageRun.select().where(StageRun.run == run.id).order_by(StageRun.position)
    return {
        "id": run.id, "pipeline": run.pipeline_id, "name": run.pipeline.name, "number": run.number,
        "deleted": run.pipeline.deleted_at is not None,
        "status": run.status, "reason": i18n.shown(run.reason, run.reason_message), "detail": run.detail or "",
        "cause": f"{cause_word(run.cause)} {run.cause_detail}".strip() + (_(" (by {user})", user=run.triggered_by)
                                                              if run.triggered_by else ""),
        "queued": time_text(run.queued_at), "started": time_text(run.started_at),
        "ago": ago_text(run.started_at, now),
        "duration": duration_text(span_seconds(run.started_at, run.finished_at, now)),
        "waiting": duration_text(run.waiting_seconds) if run.waiting_seconds else None,
        "stages": [{"position": s.position, "kind": s.kind, "name": s.name, "status": s.status,
                    "duration": duration_text(span_seconds(s.started_at, s.finished_at, now))} for s in stages],
        "tasks": [{"id": t.id, "stage": t.stage_run.name, "stage_position": t.stage_run.position,
                   "position": t.position, "name": t.name, "status": t.status, "reason": i18n.shown(t.reason, t.reason_message),
                   "start": _iso(t.started_at), "end": _iso(t.finished_at), "lines": t.log_lines,
                   "duration": duration_text(span_seconds(t.started_at, t.finished_at, now))} for t in tasks],
        "statuses": [{"state": c.state, "context": c.context, "sent": bool(c.reported_at), "given_up": bool(c.gave_up_at),
                      "attempts": c.attempts, "error": c.shown_error} for c in commit_statuses.of_run(run)],
    }


def settled(s: dict) -> bool:
    """Nothing left to change on the page: the run ended and its commit statuses are sent or given up."""
    return s["status"] not in ACTIVE and all(c["sent"] or c["given_up"] for c in s["statuses"])


def status_reports(s: dict):
    """The commit statuses reported to the forge (daemon/commit_status.py), failures said."""
    shown = []
    for c in s["statuses"]:
        if c["sent"]:
            text = _("{state}: reported as {context}", state=c["state"], context=c["context"])
        elif c["error"]:
            text = _("{state}: not reported ({error}; {attempts} attempt(s){more})", state=c["state"],
                     error=c["error"], attempts=c["attempts"],
                     more=_(", given up") if c["given_up"] else _(", trying again"))
        else:
            text = _("{state}: waiting for the daemon", state=c["state"])
        shown.append(html.Div(text, className="commit-status" + ("" if c["sent"] else " text-danger" if c["error"]
                                                                 else " text-muted")))
    return field(_("Commit status"), shown, className="commit-statuses") if shown else None


def default_task(s: dict) -> int | None:
    """The task worth watching: a running one, else the first that failed, else the last started."""
    tasks = s["tasks"]
    running = [t for t in tasks if t["status"] in (Status.RUNNING, Status.WAITING)]
    broken = [t for t in tasks if t["status"] in (Status.FAILED, Status.TIMED_OUT, Status.STOPPED)]
    started = [t for t in tasks if t["start"] is not None]
    for found in (running[:1], broken[:1], started[-1:], tasks[:1]):
        if found:
            return found[0]["id"]
    return None


def header(s: dict):
    # A deleted pipeline's runs are a record: no Re-run (models.runs refuses it too, for a page opened before the delete).
    buttons = [] if s["deleted"] else [run_button(_("Re-run"), "rerun", s["id"], "primary")]
    if s["status"] in ACTIVE:
        buttons.insert(0, run_button(_("Stop"), "stop", s["id"], "danger"))
    facts = [field(_("Status"), [status_badge(s["status"], id=ids.RUN_STATUS),
                                 html.Span(f" {s['reason']}", className="ms-1")]),
             field(_("Duration"), s["duration"]), field(_("Cause"), s["cause"]),
             field(_("Started"), s["started"], title=s.get("ago") or None), field(_("Queued"), s["queued"])]
    if s["waiting"]:
        facts.append(field(_("Waiting for resources"), s["waiting"]))
    if s["statuses"]:
        facts.append(status_reports(s))
    if s["detail"]:
        facts.append(field(_("Detail"), html.Pre(s["detail"], className="mb-0 small")))
    return html.Div([
        html.Div([html.H2([dcc.Link(s["name"], href="/archived" if s["deleted"] else f"/pipelines/{s['pipeline']}"), f" #{s['number']}"],
                          className="me-auto"), html.Div(buttons)], className="d-flex align-items-center mb-2"),
        html.Div(facts, className="mb-3"),
        *([dbc.Alert([html.Strong(_("Pipeline deleted: ")), _("this run is kept for the record, read-only; it cannot be "
                                                              "re-run. Apply the definition again to create the "
                                                              "pipeline anew.")],
                     color="secondary", className="py-2 run-archived")] if s["deleted"] else []),
    ])


def task_list(s: dict, selected):
    items = []
    for t in s["tasks"]:
        items.append(html.Div([
            html.Div([html.Span(f"{t['stage']} / ", className="text-muted"), t["name"]], className="me-auto"),
            status_badge(t["status"]), html.Span(t["duration"], className="ms-2 small task-duration"),
        ], id={"type": ids.TASK_PICK, "task": t["id"]}, n_clicks=0, **{"data-task": t["name"]},
            className="list-group-item list-group-item-action d-flex align-items-center task-pick"
                      + (" active" if t["id"] == selected else "")))
    return html.Div(items, className="list-group") if items else html.P(_("No tasks yet."), className="text-muted")


def graph_elements(run: Run, s: dict, selected) -> list[dict]:
    notes = {}
    for st in s["stages"]:
        if st["kind"] == "stage":
            notes[graph.stage_id(st["position"] - 1)] = {"status": st["status"], "note": st["duration"]}
    chosen = None
    for t in s["tasks"]:
        node = "source" if t["stage_position"] == 0 else graph.task_id(t["stage_position"] - 1, t["position"])
        notes[node] = {"status": t["status"], "note": f"{status_word(t['status'])} · {t['duration']}"}
        chosen = node if t["id"] == selected else chosen
    return graph.spec_to_elements(pipelines.definition(run.version), editable=False, annotations=notes, selected=chosen)


def gantt(s: dict):
    parse = lambda v: dt.datetime.fromisoformat(v) if v else None  # noqa: E731
    bars = [bar(f"{t['stage']} / {t['name']}", t["status"], parse(t["start"]), parse(t["end"]), key=t["id"])
            for t in s["tasks"]]
    return tasks_figure(bars, utcnow())


def named_task(s: dict, name) -> int | None:
    """The task a link names (`?task=build`, or `?task=Build/build` when names repeat), or None."""
    if not isinstance(name, str) or not name:
        return None
    for t in s["tasks"]:
        if name in (t["name"], f"{t['stage']}/{t['name']}"):
            return t["id"]
    return None


def _task_label(s: dict, task_id) -> str:
    found = [f"{t['stage']} / {t['name']}" for t in s["tasks"] if t["id"] == task_id]
    return found[0] if found else _("no task")


def layout(pipeline_id=None, number=None, task=None, **_params):
    run = _run(pipeline_id, number)
    if run is None:
        return dbc.Alert(_("No run #{number} of pipeline {pipeline}.", number=number, pipeline=pipeline_id),
                         color="warning")
    s = snapshot(run)
    linked = named_task(s, task)
    selected = linked or default_task(s)
    notes = [dbc.Alert(_("This run has no task named “{task}”; showing {shown}.", task=task,
                         shown=_task_label(s, selected)), color="warning",
                       className="py-2")] if task and not linked else []
    return html.Div([
        dcc.Location(id=ids.RUN_URL, refresh=False),
        dcc.Store(id=ids.RUN_ID, data=run.id), dcc.Store(id=ids.RUN_SIGNATURE, data=[s, selected]),
        # A task named in the address is the reader's choice: the page stops following the running task.
        dcc.Store(id=ids.LOG_TASK, data=selected), dcc.Store(id=ids.LOG_AUTO, data=linked is None), *notes,
        html.Div(header(s), id=ids.RUN_HEADER),
        dbc.Card([dbc.CardHeader(_("Graph")), dbc.CardBody(cyto.Cytoscape(
            id=ids.RUN_GRAPH, elements=graph_elements(run, s, selected), stylesheet=graph.STYLESHEET,
            layout={"name": "preset", "fit": True, "padding": 20}, autoungrabify=True, maxZoom=1, userZoomingEnabled=False,
            boxSelectionEnabled=False, style={"height": "300px"}))], className="mb-3"),
        dbc.Row([
            dbc.Col(dbc.Card([dbc.CardHeader(html.Div([
                html.Span(_("Tasks"), className="me-auto"),
                # The whole run's log (every task, in order, each under a stage / task header): dashboard.api.
                html.A(_("Download all logs"), href=f"/api/runs/{run.id}/log", download="",
                       className="btn btn-sm btn-outline-primary run-log-download"),
            ], className="d-flex align-items-center")),
                dbc.CardBody(task_list(s, selected), id=ids.RUN_TASKS)], className="mb-3"), lg=4),
            dbc.Col(logpanel.panel(selected), lg=8),
        ]),
        dbc.Card([dbc.CardHeader(_("Task timeline")), dbc.CardBody(dcc.Graph(
            id=ids.RUN_GANTT, figure=gantt(s), config={"displayModeBar": False}))], className="mb-3"),
        dcc.Interval(id=ids.RUN_POLL, interval=POLL_MS, disabled=settled(s)),
    ])


@callback(Output(ids.RUN_HEADER, "children"), Output(ids.RUN_TASKS, "children"), Output(ids.RUN_GRAPH, "elements"),
          Output(ids.RUN_GANTT, "figure"), Output(ids.RUN_SIGNATURE, "data"), Output(ids.RUN_POLL, "disabled"),
          Output(ids.LOG_TASK, "data", allow_duplicate=True),
          Input(ids.RUN_POLL, "n_intervals"), Input(ids.ACTION_DONE, "data"), Input(ids.LOG_TASK, "data"),
          State(ids.LOG_AUTO, "data"), State(ids.RUN_ID, "data"), State(ids.RUN_SIGNATURE, "data"),
          prevent_initial_call=True)
def refresh(_tick, _done, selected, auto, run_id, shown):
    run = Run.select(Run, Pipeline).join(Pipeline).where(Run.id == run_id).first()
    s = snapshot(run)
    follow = default_task(s) if auto or selected is None else selected
    if [s, follow] == shown:
        return (no_update,) * 7
    return (header(s), task_list(s, follow), graph_elements(run, s, follow), gantt(s), [s, follow],
            settled(s), follow if follow != selected else no_update)


@callback(Output(ids.LOG_TASK, "data"), Output(ids.LOG_AUTO, "data"),
          Input({"type": ids.TASK_PICK, "task": ALL}, "n_clicks"), Input(ids.RUN_GRAPH, "tapNodeData"),
          State(ids.RUN_ID, "data"), State(ids.LOG_TASK, "data"), prevent_initial_call=True)
def pick(_clicks, node, run_id, current):
    if isinstance(ctx.triggered_id, dict):
        if not ctx.triggered[0]["value"]:
            return no_update, no_update
        chosen = ctx.triggered_id["task"]
    else:
        if not node or node.get("kind") not in ("task", "source"):
            return no_update, no_update
        stage = 0 if node["kind"] == "source" else node["stage"] + 1
        task = (TaskRun.select(TaskRun.id).join(StageRun).where((TaskRun.run == run_id) & (StageRun.position == stage)
                & (TaskRun.position == (node.get("index") or 0))).first())
        chosen = task.id if task else None
    if not chosen:
        return no_update, no_update
    return (chosen if chosen != current else no_update), False
