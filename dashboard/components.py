"""Small shared pieces of the pages: status badges and colours, time and duration text,
and the one place errors are rendered in the UI (`error_alert`).

Colours come from the status vocabulary of models.status, so a status looks the same in
the list, the run page, the timeline and the graph. Every badge says its status in words
as well as in colour, in the reader's language (`status_word`; the stored code never changes).
Durations and relative times ("3 minutes ago", Babel's) follow the reader's language too.
"""
from __future__ import annotations

import datetime as dt
import re

import dash_bootstrap_components as dbc
from babel.dates import format_timedelta
from dash import html

from dashboard import ids, viewer
from models import i18n
from models.i18n import N_, _
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
# status → its words (Msgs: rendered when shown, in the reader's language; English = the code's words)
STATUS_WORDS = {
    Status.PENDING: N_("pending"), Status.QUEUED: N_("queued"), Status.RUNNING: N_("running"),
    Status.WAITING: N_("waiting"), Status.SUCCEEDED: N_("succeeded"), Status.FAILED: N_("failed"),
    Status.STOPPED: N_("stopped"), Status.TIMED_OUT: N_("timed out"), Status.SKIPPED: N_("skipped"),
}
NEVER_RUN = N_("never run")


def status_word(status: str | None) -> str:
    """A stored status code as the reader reads it ("timed_out" → "timed out" / "超时")."""
    if not status:
        return str(NEVER_RUN)
    word = STATUS_WORDS.get(status)
    return str(word) if word is not None else status.replace("_", " ")


CAUSE_WORDS = {"manual": N_("manual"), "rerun": N_("rerun"), "rollback": N_("rollback"), "timer": N_("timer"),
               "webhook": N_("webhook")}


def cause_word(cause: str | None) -> str:
    """What started a run (a stored code: manual, rerun, timer, webhook, rollback), as the reader reads it."""
    word = CAUSE_WORDS.get(cause or "")
    return str(word) if word is not None else (cause or "")


def status_hex(status: str | None) -> str:
    return STATUS_COLOURS.get(status or "", ("light", "#dee2e6"))[1]


def status_badge(status: str | None, **kwargs) -> dbc.Badge:
    colour = STATUS_COLOURS.get(status or "", ("light", ""))[0]
    text_colour = "dark" if colour in ("light", "warning") else None
    return dbc.Badge(status_word(status), color=colour, text_color=text_colour,
                     className=f"status status-{status or 'none'}", **kwargs)


def duration_text(seconds: float | None) -> str:
    """A compact duration in the reader's language ("2m 05s" / "2分05秒")."""
    if seconds is None:
        return "–"
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        shown = format(seconds, ".1f" if seconds < 10 else ".0f")
        return _("{seconds}s", seconds=shown)
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours >= 24:
        days, hours = divmod(hours, 24)
        return _("{days}d {hours}h", days=days, hours=hours)
    if hours:
        return _("{hours}h {minutes}m", hours=hours, minutes=format(minutes, "02d"))
    return _("{minutes}m {seconds}s", minutes=minutes, seconds=format(secs, "02d"))


def ago_text(at: dt.datetime | None, now: dt.datetime) -> str:
    """How long ago a stored (naive UTC) time was, by Babel in the reader's locale ("3 minutes
    ago" / "3分钟前"); whole minutes at least, so a polled list changes at most once a minute."""
    if not at:
        return ""
    return format_timedelta(at - now, granularity="minute", add_direction=True, locale=i18n.language())


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


def sentence(text: str, **parts) -> list:
    """A translated sentence with components in it (code, links): each `{name}` of `text` (as
    `_()` left it, unfilled) becomes `parts[name]`, so translators move whole words around."""
    out = []
    for chunk in re.split(r"(\{\w+\})", text):
        name = chunk[1:-1] if chunk.startswith("{") and chunk.endswith("}") else None
        out.append(parts[name] if name in parts else chunk)
    return [piece for piece in out if piece != ""]


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


def shown_once(message, secret: str, box_class: str, value_class: str) -> dbc.Alert:
    """A new password or token, said once: it stays until dismissed (an ok_alert fades) and
    is never sent again (the classes let a reader, or a test, find the value)."""
    return dbc.Alert([message, " ", html.Code(secret, className=value_class)], color="success", dismissable=True,
                     className=f"mb-2 shown-once {box_class}")


def card(title: str, body, className: str = "", **kwargs) -> dbc.Card:
    return dbc.Card([dbc.CardHeader(title), dbc.CardBody(body)], className=f"mb-3 {className}".strip(), **kwargs)


def action_button(label: str, action: str, pipeline_id: int, colour: str, **kwargs) -> html.Button:
    """A row/page action on a pipeline; dashboard.actions handles every one of them."""
    return html.Button(label, id={"type": ids.ROW_ACTION, "action": action, "pipeline": pipeline_id},
                       className=f"btn btn-sm btn-outline-{colour} me-1", **{"data-action": action}, **kwargs)


def run_button(label: str, action: str, run_id: int, colour: str) -> html.Button:
    return html.Button(label, id={"type": ids.RUN_ACTION, "action": action, "run": run_id},
                       className=f"btn btn-sm btn-outline-{colour} me-1", **{"data-action": action})


ALL_ACTIONS = ("run", "edit", "settings", "activate", "copy", "delete")


def more_menu(pipeline_id: int, active: bool, allowed=ALL_ACTIONS, **kwargs) -> dbc.DropdownMenu:
    """The "more" menu of a pipeline: edit, trigger rules, settings, (de)activate, copy, delete —
    those of them `allowed` (what the signed-in user may do)."""
    def item(label, action):
        return dbc.DropdownMenuItem(label, id={"type": ids.ROW_ACTION, "action": action, "pipeline": pipeline_id})

    entries = [
        dbc.DropdownMenuItem(_("Edit pipeline"), href=f"/pipelines/{pipeline_id}/edit") if "edit" in allowed else None,
        dbc.DropdownMenuItem(_("Trigger rules"), href=f"/pipelines/{pipeline_id}#triggers"),
        item(_("Advanced settings"), "settings") if "settings" in allowed else None,
        item(_("Deactivate") if active else _("Activate"), "deactivate" if active else "activate")
        if "activate" in allowed else None,
        item(_("Copy"), "copy") if "copy" in allowed else None,
        dbc.DropdownMenuItem(divider=True) if "delete" in allowed else None,
        item(_("Delete"), "delete") if "delete" in allowed else None,
    ]
    return dbc.DropdownMenu([e for e in entries if e is not None], label=_("More"), size="sm", color="secondary", className="d-inline-block more-menu", align_end=True, **kwargs)
