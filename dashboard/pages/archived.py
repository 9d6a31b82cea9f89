"""Archived pipelines (`/archived`): the deleted pipelines and their runs, read-only.

Deleting a pipeline keeps its runs for the record (models.pipelines.delete), but the list
and the pipeline page show live pipelines only, so those runs were reachable only by a
remembered address. Here each deleted pipeline lists its runs (newest first, RECORDS of
them, with a count of the rest), each a link to its run page — which, for a deleted
pipeline, offers no Re-run (pages/run_detail.py; models.runs refuses it too).
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components import card, status_badge, time_text
from models import runs
from models.i18n import _, ngettext
from models.tables import Pipeline

dash.register_page(__name__, path="/archived", name="Archived pipelines",
                   title=lambda **_params: _("Archived pipelines · Millrace"))

RECORDS = 50


def _pipeline_card(p: Pipeline):
    found = runs.list_runs(p, RECORDS)
    total = runs.count_runs(p)
    items = [html.Li([dcc.Link(f"#{r.number}", href=f"/pipelines/{p.id}/runs/{r.number}", className="me-2"),
                      status_badge(r.status), html.Span(f" {time_text(r.started_at or r.queued_at)}",
                                                        className="small text-muted")],
                     **{"data-run": r.number}) for r in found]
    more = [html.P(ngettext("… and {n} older run.", "… and {n} older runs.", total - len(found)),
                   className="small text-muted mb-0")] \
        if total > len(found) else []
    body = [html.P(_("Deleted {time}. Read-only: its runs cannot be re-run.", time=time_text(p.deleted_at)),
                   className="small text-muted"),
            html.Ul(items, className="list-unstyled mb-1") if items else html.P(_("It never ran."), className="text-muted"),
            *more]
    return html.Div(card(p.name, body, className="archived-pipeline"), **{"data-pipeline": p.name})


def layout(**_params):
    deleted = list(Pipeline.select().where(Pipeline.deleted_at.is_null(False)).order_by(Pipeline.deleted_at.desc()))
    return html.Div([
        html.H2(_("Archived pipelines")),
        html.P([_("Deleted pipelines and their run records. "), dcc.Link(_("Back to the pipelines"), href="/pipelines")]),
        *([_pipeline_card(p) for p in deleted] or
          [dbc.Alert(_("No pipeline has been deleted."), color="info", className="archived-none")]),
    ])
