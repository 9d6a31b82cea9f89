"""The pipeline detail page's trigger pieces: the trigger rules card (with "Edit trigger
rules"), the banner of a deactivated pipeline, "recent fires" of its timed rule and
"recent deliveries" of webhooks on its repository, each delivery with its outcome
("started run #3", "duplicate of delivery …", "not matching branch 'dev' …", "rejected:
bad signature").

`facts` gathers them as plain data (the page's poll compares it); the rest render it.
Fire times are shown in the rule's zone; deliveries in UTC like every stored time.
"""
from __future__ import annotations

from datetime import datetime, timezone

import dash_bootstrap_components as dbc
from dash import html

from dashboard import ids
from dashboard.components import action_button, card, field, time_text
from dashboard.triggers.form import zone_label
from models.i18n import N_, _
from models import triggers
from models.schedule import preview, zone
from models.tables import Pipeline

SHOWN = 10
# A fire's stored outcome code → how it is said (the code stays what the daemon stored).
FIRE_OUTCOMES = {"pending": N_("pending"), "started": N_("started"), "skipped": N_("skipped"),
                 "missed": N_("missed"), "inactive": N_("inactive"), "error": N_("error")}


def fire_time(scheduled_utc: datetime, tz_name: str) -> str:
    """A fire's scheduled time (stored naive UTC) as wall time in the rule's zone."""
    try:
        tz = zone(tz_name)
    except ValueError:
        tz = timezone.utc
    return scheduled_utc.replace(tzinfo=timezone.utc).astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def facts(p: Pipeline, now: datetime | None = None) -> dict:
    """The trigger state of a pipeline as plain data (`now`: naive UTC, or aware)."""
    now = now or datetime.now(timezone.utc)
    now = now.replace(tzinfo=timezone.utc) if now.tzinfo is None else now.astimezone(timezone.utc)
    timers = triggers.timers(p)
    zones = {t.id: t.timezone for t in timers}
    timer = None
    if timers:
        t = timers[0]
        tz = zone(t.timezone)
        upcoming = preview(t.rule_text, now, tz, 1)
        timer = {"rule": t.rule_text, "zone": zone_label(t.timezone), "misfire": t.misfire_policy,
                 "deadline": t.misfire_deadline_seconds // 60, "next": upcoming[0].strftime("%Y-%m-%d %H:%M %Z")}
    hook = triggers.WebhookRule.get_or_none(triggers.WebhookRule.pipeline == p)
    events = [e for e in ("push", "merge", "tag") if hook is not None and hook.wants(e)]
    fires = [{"scheduled": fire_time(f.scheduled_for, zones.get(f.timer_rule_id, "")), "outcome": f.outcome,
              "reason": f.shown_reason} for f in triggers.recent_fires(p, SHOWN)]
    deliveries = [{"received": time_text(d.received_at), "provider": d.provider, "event": d.event or "–",
                   "outcome": outcome} for d, outcome in triggers.recent_deliveries(p, SHOWN)]
    return {"timer": timer, "webhook": events if hook is not None else None, "concurrency": p.concurrency_policy,
            "fires": fires, "deliveries": deliveries}


def inactive_text(name: str) -> str:
    return _("'{name}' is deactivated: its timed rule and webhooks start nothing, and Run is refused, "
             "until it is activated.", name=name)


def inactive_banner(s: dict):
    if s["active"]:
        return None
    return dbc.Alert([html.Span(inactive_text(s["name"]), className="me-2"),
                      action_button(_("Activate"), "activate@banner", s["id"], "success")],
                     id=ids.DETAIL_INACTIVE, color="warning", className="d-flex align-items-center")


def summary_card(s: dict):
    timer = s["timer"]
    if not timer:
        rule = _("none")
    elif timer["misfire"] == "run_once":
        rule = _("{rule} ({zone}); missed fires: {misfire} within {deadline} min", rule=timer["rule"],
                 zone=timer["zone"], misfire=timer["misfire"], deadline=timer["deadline"])
    else:
        rule = _("{rule} ({zone}); missed fires: {misfire}", rule=timer["rule"], zone=timer["zone"],
                 misfire=timer["misfire"])
    webhook = _("none") if s["webhook"] is None else ", ".join(s["webhook"]) or _("set up, no events ticked")
    body = [field(_("Starts on"), s["triggers"]), field(_("Timed rule"), rule, className="timer-rule")]
    if timer:
        body.append(field(_("Next fire"), timer["next"] if s["active"]
                          else _("{time} (starts nothing: inactive)", time=timer["next"])))
    body += [field(_("Webhook events"), webhook, className="webhook-events"),
             field(_("Overlap"), _("concurrency {policy}", policy=s["concurrency"]), className="concurrency"),
             html.Button(_("Edit trigger rules"), id=ids.TRIG_OPEN, className="btn btn-sm btn-outline-secondary")]
    return card(_("Trigger rules"), body, id="triggers")


def _table(rows: list, head: tuple, empty: str, className: str):
    if not rows:
        return html.P(empty, className="text-muted small mb-0")
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in head])),
                      html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows])],
                     size="sm", className=f"{className} small mb-0")


def fires_card(s: dict):
    rows = [(f["scheduled"], str(FIRE_OUTCOMES.get(f["outcome"], f["outcome"])), f["reason"]) for f in s["fires"]]
    return card(_("Recent fires"), html.Div(_table(rows, (_("Scheduled"), _("Outcome"), _("Reason")),
                                                   _("No timed fire yet."), "recent-fires"), id=ids.DETAIL_FIRES))


def deliveries_card(s: dict):
    rows = [(d["received"], d["provider"], d["event"], d["outcome"]) for d in s["deliveries"]]
    empty = (_("No webhook delivery for this pipeline's repository yet.") if s["source"]
             else _("This pipeline has no code source, so no webhook can match it."))
    return card(_("Recent deliveries"), html.Div(_table(rows, (_("Received"), _("Provider"), _("Event"), _("Outcome")),
                                                        empty, "recent-deliveries"), id=ids.DETAIL_DELIVERIES))
