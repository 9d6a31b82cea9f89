"""CLI verbs on triggers: schedule (preview fire times), timer, webhook, concurrency, triggers."""
from __future__ import annotations

from datetime import datetime, timezone

from cli import output, views
from cli.local_views import rfc3339
from cli.output import when
from models.i18n import _
from models import account_settings, pipelines, triggers
from models.schedule import parse_local, parse_rule, preview, zone


def schedule(args) -> int:
    tz = zone(args.tz) if args.tz else output.zone()       # --tz, else the local zone (UTC with --utc)
    start = parse_local(args.from_, tz) if args.from_ else datetime.now(tz)
    for fire in preview(parse_rule(args.rule), start, tz, args.n):
        print(when(fire, tz))
    return 0


def timer(args) -> int:
    pipeline = pipelines.get(args.name)
    existing = triggers.timers(pipeline)
    if args.clear:
        for rule in existing:
            triggers.delete_timer(rule, args.actor)
        print(_("pipeline '{name}': timed rules removed", name=pipeline.name))
        return 0
    if args.rule:
        rule = triggers.save_timer(pipeline, args.rule, args.actor, timezone=args.tz or "",
                                   misfire_policy=args.misfire, misfire_deadline_seconds=args.deadline,
                                   rule=existing[0] if existing else None)
        print(_("pipeline '{name}' runs {rule} ({zone})", name=pipeline.name, rule=rule.rule_text, zone=rule.timezone)
              if rule.timezone else _("pipeline '{name}' runs {rule}", name=pipeline.name, rule=rule.rule_text))
        if not pipeline.is_active:
            print(_("note: pipeline '{name}' is deactivated, so the rule starts nothing until it is activated",
                    name=pipeline.name))
    return _show(pipeline)


def webhook(args) -> int:
    pipeline = pipelines.get(args.name)
    events = {e.strip() for e in args.events.split(",") if e.strip()}
    unknown = events - {"push", "merge", "tag"}
    if unknown:
        raise ValueError(_("unknown event(s) {events}: use push, merge, tag", events=", ".join(sorted(unknown))))
    rule, secret = triggers.save_webhook(pipeline, args.actor, push="push" in events, merge="merge" in events,
                                         tag="tag" in events, new_secret=args.new_secret)
    print(_("pipeline '{name}' starts on: {events}", name=pipeline.name,
            events=", ".join(sorted(events)) or _("no events")))
    base = (args.base_url or account_settings.public_url()).rstrip("/")   # base_url, or the port it serves
    github, gitlab = base + "/hooks/github", base + "/hooks/gitlab"
    print(_("GitHub payload URL: {url}  (content type application/json)", url=github))
    print(_("GitLab URL:         {url}", url=gitlab))
    if secret:
        print(_("secret (shown once; paste it into the forge's webhook form): {secret}", secret=secret))
    else:
        print(_("secret: unchanged (use --new-secret to make a new one; it is shown only once)"))
    return 0


def concurrency(args) -> int:
    pipeline = pipelines.get(args.name)
    triggers.set_concurrency(pipeline, args.policy, args.actor)
    print(_("pipeline '{name}': concurrency {policy}", name=pipeline.name, policy=args.policy))
    return 0


def show(args) -> int:
    return _show(pipelines.get(args.name), args.json)


def _show(pipeline, json_out: bool = False) -> int:
    views.triggers(_triggers(pipeline), pipeline.name, json_out)
    return 0


def _triggers(pipeline) -> dict:
    """The pipeline's triggers in the API's shape (GET /pipelines/{name}/triggers)."""
    rule = next(iter(triggers.timers(pipeline)), None)
    timed = None
    if rule is not None:
        tz = zone(rule.timezone)     # the rule fires in its zone; shown in the reader's
        upcoming = preview(rule.rule_text, datetime.now(tz), tz, 3)
        timed = {"rule": rule.rule_text, "timezone": rule.timezone, "misfire_policy": rule.misfire_policy,
                 "next_fires": [f.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") for f in upcoming]}
    return {"pipeline": pipeline.name, "active": pipeline.is_active, "concurrency": pipeline.concurrency_policy,
            "timed": timed,
            "fires": [{"scheduled_for": rfc3339(f.scheduled_for), "outcome": f.outcome, "reason": f.shown_reason}
                      for f in triggers.recent_fires(pipeline, 10)],
            "deliveries": [{"received_at": rfc3339(d.received_at), "provider": d.provider, "event": d.event,
                            "outcome": outcome} for d, outcome in triggers.recent_deliveries(pipeline, 10)]}
