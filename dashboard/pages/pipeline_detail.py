"""Pipeline detail (`/pipelines/<id>`): basic information, trigger rules (edited in the
dialog of dashboard.triggers.panel, whose callbacks this page registers) with recent fires
and deliveries, advanced settings, latest run, the read-only diagram, the version history
(dashboard.versions: every version, a diff of any two, restore; its callbacks registered
here), and the run records as a timeline or a list, 50 a page (older pages through the pagination).
A deactivated pipeline says, above everything, that nothing starts it until it is activated.

Everything shown is first gathered as plain data (`snapshot`); the poll re-renders only
when that data changed. Records offer re-run (with that run's stored version), stop
(while it runs) and open; clicking a bar of the timeline opens that run.
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import dash_cytoscape as cyto
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import graph, ids, versions
from dashboard.components import (ALL_ACTIONS, action_button, ago_text, cause_word, card, duration_text, field, more_menu, run_button,
                                  span_seconds, status_badge, time_text)
from dashboard.queries import trigger_summaries
from dashboard.timeline import bar, runs_figure
from dashboard.triggers import forge_hook_card, panel as triggers_panel, records as trigger_records
from dashboard.auth.current import visible
from dashboard.intents import may
from models import pipelines, runs
from models.db import utcnow
from models import i18n
from models.i18n import N_, _, ngettext
from models.status import ACTIVE
from models.tables import Pipeline, PipelineVersion



def page_title(pipeline_id=None, **_params) -> str:
    """The browser tab names the pipeline (`sample · Millrace`)."""
    try:
        p = _pipeline(pipeline_id)
    except Exception:  # noqa: BLE001 — a title must never break the page; the layout says what is wrong
        p = None
    return _("{name} · Millrace", name=p.name) if p else _("Pipeline · Millrace")


dash.register_page(__name__, path_template="/pipelines/<pipeline_id>", name="Pipeline", title=page_title)
triggers_panel.wiring.register()    # the "edit trigger rules" dialog this page shows
versions.wiring.register()          # the version history card

POLL_MS = 2000
RECORDS = 50


def _pipeline(pipeline_id) -> Pipeline | None:
    return (visible(pipelines.live(), Pipeline).where(Pipeline.id == int(pipeline_id)).first()
            if str(pipeline_id).isdigit() else None)


def snapshot(p: Pipeline, page: int = 1) -> dict:
    """What the page shows, as plain data; run records of page `page` (RECORDS a page, newest first)."""
    spec, now = pipelines.current_spec(p), utcnow()
    pages = max(1, -(-runs.count_runs(p) // RECORDS))
    page = min(max(1, page or 1), pages)
    version = PipelineVersion.get_by_id(p.current_version_id)
    records = [{"id": r.id, "number": r.number, "status": r.status, "cause": cause_word(r.cause), "detail": r.cause_detail,
                "reason": i18n.shown(r.reason, r.reason_message), "start": r.started_at.isoformat() if r.started_at else None,
                "end": r.finished_at.isoformat() if r.finished_at else None, "queued": r.queued_at.isoformat(),
                "started": time_text(r.started_at or r.queued_at), "ago": ago_text(r.started_at or r.queued_at, now),
                "duration": duration_text(span_seconds(r.started_at, r.finished_at, now))}
               for r in runs.list_runs(p, RECORDS, (page - 1) * RECORDS)]
    return {"id": p.id, "name": p.name, "description": p.description, "active": p.is_active,
            "may": [a for a in ALL_ACTIONS if may(a, p)],
            "source": spec.get("source"), "timeout": spec["timeout_minutes"], "version": version.version_number,
            "saved": _("{time} by {user}", time=time_text(version.created_at), user=version.created_by), "owner": p.owner,
            "triggers": trigger_summaries([p.id])[p.id], "records": records, "page": page, "pages": pages,
            "forge_hook": forge_hook_card.facts(p), "may_repair": may("repair_webhook", p),
            **trigger_records.facts(p, now)}


def header(s: dict):
    return html.Div([
        html.H2([s["name"], " ", dbc.Badge(_("active") if s["active"] else _("inactive"), className="active-flag fs-6",
                                           color="success" if s["active"] else "secondary")], className="me-auto"),
        html.Div([action_button(_("Run"), "run", s["id"], "primary",
                                title=None if s["active"] else _("deactivated: activate it to run it"))
                  if "run" in s["may"] else None,
                  action_button(_("Stop"), "stop", s["id"], "danger",
                                disabled=not any(r["status"] in ACTIVE for r in s["records"])) if "run" in s["may"] else None,
                  dcc.Link(_("Edit"), href=f"/pipelines/{s['id']}/edit", className="btn btn-sm btn-outline-secondary me-1")
                  if "edit" in s["may"] else None,
                  more_menu(s["id"], s["active"], allowed=s["may"]) if s["may"] else None], className="text-nowrap"),
    ], className="d-flex align-items-center mb-2")


def info_cards(s: dict):
    src = s["source"]
    latest = s["records"][0] if s["records"] else None
    basic = [field(_("Description"), s["description"] or "–"),
             field(_("Code source"), html.Code(f"{src['repository']} ({src['branch']})") if src else _("none")),
             field(_("Version"), _("v{version}, saved {saved}", version=s["version"], saved=s["saved"])),
             field(_("Owner"), s["owner"])]
    last = ([field(_("Run"), dcc.Link(f"#{latest['number']}", href=f"/pipelines/{s['id']}/runs/{latest['number']}")),
             field(_("Status"), status_badge(latest["status"])), field(_("Started"), latest["started"]),
             field(_("Duration"), latest["duration"]), field(_("Cause"), f"{latest['cause']} {latest['detail']}".strip())]
            if latest else [html.P(_("Never run."), className="text-muted")])
    timeout = ngettext("{n} minute", "{n} minutes", s["timeout"]) if s["timeout"] else \
        _("none (runs are stopped after 14 days)")
    return dbc.Row([
        dbc.Col(card(_("Basic information"), basic), md=6),
        dbc.Col(card(_("Latest run"), last, className="latest-run"), md=6),
        dbc.Col(trigger_records.summary_card(s), md=6),
        dbc.Col(card(_("Advanced settings"), [field(_("Timeout"), timeout, className="timeout"),
                                              action_button(_("Edit settings"), "settings@card", s["id"], "secondary")]),
                md=6),
        dbc.Col(trigger_records.fires_card(s), md=6),
        dbc.Col(trigger_records.deliveries_card(s), md=6),
        dbc.Col(forge_hook_card.hook_card(s, s["may_repair"]), md=6),
    ])


RECORD_COLUMNS = (N_("Run"), N_("Status"), N_("Cause"), N_("Started"), N_("Duration"), N_("Reason"), "")


def records_list(s: dict):
    if not s["records"]:
        return html.P(_("No runs yet."), className="text-muted")
    rows = []
    for r in s["records"]:
        actions = [run_button(_("Re-run"), "rerun", r["id"], "primary")]
        if r["status"] in ACTIVE:
            actions.append(run_button(_("Stop"), "stop", r["id"], "danger"))
        actions.append(dcc.Link(_("Open"), href=f"/pipelines/{s['id']}/runs/{r['number']}", className="btn btn-sm btn-link"))
        rows.append(html.Tr([html.Td(dcc.Link(f"#{r['number']}", href=f"/pipelines/{s['id']}/runs/{r['number']}")),
                             html.Td(status_badge(r["status"])), html.Td(f"{r['cause']} {r['detail']}".strip()),
                             html.Td(r["started"], title=r.get("ago")), html.Td(r["duration"]), html.Td(r["reason"], className="small"),
                             html.Td(actions, className="text-nowrap")], **{"data-run": r["number"]}))
    head = html.Thead(html.Tr([html.Th(str(h)) for h in RECORD_COLUMNS]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", hover=True, className="run-records align-middle")


def records_timeline(s: dict):
    from datetime import datetime
    parse = lambda v: datetime.fromisoformat(v) if v else None  # noqa: E731
    bars = [bar(f"#{r['number']}", r["status"], parse(r["start"]), parse(r["end"]), key=r["number"],
                queued=parse(r["queued"])) for r in s["records"]]
    if not bars:
        return html.P(_("No runs yet."), className="text-muted")
    return dcc.Graph(id=ids.DETAIL_TIMELINE, figure=runs_figure(bars, utcnow()), config={"displayModeBar": False},
                     className="run-timeline")


def records(s: dict, view: str):
    return records_timeline(s) if view == "timeline" else records_list(s)


def diagram(p: Pipeline):
    elements = graph.spec_to_elements(pipelines.current_spec(p), editable=False)
    return cyto.Cytoscape(id=ids.DETAIL_DIAGRAM, elements=elements, stylesheet=graph.STYLESHEET,
                          layout={"name": "preset", "fit": True, "padding": 20}, autoungrabify=True, maxZoom=1,
                          userZoomingEnabled=False, boxSelectionEnabled=False, style={"height": "320px"})


def layout(pipeline_id=None, **_params):
    p = _pipeline(pipeline_id)
    if p is None:
        return dbc.Alert(_("No pipeline with id {id} (it may have been deleted).", id=pipeline_id), color="warning")
    s = snapshot(p)
    return html.Div([
        dcc.Store(id=ids.DETAIL_ID, data=p.id), dcc.Store(id=ids.DETAIL_SIGNATURE, data=s),
        html.Div([header(s), trigger_records.inactive_banner(s), info_cards(s)], id=ids.DETAIL_INFO),
        card(_("Pipeline diagram"), diagram(p)),
        versions.card(p),
        dbc.Card([dbc.CardHeader(dbc.Row([
            dbc.Col(_("Run records ({count} a page, newest first)", count=RECORDS), className="fw-semibold"),
            dbc.Col(dbc.RadioItems(id=ids.DETAIL_RUNS_VIEW, value="list", inline=True,
                                   options=[{"label": _("List"), "value": "list"}, {"label": _("Timeline"), "value": "timeline"}]),
                    width="auto")])),
            dbc.CardBody([html.Div(records(s, "list"), id=ids.DETAIL_RUNS),
                          # Older records, RECORDS at a time (the page used to end at the latest 50).
                          dbc.Pagination(id=ids.DETAIL_RUNS_PAGE, max_value=s["pages"], active_page=1,
                                         fully_expanded=False, first_last=True, className="mt-2 mb-0",
                                         style=_shown(s["pages"] > 1))])], className="mb-3"),
        dcc.Interval(id=ids.DETAIL_POLL, interval=POLL_MS),
        triggers_panel.dialog(),
    ])


def _shown(flag: bool):
    return None if flag else {"display": "none"}


@callback(Output(ids.DETAIL_INFO, "children"), Output(ids.DETAIL_RUNS, "children"), Output(ids.DETAIL_SIGNATURE, "data"),
          Output(ids.DETAIL_RUNS_PAGE, "max_value"), Output(ids.DETAIL_RUNS_PAGE, "style"),
          Input(ids.DETAIL_POLL, "n_intervals"), Input(ids.ACTION_DONE, "data"), Input(ids.DETAIL_RUNS_VIEW, "value"),
          Input(ids.DETAIL_RUNS_PAGE, "active_page"),
          State(ids.DETAIL_ID, "data"), State(ids.DETAIL_SIGNATURE, "data"), prevent_initial_call=True)
def refresh(_tick, _done, view, page, pipeline_id, shown):
    p = _pipeline(pipeline_id)
    if p is None:
        return dbc.Alert(_("This pipeline was deleted."), color="warning"), None, None, no_update, no_update
    s = snapshot(p, page or 1)
    if s == shown and dash.ctx.triggered_id != ids.DETAIL_RUNS_VIEW:
        return (no_update,) * 5
    return ([header(s), trigger_records.inactive_banner(s), info_cards(s)], records(s, view), s, s["pages"],
            _shown(s["pages"] > 1))


@callback(Output(ids.REDIRECT, "href", allow_duplicate=True), Input(ids.DETAIL_TIMELINE, "clickData"),
          State(ids.DETAIL_ID, "data"), prevent_initial_call=True)
def open_clicked_run(click, pipeline_id):
    points = (click or {}).get("points") or []
    if not points or points[0].get("customdata") is None:
        return no_update
    return f"/pipelines/{pipeline_id}/runs/{points[0]['customdata']}"
