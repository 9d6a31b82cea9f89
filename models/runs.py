"""Runs: the intents that create and stop them, the claim, and `set_status`.

`enqueue_run` numbers runs per pipeline inside BEGIN IMMEDIATE, so two writers never
get the same BUILD_ID. `claim_next` is the daemon's compare-and-set from queued to
running. Every status change of a run, stage run or task run goes through `set_status`,
which enforces models.status's transition table.
"""
from __future__ import annotations

import json
import re

from peewee import fn

from models import audit, i18n, pipelines
from models.i18n import N_
from models.db import utcnow, write_transaction
from models.nudge import wake_daemon
from models.status import ACTIVE, Status, check_transition, is_terminal
from models.tables import Pipeline, PipelineVersion, Run

RUN_NAME = re.compile(r"^(?P<name>[^#]+)#(?P<number>\d+)$")


class RunError(ValueError):
    pass


def deleted_message(name: str) -> i18n.Msg:
    return N_("pipeline '{name}' was deleted: its runs are kept for the record, read-only, and none can be "
              "started or re-run; apply its definition again to create it anew", name=name)


def enqueue_run(pipeline: Pipeline, cause: str, actor: str, *, parameters: dict | None = None,
                commit_sha: str | None = None, cause_detail: str = "", version: PipelineVersion | None = None,
                rerun_of: Run | None = None, require_active: bool = True) -> Run:
    """Queue a run of the pipeline's current version (or of `version`, for a re-run). The one
    place a run is refused: deleted (the dashboard, the CLI, triggers all come here), deactivated,
    unknown parameters."""
    if pipeline.deleted_at is not None:
        raise RunError(deleted_message(pipeline.name))
    if require_active and not pipeline.is_active:
        raise RunError(N_("pipeline '{name}' is deactivated; activate it to run it", name=pipeline.name))
    version = version or pipelines.current_version(pipeline)
    declared = pipelines.definition(version)["parameters"]
    unknown = sorted(set(parameters or {}) - set(declared))
    if unknown:
        known = ", ".join(sorted(declared)) or N_("none")
        raise RunError(N_("pipeline '{name}' has no parameter {unknown} (declared: {known})", name=pipeline.name,
                          unknown=", ".join(unknown), known=known))
    with write_transaction():
        # Read inside the transaction: a delete that committed a moment ago (a page opened
        # before it, a second terminal) is seen here, and nothing is queued for it.
        if Pipeline.select(Pipeline.deleted_at).where(Pipeline.id == pipeline.id).scalar() is not None:
            raise RunError(deleted_message(pipeline.name))
        number = (Run.select(fn.MAX(Run.number)).where(Run.pipeline == pipeline).scalar() or 0) + 1
        run = Run.create(pipeline=pipeline, number=number, version=version, cause=cause, cause_detail=cause_detail,
                         triggered_by=actor, parameters_json=json.dumps(parameters or {}), commit_sha=commit_sha,
                         rerun_of_id=rerun_of.id if rerun_of else None)
        audit.record(actor, "rerun" if rerun_of else "run", run, cause=cause,
                     **({"rerun_of": rerun_of.label} if rerun_of else {}))
    wake_daemon()
    return run


def rerun(run: Run, actor: str) -> Run:
    """Run again with that run's stored version, parameters and pinned commit."""
    return enqueue_run(run.pipeline, "rerun", actor, parameters=json.loads(run.parameters_json),
                       commit_sha=run.commit_sha, cause_detail=f"re-run of #{run.number}", version=run.version,
                       rerun_of=run)


def request_stop(run: Run, actor: str) -> bool:
    """Ask the daemon to stop the run. Returns False when it had already ended."""
    with write_transaction():
        changed = (Run.update(stop_requested_at=utcnow(), stop_requested_by=actor)
                   .where((Run.id == run.id) & Run.status.in_(list(ACTIVE))
                          & Run.stop_requested_at.is_null()).execute())
        if changed:
            audit.record(actor, "stop", run)
    wake_daemon()
    return bool(changed)


def claim_next(materialize=None, now=None) -> Run | None:
    """Compare-and-set the oldest queued run to running; None if there is none (or we lost the race).

    `materialize(run, now)` runs inside the same transaction, so a claimed run and its stage
    and task rows commit together: a daemon killed in between leaves the run queued,
    never running with nothing to run (which the planner would call a success).
    `now` is the daemon tick's time (a fake clock in tests); the wall clock otherwise."""
    candidate = Run.select(Run.id).where(Run.status == Status.QUEUED).order_by(Run.id).first()
    if candidate is None:
        return None
    now = now or utcnow()
    with write_transaction():
        won = (Run.update(status=Status.RUNNING, started_at=now, accounted_at=now)
               .where((Run.id == candidate.id) & (Run.status == Status.QUEUED)).execute())
        if won != 1:
            return None
        run = Run.get_by_id(candidate.id)
        if materialize is not None:
            materialize(run, now)
    return run


def set_status(row, new: Status | str, reason: str | None = None, now=None, **fields) -> bool:
    """Change a run/stage run/task run status by compare-and-set; returns False if it changed meanwhile.

    A final status stamps `finished_at` with `now` (the daemon passes its tick's time)."""
    new = Status(new)
    check_transition(row.status, new)
    values = dict(fields, status=new)
    if reason is not None:
        # a Msg is stored twice: English text for the record, the message for every reader
        # (a daemon.reasons.Reason is text that keeps its message: stored the same way)
        message = reason if isinstance(reason, i18n.Msg) else getattr(reason, "message", None)
        values["reason"] = i18n.english(reason)
        if hasattr(row, "reason_message"):
            values["reason_message"] = message.to_json() if isinstance(message, i18n.Msg) else None
    if is_terminal(new) and hasattr(row, "finished_at") and row.finished_at is None and "finished_at" not in fields:
        values["finished_at"] = now or utcnow()
    model = type(row)
    done = model.update(**values).where((model.id == row.id) & (model.status == row.status)).execute()
    if done:
        for key, value in values.items():
            setattr(row, key, value)
    return bool(done)


def active_runs(pipeline: Pipeline | None = None):
    query = Run.select().where(Run.status.in_(list(ACTIVE)))
    return query.where(Run.pipeline == pipeline) if pipeline is not None else query


def get_run(label: str) -> Run:
    """`pipeline#number` → Run."""
    m = RUN_NAME.match(label.strip())
    if not m:
        raise RunError(N_("'{label}' is not a run name; runs are named pipeline#number, e.g. sample#1", label=label))
    pipeline = pipelines.get(m.group("name"))
    run = Run.select().where((Run.pipeline == pipeline) & (Run.number == int(m.group("number")))).first()
    if run is None:
        raise RunError(N_("pipeline '{name}' has no run #{number}", name=pipeline.name, number=m.group("number")))
    return run


def list_runs(pipeline: Pipeline, limit: int = 50, offset: int = 0):
    """The pipeline's runs, newest first: `limit` of them after skipping `offset` (a page of records)."""
    return list(Run.select().where(Run.pipeline == pipeline).order_by(Run.number.desc()).limit(limit)
                .offset(max(0, offset)))


def count_runs(pipeline: Pipeline) -> int:
    return Run.select().where(Run.pipeline == pipeline).count()


def duration_seconds(run: Run, now=None) -> float | None:
    if run.started_at is None:
        return None
    end = run.finished_at or now or utcnow()
    return (end - run.started_at).total_seconds()
