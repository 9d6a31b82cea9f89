"""CLI verbs on runs: run, runs, show, logs, stop, rerun. Runs are named pipeline#number."""
from __future__ import annotations

import json
import os
import sys
import time

from cli.output import clock, seconds, table, when, word
from models import daemon_state, i18n, logs as log_store, pipelines, runs
from models.i18n import _
from models.status import is_terminal
from models.tables import Run, StageRun, TaskRun
from models.variables import shown_dynamic

FOLLOW_POLL_SECONDS = 0.2


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
    label = f"{pipeline.name}#{new.number}"
    print(_("queued {run}", run=label))
    return _after_queue(new, args)


def rerun(args) -> int:
    old = runs.get_run(args.run)
    new = runs.rerun(old, args.actor)
    label = f"{old.pipeline.name}#{new.number}"
    print(_("queued {run} (re-run of #{old}, definition version {version})", run=label, old=old.number,
            version=old.version.version_number))
    return _after_queue(new, args)


def _after_queue(new: Run, args) -> int:
    if daemon_state.alive() is None:
        print(_("warning: no Millrace daemon is running (no heartbeat in the last {seconds} s), so the run will "
                "not start until one does: python run.py daemon", seconds=daemon_state.HEARTBEAT_FRESH_SECONDS),
              file=sys.stderr)
        if args.wait or args.follow:
            return 3
    if not (args.wait or args.follow):
        return 0
    final = _wait(new.id, follow=args.follow)
    print(_ended(f"{final.pipeline.name}#{final.number}", final))
    return 0 if final.status == "succeeded" else 1


def _ended(label: str, row) -> str:
    """'sample#3 failed: <reason>', the reason in the reader's language (status codes stay)."""
    reason = i18n.shown(row.reason, row.reason_message)
    if reason:
        return _("{run} {status}: {reason}", run=label, status=word(row.status), reason=reason)
    return f"{label} {word(row.status)}"


def _wait(run_id: int, follow: bool, task_filter: str | None = None) -> Run:
    printed = {}
    while True:
        current = Run.get_by_id(run_id)
        if follow:
            _print_new_lines(run_id, printed, task_filter)
        if is_terminal(current.status):
            if follow:
                _print_new_lines(run_id, printed, task_filter)
            return current
        time.sleep(FOLLOW_POLL_SECONDS)


def _tasks(run_id: int, task_filter: str | None = None):
    query = (TaskRun.select(TaskRun, StageRun).join(StageRun).where(TaskRun.run == run_id)
             .order_by(StageRun.position, TaskRun.position))
    if task_filter:
        query = query.where(TaskRun.name == task_filter)
    return list(query)


def _print_new_lines(run_id, printed: dict, task_filter) -> None:
    """Print each task's lines after the last one printed (`printed`: task id → line number).
    A stored chunk at a time, never the whole log; a line with carriage returns is shown in
    its last state (a progress bar's final text), as a terminal would have shown it."""
    out = sys.stdout
    # On a terminal, stderr lines in red (NO_COLOR respected); to a pipe or file, clean text.
    red = ("\x1b[31m", "\x1b[0m") if out.isatty() and not os.environ.get("NO_COLOR") else None
    for task in _tasks(run_id, task_filter):
        after = printed.get(task.id, 0)
        if task.log_lines <= after:
            continue
        for piece in log_store.pieces(task.id, after, streams=red is not None):
            if piece.first == 1:
                out.write(f"── {log_store.printable(task.stage_run.name)} / {log_store.printable(task.name)}\n")
            out.write(log_store.stamped(piece, f"{clock(piece.logged_at)} ", last_states=True, stderr=red))
            printed[task.id] = piece.first + piece.count - 1
        out.flush()
    out.flush()


def list_(args) -> int:
    pipeline = pipelines.get(args.name)
    found = runs.list_runs(pipeline, args.n)
    rows = [{"run": f"{pipeline.name}#{r.number}", "status": r.status, "cause": r.cause,
             "queued_at": str(r.queued_at), "started_at": str(r.started_at) if r.started_at else None,
             "duration": runs.duration_seconds(r), "execution_seconds": r.execution_seconds,
             "waiting_seconds": r.waiting_seconds, "reason": r.reason} for r in found]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row, r in zip(rows, found):
            row.update(duration=seconds(row["duration"]), started_at=when(r.started_at), status=word(r.status),
                       reason=i18n.shown(r.reason, r.reason_message))
        table(rows, ("run", "status", "cause", "started_at", "duration", "reason"))
    return 0


def show(args) -> int:
    r = runs.get_run(args.run)
    tasks = _tasks(r.id)
    data = {"run": r.label, "status": r.status, "reason": r.reason, "cause": r.cause, "cause_detail": r.cause_detail,
            "triggered_by": r.triggered_by, "commit_sha": r.commit_sha, "version": r.version.version_number,
            "queued_at": str(r.queued_at), "started_at": str(r.started_at) if r.started_at else None,
            "finished_at": str(r.finished_at) if r.finished_at else None,
            "execution_seconds": round(r.execution_seconds, 3), "waiting_seconds": round(r.waiting_seconds, 3),
            "dynamic": shown_dynamic(json.loads(r.dynamic_json or "{}")),       # sealed values as ***
            "tasks": [{"stage": t.stage_run.name, "task": t.name, "type": t.task_type, "status": t.status,
                       "reason": t.reason, "exit_code": t.exit_code, "lines": t.log_lines,
                       "duration": runs.duration_seconds(t) if t.started_at else None,
                       "outputs": shown_dynamic(json.loads(t.outputs_json or "{}"))} for t in tasks]}
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    _print_run(r, data)
    table([{"stage": t["stage"], "task": t["task"], "status": word(t["status"]), "duration": seconds(t["duration"]),
            "reason": i18n.shown(row.reason, row.reason_message)} for t, row in zip(data["tasks"], tasks)],
          ("stage", "task", "status", "duration", "reason"))
    return 0


def _print_run(r: Run, data: dict) -> None:
    """`show`'s heading lines: status and reason, cause, times (in the reader's zone)."""
    reason = i18n.shown(r.reason, r.reason_message)
    print(_("{run}  {status}: {reason}", run=data["run"], status=word(r.status), reason=reason) if reason
          else f"{data['run']}  {word(r.status)}")
    cause = f"{r.cause} {r.cause_detail}".rstrip()
    line = _("cause: {cause} (by {actor})  version: {version}", cause=cause, actor=r.triggered_by,
             version=data["version"])
    if r.commit_sha:
        line += "  " + _("commit: {sha}", sha=r.commit_sha[:12])
    print(line)
    print(_("started: {started}  execution: {execution}  waiting: {waiting}", started=when(r.started_at) or "-",
            execution=seconds(r.execution_seconds), waiting=seconds(r.waiting_seconds)))
    if data["dynamic"]:
        print(_("set by tasks: {values}", values="  ".join(f"{k}={v}" for k, v in data["dynamic"].items())))


def logs_(args) -> int:
    r = runs.get_run(args.run)
    if args.task and not _tasks(r.id, args.task):
        raise LookupError(_("run {run} has no task named '{task}'", run=r.label, task=args.task))
    try:
        if args.follow:
            _wait(r.id, follow=True, task_filter=args.task)
        else:
            _print_new_lines(r.id, {}, args.task)
    except BrokenPipeError:         # `logs … | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


logs = logs_


def stop(args) -> int:
    r = runs.get_run(args.run)
    if runs.request_stop(r, args.actor):
        print(_("stop requested for {run}", run=r.label))
        return 0
    print(_("{run} is not running ({status})", run=r.label, status=word(r.status)))
    return 1
