"""CLI verbs on triggers: schedule (preview fire times), timer, webhook, concurrency, triggers."""
from __future__ import annotations

from datetime import datetime

from cli.output import table
from models import pipelines, served, triggers
from models.schedule import parse_local, parse_rule, preview, zone


def schedule(args) -> int:
    tz = zone(args.tz)
    start = parse_local(args.from_, tz) if args.from_ else datetime.now(tz)
    for fire in preview(parse_rule(args.rule), start, tz, args.n):
        print(fire.strftime("%Y-%m-%d %H:%M:%S %Z"))
    return 0


def timer(args) -> int:
    pipeline = pipelines.get(args.name)
    existing = triggers.timers(pipeline)
    if args.clear:
        for rule in existing:
            triggers.delete_timer(rule, args.actor)
        print(f"pipeline '{pipeline.name}': timed rules removed")
        return 0
    if args.rule:
        rule = triggers.save_timer(pipeline, args.rule, args.actor, timezone=args.tz or "",
                                   misfire_policy=args.misfire, misfire_deadline_seconds=args.deadline,
                                   rule=existing[0] if existing else None)
        print(f"pipeline '{pipeline.name}' runs {rule.rule_text}" + (f" ({rule.timezone})" if rule.timezone else ""))
        if not pipeline.is_active:
            print(f"note: pipeline '{pipeline.name}' is deactivated, so the rule starts nothing until it is activated")
    return _show(pipeline)


def webhook(args) -> int:
    pipeline = pipelines.get(args.name)
    events = {e.strip() for e in args.events.split(",") if e.strip()}
    unknown = events - {"push", "merge", "tag"}
    if unknown:
        raise ValueError(f"unknown event(s) {', '.join(sorted(unknown))}: use push, merge, tag")
    rule, secret = triggers.save_webhook(pipeline, args.actor, push="push" in events, merge="merge" in events,
                                         tag="tag" in events, new_secret=args.new_secret)
    print(f"pipeline '{pipeline.name}' starts on: {', '.join(sorted(events)) or 'no events'}")
    base = (args.base_url or served.dashboard_url()).rstrip("/")   # the port the dashboard really serves
    print(f"GitHub payload URL: {base}/hooks/github  (content type application/json)")
    print(f"GitLab URL:         {base}/hooks/gitlab")
    if secret:
        print(f"secret (shown once; paste it into the forge's webhook form): {secret}")
    else:
        print("secret: unchanged (use --new-secret to make a new one; it is shown only once)")
    return 0


def concurrency(args) -> int:
    pipeline = pipelines.get(args.name)
    triggers.set_concurrency(pipeline, args.policy, args.actor)
    print(f"pipeline '{pipeline.name}': concurrency {args.policy}")
    return 0


def show(args) -> int:
    return _show(pipelines.get(args.name))


def _show(pipeline) -> int:
    print(f"pipeline '{pipeline.name}' ({'active' if pipeline.is_active else 'deactivated'}), "
          f"concurrency {pipeline.concurrency_policy}")
    for rule in triggers.timers(pipeline):
        tz = zone(rule.timezone)
        upcoming = [f.strftime("%Y-%m-%d %H:%M %Z") for f in preview(rule.rule_text, datetime.now(tz), tz, 3)]
        print(f"timer: {rule.rule_text}, misfire {rule.misfire_policy}; next: {', '.join(upcoming)}")
    fires = triggers.recent_fires(pipeline, 10)
    if fires:
        table([{"scheduled_for": str(f.scheduled_for), "outcome": f.outcome, "reason": f.reason} for f in fires],
              ("scheduled_for", "outcome", "reason"))
    deliveries = triggers.recent_deliveries(pipeline, 10)
    if deliveries:
        table([{"received_at": str(d.received_at), "provider": d.provider, "event": d.event, "outcome": outcome}
               for d, outcome in deliveries], ("received_at", "provider", "event", "outcome"))
    return 0
