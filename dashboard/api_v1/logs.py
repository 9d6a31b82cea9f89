"""/api/v1 logs as JSON: a task's lines by range (`from_line`, `limit`), a whole run's (every
task in order, or `failed=true`: only the tasks that failed or timed out).

Lines are models/logs.py's: numbered from 1 per task, each with its stream (stdout "out",
stderr "err"). `next_line` is where to ask from next; `complete` says the task has ended
and every line was given. Live following is dashboard/api_v1/stream.py (SSE).
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from dashboard.api_v1 import permissions as perm, schemas, shapes
from dashboard.api_v1.blueprint import bp
from models import logs
from models.status import Status, is_terminal
from models.tables import StageRun, TaskRun

TAGS = ["logs"]
MAX_LIMIT = 10000
FAILED = (Status.FAILED.value, Status.TIMED_OUT.value)


class RangeQuery(Schema):
    from_line = fields.Integer(load_default=1, validate=validate.Range(min=1))
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=MAX_LIMIT))


class TaskLog(Schema):
    task_id = fields.Integer(required=True)
    from_line = fields.Integer(required=True)
    lines = fields.List(fields.Nested(schemas.LogLine), required=True)
    next_line = fields.Integer(required=True)
    complete = fields.Boolean(required=True, metadata={"description": "the task ended and every line was given"})


class RunLogQuery(Schema):
    failed = fields.Boolean(load_default=False, metadata={"description": "only the tasks that failed or timed out"})


class RunLogTask(Schema):
    id = fields.Integer(required=True)
    stage = fields.String(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True)
    lines = fields.List(fields.Nested(schemas.LogLine), required=True)


class RunLog(Schema):
    run_id = fields.Integer(required=True)
    label = fields.String(required=True)
    status = fields.String(required=True)
    tasks = fields.List(fields.Nested(RunLogTask), required=True)


def lines(task_id: int, after: int = 0, limit: int | None = None) -> list[dict]:
    return [shapes.line(n, text) for n, _, text in logs.lines_after(task_id, after, limit, streams=True)]


@bp.get("/tasks/<task_id>/log")
@bp.input(RangeQuery, location="query", arg_name="args")
@bp.output(TaskLog)
@bp.doc(tags=TAGS, summary="A task's log lines from `from_line`", responses=[404])
def task_log(task_id, args):
    task = perm.task(task_id)
    ended = is_terminal(task.status)         # read before the lines: a line stored after this is asked for next
    found = lines(task.id, args["from_line"] - 1, args["limit"])
    next_line = found[-1]["line"] + 1 if found else args["from_line"]
    total = TaskRun.select(TaskRun.log_lines).where(TaskRun.id == task.id).scalar() or 0
    return {"task_id": task.id, "from_line": args["from_line"], "lines": found, "next_line": next_line,
            "complete": ended and next_line > total}


@bp.get("/runs/<run_id>/log")
@bp.input(RunLogQuery, location="query", arg_name="args")
@bp.output(RunLog)
@bp.doc(tags=TAGS, summary="Every task's log of a run, in order (or only the failed tasks')", responses=[404])
def run_log(run_id, args):
    run = perm.run(run_id)
    query = (TaskRun.select(TaskRun.id, TaskRun.name, TaskRun.status, StageRun.name.alias("stage"))
             .join(StageRun).where(TaskRun.run == run.id).order_by(StageRun.position, TaskRun.position))
    if args["failed"]:
        query = query.where(TaskRun.status.in_(FAILED))
    tasks = list(query.dicts())
    return {"run_id": run.id, "label": shapes.label(run), "status": run.status,
            "tasks": [{**t, "lines": lines(t["id"])} for t in tasks]}
