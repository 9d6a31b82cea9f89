"""The runs' verbs through a Millrace server's REST API: run and rerun (with --wait and
--follow), logs (--follow over the Server-Sent Events stream, --failed, --task), stop.

`--follow` reads GET /runs/{id}/log/stream; cli/api_client.py resumes it with Last-Event-ID
after a dropped connection, so every line is printed once. `--wait` alone asks for the run
every second (no log is transferred). Exit codes as the local path's (cli/runs_cmd.py):
0 succeeded, 1 failed, 3 no daemon, 4 stopped or timed out.
"""
from __future__ import annotations

import os
import sys
import time
import uuid

from cli import views
from cli.remote_cmd import client, run_path, seg
from cli.runs_cmd import FAILING, _params, exit_code
from models.i18n import _
from models.status import is_terminal

WAIT_POLL_SECONDS = 1.0


def run(args) -> int:
    api = client(args)
    # a fresh key per invocation: if the answer is lost and the request is sent again, the
    # server starts the run once
    new = api.post(f"/pipelines/{seg(args.name)}/runs", {"parameters": _params(args.param)},
                   headers={"Idempotency-Key": str(uuid.uuid4())})
    views.queued(new, json_out=args.json)
    return _after_queue(api, new, args)


def rerun(args) -> int:
    api = client(args)
    old = api.get(run_path(args.run))
    new = api.post(f"/runs/{old['id']}/rerun")
    views.queued({**new, "version": new.get("version", old.get("version"))}, rerun_of=old["number"],
                 json_out=args.json)
    return _after_queue(api, new, args)


def _daemon_alive(api) -> bool:
    health = api.request("GET", api.url + "/api/health").json()
    return health.get("daemon") not in (None, "not running")


def _after_queue(api, new: dict, args) -> int:
    if not _daemon_alive(api):
        print(_("warning: no Millrace daemon is running on {url}, so the run will not start until one does",
                url=api.url), file=sys.stderr)
        if args.wait or args.follow:
            return 3
    if not (args.wait or args.follow):
        if args.json:
            views.as_json(new)
        return 0
    if args.follow:
        _stream(api, new["id"], views.LogPrinter(json_out=args.json))
    final = _wait(api, new["id"])
    views.finished(final, args.json)
    return exit_code(final["status"])


def _wait(api, run_id: int) -> dict:
    while True:
        current = api.get(f"/runs/{run_id}")
        if is_terminal(current["status"]):
            return current
        time.sleep(WAIT_POLL_SECONDS)


def _stream(api, run_id: int, printer, task_filter: str | None = None) -> None:
    """Print the run's lines as they come, until the stream's `end` event."""
    for event in api.events(f"/runs/{run_id}/log/stream"):
        if event.event == "line" and (task_filter is None or event.data.get("task") == task_filter):
            printer.line(event.data)
            printer.flush()


def logs(args) -> int:
    api = client(args)
    current = api.get(run_path(args.run))
    names = {t["name"] for s in current.get("stages") or [] for t in s.get("tasks") or []}
    if args.task and args.task not in names:
        raise LookupError(_("run {run} has no task named '{task}'", run=current["label"], task=args.task))
    printer = views.LogPrinter(json_out=args.json)
    try:
        if args.follow and not args.failed:
            _stream(api, current["id"], printer, args.task)
        else:
            if args.follow:                 # which tasks failed is known at the end
                _wait(api, current["id"])
            _print_whole(api, current["id"], printer, args.task, args.failed)
    except BrokenPipeError:         # `logs … | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _print_whole(api, run_id: int, printer, task_filter, failed: bool) -> None:
    params = {"failed": "true"} if failed else {}
    for task in api.get(f"/runs/{run_id}/log", **params)["tasks"]:
        if (task_filter and task["name"] != task_filter) or (failed and task.get("status") not in FAILING):
            continue
        for line in task["lines"]:
            printer.line({"task_id": task["id"], "stage": task["stage"], "task": task["name"], **line})
    printer.flush()


def stop(args) -> int:
    api = client(args)
    current = api.get(run_path(args.run))
    if is_terminal(current["status"]):
        return views.stopped(current["label"], False, current["status"], args.json)
    api.post(f"/runs/{current['id']}/stop")
    return views.stopped(current["label"], True, current["status"], args.json)
