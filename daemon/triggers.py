"""Turning triggers into runs, once per tick: due timed rules and stored webhook deliveries.

Exactly once: each fire (rule, scheduled time) and each (delivery, pipeline) pair is a
row under a UNIQUE constraint, inserted in the same BEGIN IMMEDIATE transaction as the
run it queues — a restart, a second daemon or a clock step back finds the row and starts
nothing. A fire found more than ON_TIME late was missed (the daemon was down): the
rule's misfire policy says whether it is only recorded (`skip`) or the latest one still
runs (`run_once`, within the rule's deadline). Every trigger honours the pipeline's
concurrency policy (allow / forbid / replace) and starts nothing for a deactivated one.

Locking: every query whose rows are walked here is read to the end (list()) before any
write transaction opens. A SELECT still being iterated keeps a read snapshot open; in
WAL mode BEGIN IMMEDIATE on top of a snapshot that another process has since written
past cannot be upgraded, and SQLite answers "database is locked" at once, without the
busy timeout (tests/test_webhook_burst.py).
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

from peewee import IntegrityError

from daemon import reasons
from models import i18n, runs
from models.i18n import N_
from models.db import write_transaction
from models.schedule import fires_between, next_fire, zone
from models.tables import Pipeline, Run
from models.triggers import (TimerFire, TimerRule, WebhookDelivery, WebhookMatch, message_json, outcome_fields,
                             webhook_candidates)
from models.webhook_parse import parse

log = logging.getLogger("millrace.triggers")
ON_TIME = timedelta(seconds=60)     # later than this, a fire counts as missed
DELIVERIES_PER_TICK = 200


def _utc(moment: datetime) -> datetime:
    """Aware UTC from the daemon's naive-UTC clock (or any aware datetime)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def start_run(pipeline: Pipeline, cause: str, detail: str, commit_sha: str | None = None):
    """Queue a run under the pipeline's concurrency policy → (outcome, run or None, reason).

    Call inside a write transaction, so the check of active runs and the enqueue are one step."""
    if not pipeline.is_active:
        return "inactive", None, N_("pipeline '{name}' is deactivated; activate it to run it", name=pipeline.name)
    active = list(runs.active_runs(pipeline).order_by(Run.number))
    numbers = ", ".join(f"#{r.number}" for r in active)
    if active and pipeline.concurrency_policy == "forbid":
        return "skipped", None, N_("run {numbers} still active (concurrency: forbid)", numbers=numbers)
    try:
        run = runs.enqueue_run(pipeline, cause, cause, commit_sha=commit_sha, cause_detail=detail)
    except Exception as err:        # errors are data: the fire/delivery row says why
        return "error", None, N_("could not start a run: {error}", error=reasons.of_exception(err))
    if active and pipeline.concurrency_policy == "replace":
        for old in active:
            runs.request_stop(old, f"{cause} (concurrency: replace)")
        return "started", run, N_("started run #{number}, stopping {numbers} (concurrency: replace)",
                                  number=run.number, numbers=numbers)
    return "started", run, N_("started run #{number}", number=run.number)


# ---- timed rules -------------------------------------------------------------------

def fire_timers(now: datetime) -> list[TimerFire]:
    """Fire every enabled rule that is due at `now`; returns the fire rows written."""
    written = []
    # list(): read to the end before _fire_rule opens write transactions (see the module's docstring)
    rules = list(TimerRule.select(TimerRule, Pipeline).join(Pipeline)
                 .where(TimerRule.enabled & Pipeline.deleted_at.is_null()).order_by(TimerRule.id))
    for rule in rules:
        try:
            written += _fire_rule(rule, _utc(now))
        except Exception:           # one bad rule never stops the others
            log.exception("timer rule %s failed", rule.id)
    return written


def next_timer_due(now: datetime) -> datetime | None:
    """The earliest upcoming fire of any enabled rule (naive UTC), so the loop can sleep until it."""
    soonest = None
    for rule in list(TimerRule.select().join(Pipeline).where(TimerRule.enabled & Pipeline.deleted_at.is_null())):
        after = max(_utc(now), _utc(rule.checked_through))
        fire = _naive(next_fire(rule.rule_text, after, zone(rule.timezone)))
        soonest = fire if soonest is None or fire < soonest else soonest
    return soonest


