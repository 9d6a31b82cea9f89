"""`GET /api/v1/pipelines/{name}/triggers`: a pipeline's timed rule (with its next fire times),
its webhook rule (events, the branch its source builds, the payload URLs), its concurrency
policy, and the recent fires and deliveries — what `run.py triggers` prints and the pipeline
page's trigger cards show, read through the same models (models/triggers.py).

The webhook's secret is never part of it: it is shown once, when it is made.
"""
from __future__ import annotations

import datetime as dt

from marshmallow import Schema, fields

from dashboard.api_v1 import permissions
from dashboard.api_v1.blueprint import bp
from dashboard.api_v1.times import Timestamp
from dashboard.triggers.form import hook_urls
from models import account_settings, forge_hooks, triggers
from models.schedule import preview, zone
from models.tables import Run

RECENT = 20
UPCOMING = 3


class Timer(Schema):
    rule = fields.String(required=True, metadata={"description": "e.g. 'daily at 09:30'"})
    timezone = fields.String(required=True, metadata={"description": "'' = the server's zone"})
    misfire_policy = fields.String(required=True)
    misfire_deadline_seconds = fields.Integer(required=True)
    enabled = fields.Boolean(required=True)
    next_fires = fields.List(Timestamp(), required=True)
    updated_at = Timestamp(required=True)
    updated_by = fields.String(required=True)


class Webhook(Schema):
    events = fields.List(fields.String(), required=True, metadata={"description": "of push, merge, tag"})
    branches = fields.List(fields.String(), required=True, metadata={"description": "the source's branch, if any"})
    url = fields.String(required=True, metadata={"description": "the GitHub payload URL"})
    urls = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                       metadata={"description": "payload URL per forge: github, gitlab"})
    managed = fields.Boolean(required=True, metadata={"description": "registered on the forge by Millrace"})


class Fire(Schema):
    scheduled_for = Timestamp(required=True)
    recorded_at = Timestamp(required=True)
    outcome = fields.String(required=True)
    reason = fields.String(required=True)
    run = fields.String(allow_none=True, required=True, metadata={"description": "the run it started: name#number"})


class Delivery(Schema):
    id = fields.Integer(required=True)
    received_at = Timestamp(required=True)
    provider = fields.String(required=True)
    event = fields.String(required=True)
    repository = fields.String(required=True)
    outcome = fields.String(required=True, metadata={"description": "for this pipeline"})


class Triggers(Schema):
    pipeline = fields.String(required=True)
    active = fields.Boolean(required=True, metadata={"description": "a deactivated pipeline's triggers start nothing"})
    concurrency = fields.String(required=True)
    timed = fields.Nested(Timer, allow_none=True, required=True)
    webhook = fields.Nested(Webhook, allow_none=True, required=True)
    fires = fields.List(fields.Nested(Fire), required=True)
    deliveries = fields.List(fields.Nested(Delivery), required=True)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _timer(p) -> dict | None:
    rules = triggers.timers(p)
    if not rules:
        return None
    rule = rules[0]
    tz = zone(rule.timezone)
    upcoming = preview(rule.rule_text, dt.datetime.now(tz), tz, UPCOMING)
    return {"rule": rule.rule_text, "timezone": rule.timezone, "misfire_policy": rule.misfire_policy,
            "misfire_deadline_seconds": rule.misfire_deadline_seconds, "enabled": bool(rule.enabled),
            "next_fires": [_utc(f) for f in upcoming], "updated_at": rule.updated_at, "updated_by": rule.updated_by}


def _webhook(p) -> dict | None:
    hook = triggers.WebhookRule.get_or_none(triggers.WebhookRule.pipeline == p)
    if hook is None:
        return None
    source = triggers.source_of(p) or {}
    urls = hook_urls(account_settings.public_url())
    return {"events": [e for e in ("push", "merge", "tag") if hook.wants(e)],
            "branches": [source["branch"]] if source.get("branch") else [], "url": urls["github"], "urls": urls,
            "managed": forge_hooks.is_managed(p)}


@bp.get("/pipelines/<name>/triggers")
@bp.output(Triggers)
@bp.doc(operation_id="get_triggers", tags=["triggers"], responses=[404],
        summary="A pipeline's trigger rules, recent timer fires and webhook deliveries")
def get_triggers(name: str):
    p = permissions.pipeline(name)
    fires = triggers.recent_fires(p, RECENT)
    started = {f.run_id for f in fires if f.run_id}
    labels = {r.id: f"{p.name}#{r.number}" for r in Run.select(Run.id, Run.number)
              .where(Run.id.in_(list(started)))} if started else {}
    return {"pipeline": p.name, "active": bool(p.is_active), "concurrency": p.concurrency_policy,
            "timed": _timer(p), "webhook": _webhook(p),
            "fires": [{"scheduled_for": f.scheduled_for, "recorded_at": f.recorded_at, "outcome": f.outcome,
                       "reason": f.shown_reason, "run": labels.get(f.run_id)} for f in fires],
            "deliveries": [{"id": d.id, "received_at": d.received_at, "provider": d.provider, "event": d.event or "",
                            "repository": d.repository or "", "outcome": outcome}
                           for d, outcome in triggers.recent_deliveries(p, RECENT)]}
