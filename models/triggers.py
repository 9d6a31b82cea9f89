"""Trigger tables (timed rules, their fires, webhook rules and deliveries) and the
intents that change them. The schema is owned by migrations/0002_triggers.py.

A fire or a delivery's effect on a pipeline is a row under a UNIQUE constraint, written
in the same transaction as the run it starts: that row is what makes triggers exactly
once. Webhook secrets are generated here, shown once, and stored sealed (models.secrets).
"""
from __future__ import annotations

import json
import secrets as random
from datetime import datetime

from peewee import (AutoField, BlobField, BooleanField, DateTimeField, ForeignKeyField, IntegerField,
                    IntegrityError, TextField)

from models.nudge import wake_daemon
from models import audit
from models.db import BaseModel, utcnow, write_transaction
from models import i18n
from models.i18n import N_, _
from models.schedule import parse_rule, zone
from models.secrets import seal, unseal
from models.tables import Pipeline, PipelineVersion, Run
from models.webhook_parse import repo_key

MISFIRE_POLICIES = ("skip", "run_once")
CONCURRENCY_POLICIES = ("allow", "forbid", "replace")


class TimerRule(BaseModel):
    id = AutoField()
    pipeline = ForeignKeyField(Pipeline, column_name="pipeline_id", backref="timer_rules")
    rule_text = TextField()
    timezone = TextField(default="")
    misfire_policy = TextField(default="skip")
    misfire_deadline_seconds = IntegerField(default=3600)
    enabled = BooleanField(default=True)
    checked_through = DateTimeField()
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    updated_by = TextField(default="")


class TimerFire(BaseModel):
    id = AutoField()
    timer_rule = ForeignKeyField(TimerRule, column_name="timer_rule_id", backref="fires", on_delete="CASCADE")
    scheduled_for = DateTimeField()
    recorded_at = DateTimeField(default=utcnow)
    outcome = TextField()
    run = ForeignKeyField(Run, column_name="run_id", null=True)
    reason = TextField(default="")                # English, for the record
    reason_message = TextField(null=True)         # the same, language-neutral (models/i18n.py)

    @property
    def shown_reason(self) -> str:
        """The reason in the current reader's language."""
        return i18n.shown(self.reason, self.reason_message)


class WebhookRule(BaseModel):
    id = AutoField()
    pipeline = ForeignKeyField(Pipeline, column_name="pipeline_id", unique=True, backref="webhook_rules")
    on_push = BooleanField(default=True)
    on_merge = BooleanField(default=False)
    on_tag = BooleanField(default=False)
    secret_sealed = TextField()
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    updated_by = TextField(default="")

    def wants(self, kind: str) -> bool:
        return {"push": self.on_push, "merge": self.on_merge, "tag": self.on_tag}.get(kind, False)


class WebhookDelivery(BaseModel):
    id = AutoField()
    provider = TextField()
    delivery_id = TextField(null=True)
    event = TextField(default="")
    repository = TextField(default="")
    headers_json = TextField(default="{}")
    verified_for_json = TextField(default="[]")
    body = BlobField(default=b"")
    received_at = DateTimeField(default=utcnow)
    processed_at = DateTimeField(null=True)
    outcome = TextField(default="")
    outcome_message = TextField(null=True)


class WebhookMatch(BaseModel):
    id = AutoField()
    webhook_delivery = ForeignKeyField(WebhookDelivery, column_name="webhook_delivery_id", backref="matches",
                                       on_delete="CASCADE")
    pipeline = ForeignKeyField(Pipeline, column_name="pipeline_id")
    outcome = TextField()
    outcome_message = TextField(null=True)
    run = ForeignKeyField(Run, column_name="run_id", null=True)
    recorded_at = DateTimeField(default=utcnow)


TRIGGER_TABLES = [TimerRule, TimerFire, WebhookRule, WebhookDelivery, WebhookMatch]


# ---- timed rules -------------------------------------------------------------------

