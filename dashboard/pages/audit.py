"""The audit page (administrators): who did what, when — filtered by user, object, action and
time, newest first, and exported as CSV (`/audit.csv` with the same filters).

The filters live in the address (`/audit?user=alice&action=delete&since=2026-12-01`), so a
view can be shared and the CSV matches what the page shows. Plain GET forms: no callback.
"""
from __future__ import annotations

import csv
import io

import dash
import dash_bootstrap_components as dbc
from dash import html
from flask import Response, abort, request

from dashboard.auth.current import may
from dashboard.components import error_alert, time_text
from models import audit
from models.i18n import _

dash.register_page(__name__, path="/audit", name="Audit", title=lambda **_params: _("Audit · Millrace"))

SHOWN = 200
FILTERS = ("user", "object", "action", "since")


def query(user="", object="", action="", since=""):    # noqa: A002 — the filter's name in the address
    """The matching audit rows, newest first (models.audit.search: the API's filters too)."""
    return audit.search(user, object, action, since)


def _field(name: str, label: str, value: str, placeholder: str = "") -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=f"audit-{name}"),
                    dbc.Input(id=f"audit-{name}", name=name, value=value, placeholder=placeholder)], md=3)


def layout(**params):
    if not may("admin"):
        return error_alert(_("Only administrators can read the audit trail."))
    values = {k: (params.get(k) or "").strip() for k in FILTERS}
    try:
        rows = list(query(**values).limit(SHOWN))
    except ValueError as exc:
        return html.Div([html.H2(_("Audit")), error_alert(str(exc))])
    head = html.Thead(html.Tr([html.Th(_("Time")), html.Th(_("User")), html.Th(_("Action")), html.Th(_("Object")),
                               html.Th(_("Details"))]))
    body = html.Tbody([html.Tr([html.Td(time_text(e.at), className="text-nowrap"), html.Td(e.actor),
                                html.Td(e.action), html.Td(f"{e.object_type} {e.object_name}".strip()),
                                html.Td(html.Code(e.detail_json if e.detail_json != "{}" else ""), className="small")],
                               **{"data-audit": e.id}) for e in rows])
    export = "/audit.csv?" + "&".join(f"{k}={v}" for k, v in values.items() if v)
    return html.Div([
        html.H2(_("Audit")),
        html.Form(dbc.Row([_field("user", _("User"), values["user"]), _field("object", _("Object"), values["object"],
                                                                             _("type or name")),
                           _field("action", _("Action"), values["action"]),
                           _field("since", _("Since"), values["since"], "YYYY-MM-DD"),
                           dbc.Col([dbc.Button(_("Filter"), type="submit", color="primary", className="me-2"),
                                    html.A(_("Export CSV"), href=export, className="btn btn-outline-secondary",
                                           id="audit-export")], className="mt-3")]),
                  method="get", action="/audit", className="mb-3"),
        dbc.Table([head, body], hover=True, responsive=True, size="sm", id="audit-table") if rows else
        dbc.Alert(_("Nothing recorded matches."), color="info"),
        html.P(_("Showing the latest {n} matching rows; the CSV has them all.", n=SHOWN), className="small text-muted")
        if len(rows) == SHOWN else None,
    ])


def export_csv():
    """GET /audit.csv: every matching row (administrators), as the SQLite columns are."""
    if not may("admin"):
        abort(403)
    try:
        rows = query(**{k: (request.args.get(k) or "").strip() for k in FILTERS})
    except ValueError as exc:
        abort(400, str(exc))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "at", "actor", "action", "object_type", "object_id", "object_name", "detail_json"])
    for e in rows.iterator():
        writer.writerow([e.id, f"{e.at:%Y-%m-%d %H:%M:%S}", e.actor, e.action, e.object_type, e.object_id or "",
                         e.object_name, e.detail_json])
    return Response(out.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="millrace-audit.csv"'})
