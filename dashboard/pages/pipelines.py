"""The pipelines list (`/pipelines`, also `/`): latest run status, time and duration,
trigger summary, active flag; row actions run / stop / more; search and status filter;
"create pipeline" from scratch or by copying.

The rows come from one query for the latest run of every pipeline (a correlated
sub-select on the (pipeline_id, number) index), so the page stays fast with many runs.
The table shows PAGE_SIZE rows at a time and re-renders on a poll only when what it
shows changed, so an open menu stays open.
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import ids
from dashboard.components import (ALL_ACTIONS, NEVER_RUN, STATUS_WORDS, action_button, ago_text, duration_text, more_menu,
                                  span_seconds, status_badge, time_text)
from dashboard.queries import latest_runs, trigger_summaries
from dashboard.auth.current import may_create, visible
from dashboard.intents import may
from models import i18n, pipelines
from models.db import utcnow
from models.i18n import N_, _
from models.status import ACTIVE
from models.tables import Pipeline

def page_title(**_params) -> str:
    return _("Pipelines · Millrace")


dash.register_page(__name__, path="/pipelines", name="Pipelines", title=page_title)

POLL_MS = 3000
PAGE_SIZE = 50
# value → label (Msgs, rendered when the filter is drawn; statuses in components' words)
STATUS_FILTERS = [("all", N_("any status")),
                  *((code, STATUS_WORDS[code]) for code in ("running", "queued", "waiting", "succeeded", "failed",
                                                            "stopped", "timed_out")),
                  ("never", NEVER_RUN), ("inactive", N_("inactive"))]


def rows(search: str = "", status: str = "all") -> list[dict]:
    """The visible rows as plain data (also what the poll compares)."""
    query = visible(pipelines.live(), Pipeline).order_by(Pipeline.name)
    if search:
        query = query.where(Pipeline.name.contains(search.strip()))
    found = list(query)
    latest = latest_runs([p.id for p in found])
    triggers = trigger_summaries([p.id for p in found])
    now, out = utcnow(), []
    for p in found:
        run = latest.get(p.id)
        row = {"id": p.id, "name": p.name, "active": p.is_active, "triggers": triggers[p.id],
               "status": run.status if run else None, "number": run.number if run else None,
               # A run not started yet has no start time: its queue time here read as one (issue 12).
               "started": (time_text(run.started_at) if run.started_at else _("queued, waiting")) if run else "–",
               # How long ago, in whole minutes (so the poll re-renders at most once a minute for it).
               "ago": ago_text(run.started_at, now) if run else "",
               "duration": duration_text(span_seconds(run.started_at, run.finished_at, now)) if run else "–",
               # what this user may do with it: the row shows only those buttons (the server checks again)
               "may": [a for a in ALL_ACTIONS if may(a, p)]}
        if status == "all" or (status == "never" and run is None) or (status == "inactive" and not p.is_active) \
                or (run is not None and run.status == status):
            out.append(row)
    return out


COLUMNS = (N_("Pipeline"), N_("Latest run"), N_("Started"), N_("Duration"), N_("Triggers"), N_("State"), "")
SECONDARY = ("Started", "Duration", "Triggers", "State")
NARROW_HIDDEN = "d-none d-sm-table-cell"


def table(data: list[dict], filtered: bool = False):
    if not data:
        return html.P(_("No pipeline matches the search.") if filtered else
                      _("No pipelines yet: create one with “Create pipeline” (from scratch or by copying)."),
                      className="text-muted empty-list")
    # Below 576 px only the name, the latest run and the actions are shown: the table fits a
    # narrow window without scrolling sideways, and every action stays reachable.
    head = html.Thead(html.Tr([html.Th(str(h), className=NARROW_HIDDEN if i18n.english(h) in SECONDARY else None)
                               for h in COLUMNS]))
    body = []
    for row in data:
        latest = [status_badge(row["status"])]
        if row["number"]:
            latest.append(dcc.Link(f"#{row['number']}", href=f"/pipelines/{row['id']}/runs/{row['number']}",
                                   className="ms-1"))
        body.append(html.Tr([
            html.Td(dcc.Link(row["name"], href=f"/pipelines/{row['id']}", className="pipeline-name fw-semibold")),
            html.Td(latest),
            html.Td([row["started"], html.Div(row["ago"], className="small text-muted run-ago") if row["ago"] else None],
                    className=NARROW_HIDDEN + " run-started"),
            html.Td(row["duration"], className=NARROW_HIDDEN),
            html.Td([row["triggers"], None if row["active"] else html.Div(_("inactive: starts nothing"),
                                                                          className="small text-muted")],
                    className=NARROW_HIDDEN),
            html.Td(dbc.Badge(_("active") if row["active"] else _("inactive"), color="success" if row["active"] else "secondary",
                              className="active-flag"), className=NARROW_HIDDEN),
            html.Td([action_button(_("Run"), "run", row["id"], "primary",
                                   title=None if row["active"] else _("deactivated: activate it to run it"))
                     if "run" in row["may"] else None,
                     action_button(_("Stop"), "stop", row["id"], "danger",
                                   disabled=row["status"] not in ACTIVE) if "run" in row["may"] else None,
                     more_menu(row["id"], row["active"], allowed=row["may"]) if row["may"] else None],
                    className="text-nowrap text-end"),
        ], **{"data-pipeline": row["name"]}))
    return dbc.Table([head, html.Tbody(body)], hover=True, responsive=True, className="pipelines-table align-middle")


def page_of(data: list[dict], page: int | None) -> tuple[list[dict], int]:
    """The rows of page `page` (from 1, clamped) and the number of pages."""
    pages = max(1, -(-len(data) // PAGE_SIZE))
    page = min(max(1, page or 1), pages)
    return data[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], pages


def layout(search=None, status=None, **_params):
    """`?search=…&status=…` (what the filters wrote into the address) opens the list filtered."""
    search = search if isinstance(search, str) else ""
    status = status if status in {v for v, _label in STATUS_FILTERS} else "all"
    shown, pages = page_of(rows(search, status), 1)
    return html.Div([
        dbc.Row([
            dbc.Col(html.H2(_("Pipelines")), width="auto"),
            dbc.Col(dbc.DropdownMenu([
                dbc.DropdownMenuItem(_("From scratch (Source, Build, Test, Deploy)"), href="/pipelines/new"),
                dbc.DropdownMenuItem(_("Copy an existing pipeline…"),
                                     id={"type": ids.ROW_ACTION, "action": "create-copy", "pipeline": 0}),
            ], label=_("Create pipeline"), id=ids.LIST_CREATE_MENU, color="primary"), width="auto", className="ms-auto")
            if may_create() else None,
        ], className="align-items-center mb-2"),
        dbc.Row([
            dbc.Col(dbc.Input(id=ids.LIST_SEARCH, placeholder=_("Search by name"), type="search", debounce=0.3,
                              value=search), md=4),
            dbc.Col(dbc.Select(id=ids.LIST_STATUS, value=status,
                               options=[{"label": str(label), "value": v} for v, label in STATUS_FILTERS]), md=3),
        ], className="mb-3"),
        html.Div(table(shown, bool(search) or status != "all"), id=ids.LIST_TABLE),
        dbc.Pagination(id=ids.LIST_PAGE, max_value=pages, active_page=1, fully_expanded=False,
                       style={"display": "none"} if pages == 1 else None),
        html.P(dcc.Link(_("Archived pipelines (deleted, with their runs)"), href="/archived", className="archived-link"),
               className="small mt-2"),
        dcc.Store(id=ids.LIST_SIGNATURE, data=[shown, pages]),
        dcc.Interval(id=ids.LIST_POLL, interval=POLL_MS),
    ])


# The same page also answers at "/" (a second registry entry; Dash keys pages by this name).
dash.register_page(f"{__name__}_home", path="/", name="Home", title=page_title, layout=layout)


@callback(Output(ids.LIST_TABLE, "children"), Output(ids.LIST_SIGNATURE, "data"), Output(ids.LIST_PAGE, "max_value"),
          Output(ids.LIST_PAGE, "style"), Input(ids.LIST_SEARCH, "value"), Input(ids.LIST_STATUS, "value"),
          Input(ids.LIST_PAGE, "active_page"), Input(ids.LIST_POLL, "n_intervals"), Input(ids.ACTION_DONE, "data"),
          State(ids.LIST_SIGNATURE, "data"), prevent_initial_call=True)
def refresh(search, status, page, _tick, _done, shown):
    visible, pages = page_of(rows(search or "", status or "all"), page)
    if [visible, pages] == shown:
        return no_update, no_update, no_update, no_update
    filtered = bool(search) or (status or "all") != "all"
    return table(visible, filtered), [visible, pages], pages, {"display": "none"} if pages == 1 else None


# The filters live in the address (replaceState: no navigation, no history entry), so a
# reload or a shared link opens the same filtered list.
dash.clientside_callback(
    """function (search, status) {
        var url = new URL(window.location.href);
        if (search) { url.searchParams.set("search", search); } else { url.searchParams.delete("search"); }
        if (status && status !== "all") { url.searchParams.set("status", status); } else { url.searchParams.delete("status"); }
        if (url.href !== window.location.href) { window.history.replaceState(window.history.state, "", url.href); }
        return window.dash_clientside.no_update;
    }""",
    Output(ids.LIST_SEARCH, "title"), Input(ids.LIST_SEARCH, "value"), Input(ids.LIST_STATUS, "value"),
    prevent_initial_call=True)