def _fire_rule(rule: TimerRule, now: datetime) -> list[TimerFire]:
    tz = zone(rule.timezone)
    due = fires_between(rule.rule_text, _utc(rule.checked_through), now, tz)
    if not due:
        return []
    pipeline = rule.pipeline
    if not pipeline.is_active:
        return _record_inactive(rule, due)
    on_time = [f for f in due if now - f <= ON_TIME]
    missed = [f for f in due if now - f > ON_TIME]
    written = []
    if missed:
        deadline = timedelta(seconds=rule.misfire_deadline_seconds)
        rescue = rule.misfire_policy == "run_once" and not on_time and now - missed[-1] <= deadline
        if rescue:
            missed, late = missed[:-1], missed[-1]
        if missed:
            written += _record(rule, missed[-1], "missed", _missed_reason(rule, missed, tz, bool(on_time), now))
        if rescue:
            written += _fire(rule, late, tz, late_by=_age(now - late))
    for fire in on_time:
        written += _fire(rule, fire, tz)
    return written


def _fire(rule: TimerRule, scheduled: datetime, tz, late_by=None) -> list[TimerFire]:
    local = scheduled.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
    try:
        with write_transaction():
            fire = TimerFire.create(timer_rule=rule, scheduled_for=_naive(scheduled), outcome="pending")
            outcome, run, reason = start_run(rule.pipeline, "timer", f"{rule.rule_text}, due {local}")
            if late_by is not None:
                reason = N_("{reason} (late by {age}: misfire policy run_once)", reason=reason, age=late_by)
            fire.outcome, fire.run = outcome, run
            fire.reason, fire.reason_message = i18n.english(reason), message_json(reason)
            fire.save()
            _advance(rule, scheduled)
    except IntegrityError:          # already fired (restart, another daemon, clock step back)
        _advance(rule, scheduled)
        return []
    return [fire]


def _record(rule: TimerRule, scheduled: datetime, outcome: str, reason) -> list[TimerFire]:
    try:
        with write_transaction():
            fire = TimerFire.create(timer_rule=rule, scheduled_for=_naive(scheduled), outcome=outcome,
                                    reason=i18n.english(reason), reason_message=message_json(reason))
            _advance(rule, scheduled)
    except IntegrityError:
        _advance(rule, scheduled)
        return []
    return [fire]


def _record_inactive(rule: TimerRule, due: list[datetime]) -> list[TimerFire]:
    # One line per deactivated stretch, not one per fire time: an every-minute rule on a
    # pipeline deactivated for a month would otherwise write 43,200 rows.
    last = TimerFire.select().where(TimerFire.timer_rule == rule).order_by(TimerFire.scheduled_for.desc()).first()
    if last is not None and last.outcome == "inactive":
        with write_transaction():
            _advance(rule, due[-1])
        return []
    return _record(rule, due[-1], "inactive", N_("pipeline '{name}' is deactivated: no runs until it is activated "
                                                 "again", name=rule.pipeline.name))


def _advance(rule: TimerRule, scheduled: datetime) -> None:
    """Move the rule's 'dealt with up to' mark forward, never back (clock steps)."""
    mark = _naive(scheduled)
    TimerRule.update(checked_through=mark).where((TimerRule.id == rule.id)
                                                 & (TimerRule.checked_through < mark)).execute()
    rule.checked_through = max(rule.checked_through, mark)