def save_timer(pipeline: Pipeline, rule_text: str, actor: str, *, timezone: str = "", misfire_policy: str = "skip",
               misfire_deadline_seconds: int = 3600, enabled: bool = True, rule: TimerRule | None = None,
               now: datetime | None = None) -> TimerRule:
    """Create or change a timed rule. Fire times before `now` never fire for it."""
    words = str(parse_rule(rule_text))          # ValueError names what is wrong
    zone(timezone)
    if misfire_policy not in MISFIRE_POLICIES:
        raise ValueError(N_("misfire policy must be one of {policies}, got '{policy}'",
                            policies=", ".join(MISFIRE_POLICIES), policy=misfire_policy))
    if misfire_deadline_seconds < 0:
        raise ValueError(N_("misfire deadline must be 0 seconds or more"))
    now = now or utcnow()
    fields = dict(rule_text=words, timezone=timezone.strip(), misfire_policy=misfire_policy, enabled=enabled,
                  misfire_deadline_seconds=misfire_deadline_seconds, checked_through=now, updated_at=now,
                  updated_by=actor)
    with write_transaction():
        if rule is None:
            rule = TimerRule.create(pipeline=pipeline, created_at=now, **fields)
        else:
            TimerRule.update(**fields).where(TimerRule.id == rule.id).execute()
            rule = TimerRule.get_by_id(rule.id)
        audit.record(actor, "edit_trigger", pipeline, timer=words, timezone=timezone, misfire=misfire_policy,
                     enabled=enabled)
    wake_daemon()          # so the daemon computes its next wake-up with this rule
    return rule


def delete_timer(rule: TimerRule, actor: str) -> None:
    with write_transaction():
        audit.record(actor, "delete_trigger", rule.pipeline, timer=rule.rule_text)
        rule.delete_instance(recursive=True)


def timers(pipeline: Pipeline) -> list[TimerRule]:
    return list(TimerRule.select().where(TimerRule.pipeline == pipeline).order_by(TimerRule.id))


def recent_fires(pipeline: Pipeline, limit: int = 20) -> list[TimerFire]:
    return list(TimerFire.select().join(TimerRule).where(TimerRule.pipeline == pipeline)
                .order_by(TimerFire.scheduled_for.desc()).limit(limit))


def set_concurrency(pipeline: Pipeline, policy: str, actor: str) -> None:
    if policy not in CONCURRENCY_POLICIES:
        raise ValueError(N_("concurrency policy must be one of {policies}, got '{policy}'",
                            policies=", ".join(CONCURRENCY_POLICIES), policy=policy))
    with write_transaction():
        Pipeline.update(concurrency_policy=policy, updated_at=utcnow()).where(Pipeline.id == pipeline.id).execute()
        audit.record(actor, "edit_trigger", pipeline, concurrency=policy)
    pipeline.concurrency_policy = policy


# ---- webhooks ----------------------------------------------------------------------

def save_webhook(pipeline: Pipeline, actor: str, *, push=True, merge=False, tag=False,
                 new_secret=False) -> tuple[WebhookRule, str | None]:
    """Set the events a pipeline answers to. Returns the secret in clear only when it is
    new (first save or `new_secret`): it is shown once and never again."""
    clear = random.token_urlsafe(32)
    with write_transaction():
        rule = WebhookRule.get_or_none(WebhookRule.pipeline == pipeline)
        fields = dict(on_push=push, on_merge=merge, on_tag=tag, updated_at=utcnow(), updated_by=actor)
        if rule is None:
            rule = WebhookRule.create(pipeline=pipeline, secret_sealed=seal(clear), **fields)
        else:
            if new_secret:
                fields["secret_sealed"] = seal(clear)
            WebhookRule.update(**fields).where(WebhookRule.id == rule.id).execute()
            clear = clear if new_secret else None
        audit.record(actor, "edit_trigger", pipeline, webhook_events=[k for k, on in
                     (("push", push), ("merge", merge), ("tag", tag)) if on], new_secret=clear is not None)
    return WebhookRule.get_by_id(rule.id), clear


