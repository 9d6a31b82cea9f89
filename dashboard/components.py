"""Small shared pieces of the pages: status badges and colours, time and duration text,
and the one place errors are rendered in the UI (`error_alert`).

Colours come from the status vocabulary of models.status, so a status looks the same in
the list, the run page, the timeline and the graph. Every badge says its status in words
as well as in colour.
"""
from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import html

from dashboard import ids, viewer
from models.status import Status

# status → (Bootstrap colour name, hex colour for Plotly and cytoscape)
STATUS_COLOURS = {
    Status.PENDING: ("light", "#ced4da"),
    Status.QUEUED: ("secondary", "#6c757d"),
    Status.RUNNING: ("primary", "#0d6efd"),
    Status.WAITING: ("warning", "#ffc107"),
    Status.SUCCEEDED: ("success", "#198754"),
    Status.FAILED: ("danger", "#dc3545"),
    Status.STOPPED: ("dark", "#495057"),
    Status.TIMED_OUT: ("danger", "#b02a37"),
    Status.SKIPPED: ("light", "#adb5bd"),
}
STATUS_WORDS = {Status.TIMED_OUT: "timed out"}


def status_word(status: str | None) -> str:
    return "never run" if not status else STATUS_WORDS.get(status, status)


def status_hex(status: str | None) -> str:
    return STATUS_COLOURS.get(status or "", ("light", "#dee2e6"))[1]


def status_badge(status: str | None, **kwargs) -> dbc.Badge:
    colour = STATUS_COLOURS.get(status or "", ("light", ""))[0]
    text_colour = "dark" if colour in ("light", "warning") else None
    return dbc.Badge(status_word(status), color=colour, text_color=text_colour,
                     className=f"status status-{status or 'none'}", **kwargs)


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{seconds:.0f}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours >= 24:
        days, hours = divmod(hours, 24)
        return f"{days}d {hours}h"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"


def time_text(at: dt.datetime | None) -> str:
    """A stored (naive UTC) time in the reader's zone, with the zone shown (UTC until the
    browser has told it: dashboard/viewer.py)."""
    if not at:
        return "–"
    local = viewer.local_time(at)
    return f"{local:%Y-%m-%d %H:%M:%S} {viewer.zone_label(local)}"


def span_seconds(start: dt.datetime | None, end: dt.datetime | None, now: dt.datetime) -> float | None:
    if start is None:
        return None
    return ((end or now) - start).total_seconds()


def error_alert(message: str, **kwargs) -> dbc.Alert:
    """The one way an error reaches the user: a red box with the model's own words."""
    return dbc.Alert(message, color="danger", dismissable=True, className="error-alert mb-2", **kwargs)


def ok_alert(message: str, **kwargs) -> dbc.Alert:
    return dbc.Alert(message, color="success", dismissable=True, duration=6000, className="ok-alert mb-2",
                     **kwargs)


def field(label: str, value, className: str = "", **kwargs) -> html.Div:
    """A label/value row for the info cards."""
    return html.Div([html.Span(label, className="field-label"), html.Span(value, className="field-value")],
                    className=f"field {className}".strip(), **kwargs)


def card(title: str, body, className: str = "", **kwargs) -> dbc.Card:
    return dbc.Card([dbc.CardHeader(title), dbc.CardBody(body)], className=f"mb-3 {className}".strip(), **kwargs)


def action_button(label: str, action: str, pipeline_id: int, colour: str, **kwargs) -> html.Button:
    """A row/page action on a pipeline; dashboard.actions handles every one of them."""
    return html.Button(label, id={"type": ids.ROW_ACTION, "action": action, "pipeline": pipeline_id},
                       className=f"btn btn-sm btn-outline-{colour} me-1", **{"data-action": action}, **kwargs)


def run_button(label: str, action: str, run_id: int, colour: str) -> html.Button:
    return html.Button(label, id={"type": ids.RUN_ACTION, "action": action, "run": run_id},
                       className=f"btn btn-sm btn-outline-{colour} me-1", **{"data-action": action})


def more_menu(pipeline_id: int, active: bool, **kwargs) -> dbc.DropdownMenu:
    """The "more" menu of a pipeline: edit, trigger rules, settings, (de)activate, copy, delete."""
    def item(label, action):
        return dbc.DropdownMenuItem(label, id={"type": ids.ROW_ACTION, "action": action, "pipeline": pipeline_id})

    return dbc.DropdownMenu([
        dbc.DropdownMenuItem("Edit pipeline", href=f"/pipelines/{pipeline_id}/edit"),
        dbc.DropdownMenuItem("Trigger rules", href=f"/pipelines/{pipeline_id}#triggers"),
        item("Advanced settings", "settings"),
        item("Deactivate" if active else "Activate", "deactivate" if active else "activate"),
        item("Copy", "copy"),
        dbc.DropdownMenuItem(divider=True),
        item("Delete", "delete"),
    ], label="More", size="sm", color="secondary", className="d-inline-block more-menu", align_end=True, **kwargs)
