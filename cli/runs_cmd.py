"""CLI verbs on runs: run, runs, show, logs, stop, rerun. Runs are named pipeline#number."""
from __future__ import annotations

import os
import sys
import time

from cli import local_views, views
from models import daemon_state, pipelines, runs
from models.i18n import _
from models.status import is_terminal
from models.tables import Run

FOLLOW_POLL_SECONDS = 0.2
FAILING = ("failed", "timed_out")      # `logs --failed`: the tasks whose end failed the run


def _params(pairs) -> dict:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(_("--param needs KEY=VALUE, got '{pair}'", pair=pair))
        out[key] = value
    return out


def run(args) -> int:
    pipeline = pipelines.get(args.name)
    new = runs.enqueue_run(pipeline, "manual", args.actor, parameters=_params(args.param))
    views.queued(local_views.run_summary(new), json_out=args.json)
    return _after_queue(new, args)


def rerun(args) -> int:
    old = runs.get_run(args.run)
    new = runs.rerun(old, args.actor)
    views.queued({**local_views.run_summary(new), "version": new.version.version_number}, rerun_of=old.number,
                 json_out=args.json)
    return _after_queue(new, args)


def _after_queue(new: Run, args) -> int:
    if daemon_state.alive() is None:
        print(_("warning: no Millrace daemon is running (no heartbeat in the last {seconds} s), so the run will "
                "not start until one does: python run.py daemon", seconds=daemon_state.HEARTBEAT_FRESH_SECONDS),
              file=sys.stderr)
        if args.wait or args.follow:
            return 3
    if not (args.wait or args.follow):
        if args.json:
            views.as_json(local_views.run_detail(new))
        return 0
    final = local_views.run_summary(_wait(new.id, follow=args.follow, json_out=args.json))
    views.finished(final, args.json)
    return exit_code(final["status"])


def exit_code(status: str) -> int:
    """`run --wait`'s exit code for a finished run: 0 succeeded, 4 stopped or timed out,
    1 failed (README, "Exit codes")."""
    return 0 if status == "succeeded" else 4 if status in ("stopped", "timed_out") else 1


def _wait(run_id: int, follow: bool, task_filter: str | None = None, failed: bool = False,
          json_out: bool = False) -> Run:
    printed, printer = {}, views.LogPrinter(json_out=json_out)
    while True:
        current = Run.get_by_id(run_id)
        if follow:
            _print_new_lines(run_id, printed, task_filter, printer, failed)
        if is_terminal(current.status):
            if follow:
                _print_new_lines(run_id, printed, task_filter, printer, failed)
            return current
        time.sleep(FOLLOW_POLL_SECONDS)


def _print_new_lines(run_id, printed: dict, task_filter, printer, failed: bool = False) -> None:
    """Print each task's lines after the last one printed (`printed`: task id → line number),
    a stored chunk at a time, never the whole log; `failed`: only the tasks that failed."""
    for task in local_views.tasks(run_id, task_filter):
        after = printed.get(task.id, 0)
        if task.log_lines <= after or (failed and task.status not in FAILING):
            continue
        for item in local_views.lines(task, after):
            printer.line(item)
            printed[task.id] = item["line"]
        printer.flush()
    printer.flush()


def list_(args) -> int:
    pipeline = pipelines.get(args.name)
    views.runs([local_views.run_summary(r) for r in runs.list_runs(pipeline, args.n)], args.json)
    return 0


def show(args) -> int:
    views.run(local_views.run_detail(runs.get_run(args.run)), args.json)
    return 0


def logs_(args) -> int:
    r = runs.get_run(args.run)
    if args.task and not local_views.tasks(r.id, args.task):
        raise LookupError(_("run {run} has no task named '{task}'", run=r.label, task=args.task))
    try:
        if args.follow:
            _wait(r.id, follow=True, task_filter=args.task, failed=args.failed, json_out=args.json)
        else:
            _print_new_lines(r.id, {}, args.task, views.LogPrinter(json_out=args.json), failed=args.failed)
    except BrokenPipeError:         # `logs … | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


logs = logs_


def stop(args) -> int:
    r = runs.get_run(args.run)
    return views.stopped(r.label, runs.request_stop(r, args.actor), r.status, args.json)