def _missed_reason(rule, missed, tz, covered, now):
    first, last = (m.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") for m in (missed[0], missed[-1]))
    span = (N_("{count} fire times from {first} to {last}", count=len(missed), first=first, last=last) if len(missed) > 1
            else N_("1 fire time at {first}", first=first))
    if covered:
        why = N_("an on-time fire follows")
    elif rule.misfire_policy == "run_once":
        why = (
            N_("misfire policy run_once, but older than the {age} deadline",
               age=_age(timedelta(seconds=rule.misfire_deadline_seconds)))
            if now - missed[-1] > timedelta(seconds=rule.misfire_deadline_seconds)
            else N_("misfire policy run_once runs only the latest")
        )
    else:
        why = N_("misfire policy skip")
    return N_("missed {span} (daemon was not running; {why})", span=span, why=why)


def _age(delta: timedelta):
    seconds = int(delta.total_seconds())
    return (N_("{min} min {s} s", min=seconds // 60, s=seconds % 60) if seconds >= 60
            else N_("{s} s", s=seconds))


# ---- webhook deliveries ------------------------------------------------------------

def process_deliveries(now: datetime) -> list[WebhookDelivery]:
    """Turn stored, unprocessed deliveries into runs; returns the deliveries handled."""
    done = []
    # list(): the batch is read to the end before the first write transaction below. Iterated
    # lazily, this cursor held a snapshot open while the dashboard kept storing deliveries, and
    # each BEGIN IMMEDIATE then failed at once with "database is locked" (see the docstring).
    pending = list(WebhookDelivery.select().where(WebhookDelivery.processed_at.is_null())
                   .order_by(WebhookDelivery.id).limit(DELIVERIES_PER_TICK))
    for delivery in pending:
        try:
            outcome = _process(delivery)
        except Exception as err:    # one bad delivery never stops the others
            log.exception("webhook delivery %s failed", delivery.id)
            outcome = N_("error: {error}", error=reasons.of_exception(err))
        fields = outcome_fields(outcome)      # English text, and the message for every reader
        with write_transaction():
            WebhookDelivery.update(processed_at=_naive(_utc(now)), **fields).where(
                WebhookDelivery.id == delivery.id).execute()
        delivery.processed_at = _naive(_utc(now))
        delivery.outcome, delivery.outcome_message = fields["outcome"], fields["outcome_message"]
        done.append(delivery)
    return done


def _process(delivery: WebhookDelivery):
    event = parse(delivery.provider, json.loads(delivery.headers_json), bytes(delivery.body))
    if event.kind == "ping":
        return N_("ping: the webhook works")
    if event.kind == "other":
        return N_("ignored: {note}", note=event.note)
    # Only pipelines whose own secret signed this delivery (checked on receipt) act on it.
    signed = set(json.loads(delivery.verified_for_json))
    matches = [(p, rule, source) for p, rule, source in webhook_candidates(event.repository) if p.id in signed]
    if not matches:
        return N_("no pipeline on {repository} whose secret signed it is left (removed or changed since)",
                  repository=event.repository)
    results = [(p, _match(delivery, event, p, rule, source)) for p, rule, source in matches]
    if len(results) == 1:
        return results[0][1]
    # several pipelines: each match keeps its own message; the delivery's line is the record's text
    return "; ".join(f"{p.name}: {i18n.english(text)}" for p, text in results)


def _match(delivery, event, pipeline, rule, source):
    reason = None
    if not rule.wants(event.kind):
        reason = N_("{kind} events are not enabled for this pipeline", kind=event.kind)
    elif event.kind != "tag" and event.branch != source.get("branch", "main"):
        reason = N_("not matching branch '{branch}' (pipeline builds '{built}')", branch=event.branch,
                    built=source.get("branch", "main"))
    what = f"tag {event.tag}" if event.kind == "tag" else f"{event.kind} to {event.branch}"
    detail = f"{delivery.provider} {what} at {event.sha[:12]} (delivery {event.delivery_id})"
    try:
        with write_transaction():
            match = WebhookMatch.create(webhook_delivery=delivery, pipeline=pipeline,
                                        **outcome_fields(reason or "pending"))
            if reason is None:
                _, run, reason = start_run(pipeline, "webhook", detail, commit_sha=event.sha or None)
                fields = outcome_fields(reason)
                match.outcome, match.outcome_message, match.run = fields["outcome"], fields["outcome_message"], run
                match.save()
    except IntegrityError:          # handled before a restart, or by another daemon
        match = WebhookMatch.get((WebhookMatch.webhook_delivery == delivery) & (WebhookMatch.pipeline == pipeline))
    return i18n.stored(match.outcome, match.outcome_message)
