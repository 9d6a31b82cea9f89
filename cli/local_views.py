"""The local path's data in the REST API's shapes (/api/v1: Pipeline, RunSummary, Run, log
lines), built from the data directory, so that cli/views.py prints local and remote alike and
`--json` gives the same keys either way. Times are RFC 3339 UTC strings, as the API's.
A reason is stored English in `reason` (as `--json` prints it) and in the reader's language
in `_reason`, which only the plain-text printers read (keys with "_" never reach `--json`).

The local dicts carry a few keys more than the API promises (commit, execution and waiting
seconds, values set by tasks, each task's outputs), which the printers show when present.
"""
from __future__ import annotations

import json

from models import i18n, logs as log_store, runs as run_store
from models.tables import PipelineVersion, Run, StageRun, TaskRun
from models.variables import shown_dynamic


def rfc3339(value) -> str | None:
    """A stored time (naive UTC) as '2026-12-02T18:35:21Z'."""
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def pipeline(p) -> dict:
    last = Run.select().where(Run.pipeline == p).order_by(Run.number.desc()).first()
    version = PipelineVersion.get_or_none(PipelineVersion.id == p.current_version_id)
    return {"id": p.id, "name": p.name, "project": p.project, "active": p.is_active,
            "version": version.version_number if version else None, "description": p.description,
            "created_by": p.owner, "created_at": rfc3339(p.created_at), "updated_at": rfc3339(p.updated_at),
            "last_run": None if last is None else {"number": last.number, "status": last.status, "label": last.label,
                                                   "started_at": rfc3339(last.started_at)}}


def run_summary(r: Run) -> dict:
    return {"id": r.id, "pipeline": r.pipeline.name, "number": r.number, "label": r.label, "status": r.status,
            "reason": r.reason, "_reason": i18n.shown(r.reason, r.reason_message) or None, "cause": r.cause, "actor": r.triggered_by,
            "created_at": rfc3339(r.queued_at), "started_at": rfc3339(r.started_at),
            "finished_at": rfc3339(r.finished_at), "duration_seconds": run_store.duration_seconds(r)}


def tasks(run_id: int, task_filter: str | None = None) -> list[TaskRun]:
    query = (TaskRun.select(TaskRun, StageRun).join(StageRun).where(TaskRun.run == run_id)
             .order_by(StageRun.position, TaskRun.position))
    if task_filter:
        query = query.where(TaskRun.name == task_filter)
    return list(query)


def task(t: TaskRun) -> dict:
    return {"id": t.id, "name": t.name, "type": t.task_type, "status": t.status,
            "reason": t.reason, "_reason": i18n.shown(t.reason, t.reason_message) or None,
            "exit_code": t.exit_code,
            "started_at": rfc3339(t.started_at), "finished_at": rfc3339(t.finished_at),
            "duration_seconds": run_store.duration_seconds(t) if t.started_at else None, "log_lines": t.log_lines,
            "outputs": shown_dynamic(json.loads(t.outputs_json or "{}"))}


def run_detail(r: Run) -> dict:
    stages = []
    for s in StageRun.select().where(StageRun.run == r.id).order_by(StageRun.position):
        stages.append({"name": s.name, "status": s.status, "started_at": rfc3339(s.started_at),
                       "finished_at": rfc3339(s.finished_at), "tasks": []})
        for t in TaskRun.select().where(TaskRun.stage_run == s.id).order_by(TaskRun.position):
            stages[-1]["tasks"].append(task(t))
    return {**run_summary(r), "parameters": json.loads(r.parameters_json or "{}"),
            "version": r.version.version_number, "stages": stages,
            "cause_detail": r.cause_detail, "commit_sha": r.commit_sha,
            "execution_seconds": round(r.execution_seconds, 3), "waiting_seconds": round(r.waiting_seconds, 3),
            "dynamic": shown_dynamic(json.loads(r.dynamic_json or "{}"))}     # sealed values as ***


def lines(t: TaskRun, after: int = 0):
    """A task's log lines after line `after`, as the API's line objects (plus `at`)."""
    for number, at, text in log_store.lines_after(t.id, after, streams=True):
        is_err, text = log_store.stream_of(text)
        yield {"task_id": t.id, "stage": t.stage_run.name, "task": t.name, "line": number, "text": text,
               "stream": "err" if is_err else "out", "at": rfc3339(at)}
