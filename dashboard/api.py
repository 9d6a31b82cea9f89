"""Small HTTP endpoints beside the Dash pages (Flask blueprint).

`GET /api/tasks/<id>/log` downloads a task's whole log as text, with timestamps;
`GET /api/runs/<id>/log` the whole run's: every task in order (stage, then position), each
after a `── stage / task (status)` header. Both stream a stored chunk at a time (a chunked
response), so memory does not grow with the log, and a query never stays open while the
client reads. File names go in an RFC 6266 `Content-Disposition`: `filename*=UTF-8''…`
(percent-encoded) for the real name, and a plain-ASCII `filename="…"` for old clients.
An id that names nothing — missing, not a number, beyond SQLite's 2^63−1 — is a 404.
`GET /api/health` says whether the database answers and a daemon is alive.
"""
from __future__ import annotations

import re
from urllib.parse import quote

from flask import Blueprint, Response, abort, jsonify, stream_with_context

from models import daemon_state, logs
from models.i18n import _
from models.tables import Pipeline, Run, StageRun, TaskRun

blueprint = Blueprint("millrace_api", __name__, url_prefix="/api")

MAX_ROW_ID = 2 ** 63 - 1
FLUSH_BYTES = 64 * 1024      # small chunks (a line a poll) are sent together, up to this much
UNSAFE_IN_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f/\\\u2028\u2029]")   # control characters, path separators
NOT_PLAIN_ASCII = re.compile(r'[^\x20-\x7e]|["\\%]')


def _row_id(text: str, missing) -> int:
    """The id in the path, or a 404 saying `missing(id)` (the reader's language)."""
    if not re.fullmatch(r"[0-9]{1,19}", text) or int(text) > MAX_ROW_ID:
        abort(404, missing(text[:40]))
    return int(text)


def _no_task(number) -> str:
    return _("no task run with id {id}", id=number)


def _no_run(number) -> str:
    return _("no run with id {id}", id=number)


def content_disposition(filename: str) -> str:
    """`attachment` with the name as RFC 6266 gives it: filename* (UTF-8, percent-encoded)
    and an ASCII fallback with anything outside printable ASCII, quotes and backslashes
    replaced by '_'. Control characters and '/' never reach either (no header injection,
    no path)."""
    name = UNSAFE_IN_NAME.sub("_", filename).strip() or "log"
    fallback = NOT_PLAIN_ASCII.sub("_", name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _stream(blocks):
    """Text blocks → UTF-8 byte blocks of about FLUSH_BYTES (a large block goes as it is)."""
    pending, size = [], 0
    for block in blocks:
        data = block.encode("utf-8", errors="replace")
        pending.append(data)
        size += len(data)
        if size >= FLUSH_BYTES:
            yield b"".join(pending)
            pending, size = [], 0
    if pending:
        yield b"".join(pending)


def _task_blocks(task_id: int):
    for piece in logs.pieces(task_id, 0):
        yield logs.stamped(piece, f"{piece.logged_at:%Y-%m-%d %H:%M:%S} ")


def _download(blocks, filename: str) -> Response:
    return Response(stream_with_context(_stream(blocks)), content_type="text/plain; charset=utf-8",
                    headers={"Content-Disposition": content_disposition(filename),
                             "X-Content-Type-Options": "nosniff"})


@blueprint.get("/tasks/<task_id>/log")
def task_log(task_id: str):
    number = _row_id(task_id, _no_task)
    task = (TaskRun.select(TaskRun, Run, Pipeline).join(Run).join(Pipeline)
            .where(TaskRun.id == number).first())
    if task is None:
        abort(404, _no_task(number))
    return _download(_task_blocks(task.id), f"{task.run.pipeline.name}-{task.run.number}-{task.name}.log")


@blueprint.get("/runs/<run_id>/log")
def run_log(run_id: str):
    number = _row_id(run_id, _no_run)
    run = Run.select(Run, Pipeline).join(Pipeline).where(Run.id == number).first()
    if run is None:
        abort(404, _no_run(number))
    tasks = list(TaskRun.select(TaskRun.id, TaskRun.name, TaskRun.status, StageRun.name.alias("stage"))
                 .join(StageRun).where(TaskRun.run == run.id).order_by(StageRun.position, TaskRun.position)
                 .dicts())

    def blocks():
        yield f"{run.pipeline.name}#{run.number} {run.status}\n"
        for task in tasks:
            yield f"\n── {logs.printable(task['stage'])} / {logs.printable(task['name'])} ({task['status']})\n"
            yield from _task_blocks(task["id"])

    return _download(blocks(), f"{run.pipeline.name}-{run.number}.log")


@blueprint.get("/health")
def health():
    beat = daemon_state.alive()
    return jsonify(database="ok", daemon=beat.state if beat else "not running",
                   daemon_pid=beat.pid if beat else None, daemon_reason=beat.reason if beat else "")
