"""Live logs over Server-Sent Events: `/runs/<id>/log/stream` and `/tasks/<id>/log/stream`.

Events: `line` (id `<task_id>:<line>`, data {task_id, stage, task, line, text, stream}),
`task` (a task's status changed: {task_id, stage, task, status}), and `end` ({status,
label}) once the run has ended and every line was sent; `: keep-alive` comments while
nothing happens, so proxies keep the connection.

Order and resuming: lines go out in the order their chunks were stored (LogChunk.id: the
daemon appends chunks in BEGIN IMMEDIATE transactions, so a chunk committed later has a
larger id, and chunks are never rewritten). So `Last-Event-ID: T:L` (or `?after=T:L`) says
exactly what the client has: every chunk before the one holding task T's line L, and that
chunk up to L. The stream goes on from there: nothing lost, nothing repeated, even with
parallel tasks' lines interleaved. Each poll reads a bounded batch of chunks to its end
before anything is yielded: no query stays open while the client reads.
"""
from __future__ import annotations

import json
import re
import time

from flask import Response, request, stream_with_context
from marshmallow import Schema, fields, validate

from dashboard.api_v1 import permissions as perm, shapes
from dashboard.api_v1.blueprint import bp
from dashboard.api_v1.errors import Refused
from apiflask.schemas import FileSchema
from models import logs
from models.i18n import _
from models.status import is_terminal
from models.tables import LogChunk, Run, StageRun, TaskRun

TAGS = ["logs"]
POLL_SECONDS = 0.2
KEEP_ALIVE_SECONDS = 15.0
BATCH_CHUNKS = 32
EVENT_ID = re.compile(r"^\s*(\d{1,19}):(\d{1,12})\s*$")
SSE = FileSchema(type="string", format="text/event-stream")
DESCRIPTION = "text/event-stream: `line`, `task` and `end` events (see the module's description)"


class RunStreamQuery(Schema):
    after = fields.String(metadata={"description": "`<task_id>:<line>`, as Last-Event-ID"})


class TaskStreamQuery(Schema):
    from_line = fields.Integer(validate=validate.Range(min=1))
    after = fields.String(metadata={"description": "`<task_id>:<line>`, as Last-Event-ID"})


def _event(kind: str, data: dict, event_id: str | None = None) -> str:
    head = f"event: {kind}\n" + (f"id: {event_id}\n" if event_id else "")
    return head + "data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n\n"


def _resume_point() -> tuple[int, int] | None:
    text = request.headers.get("Last-Event-ID") or request.args.get("after")
    if not text:
        return None
    found = EVENT_ID.match(text)
    if not found:
        raise Refused(400, _("Last-Event-ID (or after) must be <task_id>:<line>, as a line event's id"))
    return int(found.group(1)), int(found.group(2))


class Cursor:
    """Where the stream is: the last chunk sent whole, and inside the one being sent."""

    def __init__(self, tasks: dict, start: tuple[int, int] | None):
        self.chunk_id, self.partial = 0, None        # partial: (task_id, last line sent) of chunk_id
        if start is not None:
            task_id, line = start
            if task_id not in tasks:
                raise Refused(400, _("task {id} is not part of this stream", id=task_id))
            row = (LogChunk.select(LogChunk.id).where((LogChunk.task_run == task_id) & (LogChunk.first_line <= line))
                   .order_by(LogChunk.first_line.desc()).first())
            if row is not None:
                self.chunk_id, self.partial = row.id - 1, (task_id, line)


def _tasks(run_id: int, only: int | None) -> dict:
    query = (TaskRun.select(TaskRun.id, TaskRun.name, TaskRun.status, StageRun.name.alias("stage"))
             .join(StageRun).where(TaskRun.run == run_id))
    if only is not None:
        query = query.where(TaskRun.id == only)
    return {t["id"]: t for t in query.dicts()}


def _new_lines(cursor: Cursor, tasks: dict):
    """The events of the next batch of stored chunks (read whole, then turned into text)."""
    rows = list(LogChunk.select(LogChunk.id, LogChunk.task_run, LogChunk.first_line, LogChunk.compression,
                                LogChunk.content, LogChunk.data)
                .where(LogChunk.task_run.in_(list(tasks)) & (LogChunk.id > cursor.chunk_id))
                .order_by(LogChunk.id).limit(BATCH_CHUNKS).tuples())
    out = []
    for chunk_id, task_id, first, compression, content, data in rows:
        skip = 0
        if cursor.partial is not None:
            if cursor.partial[0] == task_id:
                skip = cursor.partial[1] - first + 1
            cursor.partial = None
        task = tasks[task_id]
        for offset, text in enumerate(logs.decode(compression, content, data)[:-1].split("\n")):
            if offset < skip:
                continue
            number = first + offset
            out.append(_event("line", {"task_id": task_id, "stage": task["stage"], "task": task["name"],
                                       **shapes.line(number, text)}, f"{task_id}:{number}"))
        cursor.chunk_id = chunk_id
    return out, len(rows) == BATCH_CHUNKS


def events(run_id: int, start, only: int | None = None):
    tasks = _tasks(run_id, only)
    cursor = Cursor(tasks, start)
    told = {} if start is None else {t: row["status"] for t, row in tasks.items()}
    quiet_since = time.monotonic()
    while True:
        run = Run.select(Run.status, Run.number, Run.pipeline).where(Run.id == run_id).first()
        ended = is_terminal(run.status)            # read first: lines stored before the end are all read below
        tasks = _tasks(run_id, only)
        sent = []
        for task_id, row in tasks.items():
            if told.get(task_id) != row["status"]:
                told[task_id] = row["status"]
                sent.append(_event("task", {"task_id": task_id, "stage": row["stage"], "task": row["name"],
                                            "status": row["status"]}))
        more = True
        while more:
            batch, more = _new_lines(cursor, tasks)
            sent += batch
            if sent:
                yield "".join(sent)
                sent, quiet_since = [], time.monotonic()
        if ended:
            yield _event("end", {"status": run.status, "label": shapes.label(Run.get_by_id(run_id))})
            return
        if time.monotonic() - quiet_since >= KEEP_ALIVE_SECONDS:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()
        time.sleep(POLL_SECONDS)


def _response(generator) -> Response:
    return Response(stream_with_context(generator), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@bp.get("/runs/<run_id>/log/stream")
@bp.input(RunStreamQuery, location="query", arg_name="args")
@bp.output(SSE, content_type="text/event-stream", description=DESCRIPTION)
@bp.doc(tags=TAGS, summary="Follow a run's log live (SSE; resume with Last-Event-ID)", responses=[400, 404])
def stream_run_log(run_id, args):
    run = perm.run(run_id)
    return _response(events(run.id, _resume_point()))


@bp.get("/tasks/<task_id>/log/stream")
@bp.input(TaskStreamQuery, location="query", arg_name="args")
@bp.output(SSE, content_type="text/event-stream", description=DESCRIPTION)
@bp.doc(tags=TAGS, summary="Follow one task's log live (SSE)", responses=[400, 404])
def stream_task_log(task_id, args):
    task = perm.task(task_id)
    start = _resume_point()
    if start is None and args.get("from_line", 1) > 1:
        start = (task.id, args["from_line"] - 1)
    return _response(events(task.run_id, start, only=task.id))