def webhook_secret(rule: WebhookRule) -> str:
    return unseal(rule.secret_sealed)


def source_of(pipeline: Pipeline) -> dict | None:
    """The pipeline's current {repository, branch}, or None if it builds no repository."""
    version = PipelineVersion.get_or_none(PipelineVersion.id == pipeline.current_version_id)
    return json.loads(version.definition_json).get("source") if version else None


def webhook_candidates(repository: str) -> list[tuple[Pipeline, WebhookRule, dict]]:
    """(pipeline, rule, source) for every live pipeline with a webhook rule on `repository`."""
    found = []
    # Read to the end first: callers open write transactions right after (store_delivery, the
    # daemon's matches), and no snapshot may still be open then (see models/db.py).
    rules = list(WebhookRule.select(WebhookRule, Pipeline).join(Pipeline)
                 .where(Pipeline.deleted_at.is_null()).order_by(Pipeline.id))
    for rule in rules:
        source = source_of(rule.pipeline)
        if source and source.get("repository") and repo_key(source["repository"]) == repository:
            found.append((rule.pipeline, rule, source))
    return found


def store_delivery(provider: str, delivery_id: str, event: str, repository: str, headers: dict,
                   body: bytes, verified_for: list[int], *,
                   processed_outcome: str | None = None) -> WebhookDelivery | None:
    """Store a verified delivery; None if this delivery id was stored before (a replay).

    A replay is still written down, without its body, so the deliveries list shows it."""
    now = utcnow()
    try:
        with write_transaction():
            delivery = WebhookDelivery.create(
                provider=provider, delivery_id=delivery_id, event=event, repository=repository,
                headers_json=json.dumps(headers), verified_for_json=json.dumps(verified_for), body=body,
                received_at=now,
                processed_at=now if processed_outcome else None, **outcome_fields(processed_outcome or ""))
        wake_daemon()
        return delivery
    except IntegrityError:
        record_unstored(provider, event, repository, N_("duplicate of delivery {id}", id=delivery_id))
        return None


def record_unstored(provider: str, event: str, repository: str, outcome) -> None:
    """A visible line for a delivery that started nothing and keeps no body (replay, bad signature)."""
    now = utcnow()
    with write_transaction():
        WebhookDelivery.create(provider=provider, delivery_id=None, event=event, repository=repository,
                               received_at=now, processed_at=now, **outcome_fields(outcome))


def message_json(value) -> str | None:
    """A Msg as the JSON stored beside its English text; None for plain text."""
    return value.to_json() if isinstance(value, i18n.Msg) else None


def outcome_fields(outcome) -> dict:
    """A delivery's or match's outcome (a Msg or text) as its columns: English text and the message."""
    return {"outcome": i18n.english(outcome), "outcome_message": message_json(outcome)}


def recent_deliveries(pipeline: Pipeline, limit: int = 20) -> list[tuple[WebhookDelivery, str]]:
    """(delivery, outcome for this pipeline), newest first, for the pipeline's repository; the
    outcome in the current reader's language."""
    source = source_of(pipeline)
    if not source or not source.get("repository"):
        return []
    rows = list(WebhookDelivery.select().where(WebhookDelivery.repository == repo_key(source["repository"]))
                .order_by(WebhookDelivery.id.desc()).limit(limit))
    out = []
    for delivery in rows:
        match = WebhookMatch.get_or_none((WebhookMatch.webhook_delivery == delivery)
                                         & (WebhookMatch.pipeline == pipeline))
        if match is not None:
            outcome = i18n.shown(match.outcome, match.outcome_message)
        else:
            outcome = i18n.shown(delivery.outcome, delivery.outcome_message) or _("waiting for the daemon")
        out.append((delivery, outcome))
    return out
