"""Small HTTP endpoints beside the Dash pages (Flask blueprint).

`GET /api/tasks/<id>/log` downloads a task's whole log as text, with timestamps, streamed
chunk by chunk so a 200,000-line log never sits in memory at once. `GET /api/health`
says whether the database answers and a daemon is alive.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, stream_with_context

from models import daemon_state, logs
from models.tables import TaskRun

blueprint = Blueprint("millrace_api", __name__, url_prefix="/api")


@blueprint.get("/tasks/<int:task_id>/log")
def task_log(task_id: int):
    task = TaskRun.get_or_none(TaskRun.id == task_id)
    if task is None:
        abort(404, f"no task run with id {task_id}")
    run = task.run
    filename = f"{run.pipeline.name}-{run.number}-{task.name}.log".replace("/", "_")

    def lines():
        for _, at, text in logs.lines_after(task_id, 0):
            yield f"{at:%Y-%m-%d %H:%M:%S} {text}\n"

    return Response(stream_with_context(lines()), mimetype="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@blueprint.get("/health")
def health():
    beat = daemon_state.alive()
    return jsonify(database="ok", daemon=beat.state if beat else "not running",
                   daemon_pid=beat.pid if beat else None, daemon_reason=beat.reason if beat else "")
