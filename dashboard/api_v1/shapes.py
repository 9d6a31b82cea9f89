"""Rows → the dicts the schemas dump (one function per shape, for every module that answers
with it), reading a page of rows in a few statements rather than one per row.
"""
from __future__ import annotations

import json

from dashboard.queries import latest_runs
from models import logs, pipelines, runs
from models.db import utcnow
from models.tables import PipelineVersion, StageRun, TaskRun


def pipelines_of(rows) -> list[dict]:
    ids = [p.id for p in rows]
    last = latest_runs(ids)
    numbers = dict(PipelineVersion.select(PipelineVersion.id, PipelineVersion.version_number)
                   .where(PipelineVersion.id.in_([p.current_version_id for p in rows])).tuples()) if rows else {}
    return [{"id": p.id, "name": p.name, "project": p.project, "active": bool(p.is_active),
             "version": numbers.get(p.current_version_id, 0), "description": p.description or "",
             "created_by": p.owner, "created_at": p.created_at, "updated_at": p.updated_at,
             "last_run": ({"number": last[p.id].number, "status": last[p.id].status,
                           "label": f"{p.name}#{last[p.id].number}"} if p.id in last else None)} for p in rows]


def pipeline(row) -> dict:
    return pipelines_of([row])[0]


def pipeline_detail(row) -> dict:
    return {**pipeline(row), "definition": pipelines.current_spec(row)}


def _seconds(start, end):
    return (end - start).total_seconds() if start and end else None


def run_summary(run) -> dict:
    name = run.pipeline.name
    return {"id": run.id, "pipeline": name, "number": run.number, "label": f"{name}#{run.number}",
            "status": run.status, "reason": run.reason, "cause": run.cause, "actor": run.triggered_by or "",
            "created_at": run.queued_at, "started_at": run.started_at, "finished_at": run.finished_at,
            "duration_seconds": runs.duration_seconds(run)}


def task(t) -> dict:
    return {"id": t.id, "name": t.name, "type": t.task_type, "status": t.status, "reason": t.reason,
            "exit_code": t.exit_code, "started_at": t.started_at, "finished_at": t.finished_at,
            "duration_seconds": _seconds(t.started_at, t.finished_at or utcnow()),
            "log_lines": t.log_lines}


def run(row, laid_out: bool = True) -> dict:
    """`laid_out=False`: a run queued in this request, which has no stage rows yet (the daemon
    makes them when it starts the run), so there is nothing to read."""
    stages = list(StageRun.select().where(StageRun.run == row.id).order_by(StageRun.position)) if laid_out else []
    tasks = {}
    for t in TaskRun.select().where(TaskRun.run == row.id).order_by(TaskRun.position) if laid_out else ():
        tasks.setdefault(t.stage_run_id, []).append(task(t))
    return {**run_summary(row), "parameters": json.loads(row.parameters_json or "{}"),
            "version": row.version.version_number,
            "stages": [{"name": s.name, "status": s.status, "started_at": s.started_at, "finished_at": s.finished_at,
                        "tasks": tasks.get(s.id, [])} for s in stages]}


def line(number: int, text: str) -> dict:
    is_err, text = logs.stream_of(text)
    return {"line": number, "text": text, "stream": "err" if is_err else "out"}


def label(run) -> str:
    return f"{run.pipeline.name}#{run.number}"

