"""Read-side queries the pages share: the latest run of many pipelines at once, and the
trigger summary of each.

Both answer for a whole page of pipelines in one or two statements, so the list stays
fast with hundreds of pipelines and a hundred thousand runs.
"""
from __future__ import annotations

from models.i18n import _
from models.tables import Pipeline, Run


def latest_runs(pipeline_ids) -> dict[int, Run]:
    """pipeline id → its latest run, in one statement."""
    if not pipeline_ids:
        return {}
    inner = Run.alias("r2")
    newest = (inner.select(inner.id).where(inner.pipeline == Pipeline.id).order_by(inner.number.desc()).limit(1))
    wanted = Pipeline.select(newest).where(Pipeline.id.in_(list(pipeline_ids)))
    return {run.pipeline_id: run for run in Run.select().where(Run.id.in_(wanted))}


def trigger_summaries(pipeline_ids) -> dict[int, str]:
    """'manual' plus timed and webhook rules, when the trigger tables exist."""
    out = {pid: [_("manual")] for pid in pipeline_ids}    # said in the reader's language; rules as typed
    try:
        from models.triggers import TimerRule, WebhookRule
        for rule in TimerRule.select().where(TimerRule.pipeline.in_(list(pipeline_ids)) & TimerRule.enabled):
            out[rule.pipeline_id].append(rule.rule_text)
        for hook in WebhookRule.select().where(WebhookRule.pipeline.in_(list(pipeline_ids))):
            events = [e for e, on in (("push", hook.on_push), ("merge", hook.on_merge), ("tag", hook.on_tag)) if on]
            out[hook.pipeline_id].append(_("on {events}", events="/".join(events)) if events
                                         else _("webhook (no events)"))
    except Exception:  # trigger tables not migrated yet: manual is the truth
        pass
    return {pid: ", ".join(parts) for pid, parts in out.items()}
