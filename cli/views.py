"""The one printer of each verb's output, for the local and the remote path alike.

Every function takes the dicts of the REST API's shapes (docs/api.md, /api/v1): the remote
path passes what the server returned, the local path what cli/local_views.py builds from the
data directory. `--json` prints the dicts as they are; plain text turns status codes into
words, RFC 3339 times into the reader's zone (cli/output.py) and reasons as given. Keys the
API does not promise (commit, execution and waiting time, values set by tasks) are shown
when present.
"""
from __future__ import annotations

import json
import os
import sys

from cli.output import clock, seconds, table, when, word, yes_no
from models.i18n import _
from models.logs import last_state, printable


def as_json(data) -> None:
    print(json.dumps(_public(data), indent=2, ensure_ascii=False))


def _public(data):
    """The data without the printers' own keys ("_reason": a reason in the reader's language)."""
    if isinstance(data, dict):
        return {k: _public(v) for k, v in data.items() if not k.startswith("_")}
    if isinstance(data, list):
        return [_public(v) for v in data]
    return data


def reason(data: dict) -> str | None:
    """A run's or task's reason as the reader should see it (the local path translated it)."""
    return data.get("_reason") or data.get("reason")


def applied(name: str, outcome: str, json_out: bool = False) -> None:
    """'pipeline 'x' created' in the reader's language (outcome: created, updated, unchanged)."""
    if json_out:
        return as_json({"pipeline": name, "outcome": outcome})
    said = {"created": _("pipeline '{name}' created", name=name),
            "updated": _("pipeline '{name}' updated", name=name),
            "unchanged": _("pipeline '{name}' unchanged", name=name)}
    print(said.get(outcome) or _("pipeline '{name}' {outcome}", name=name, outcome=outcome))


def pipelines(rows: list[dict], json_out: bool) -> None:
    if json_out:
        return as_json(rows)
    table([{"name": p["name"], "active": yes_no(p["active"]),
             "latest_run": (p.get("last_run") or {}).get("number"),
             "latest_status": word((p.get("last_run") or {}).get("status")),
             "latest_started_at": when((p.get("last_run") or {}).get("started_at"))} for p in rows],
          ("name", "active", "latest_run", "latest_status", "latest_started_at"))


def runs(rows: list[dict], json_out: bool) -> None:
    if json_out:
        return as_json(rows)
    table([{"run": r["label"], "status": word(r["status"]), "cause": r.get("cause"),
            "started_at": when(r.get("started_at")), "duration": seconds(r.get("duration_seconds")),
            "reason": reason(r)} for r in rows],
          ("run", "status", "cause", "started_at", "duration", "reason"))


def run(data: dict, json_out: bool) -> None:
    """`show`: heading lines (status and reason, cause, times), then a table of the tasks."""
    if json_out:
        return as_json(data)
    shown = reason(data)
    print(_("{run}  {status}: {reason}", run=data["label"], status=word(data["status"]), reason=shown) if shown
          else f"{data['label']}  {word(data['status'])}")
    cause = f"{data.get('cause') or ''} {data.get('cause_detail') or ''}".strip()
    line = _("cause: {cause} (by {actor})  version: {version}", cause=cause, actor=data.get("actor") or "",
             version=data.get("version"))
    if data.get("commit_sha"):
        line += "  " + _("commit: {sha}", sha=data["commit_sha"][:12])
    print(line)
    if "execution_seconds" in data:
        print(_("started: {started}  execution: {execution}  waiting: {waiting}",
                started=when(data.get("started_at")) or "-", execution=seconds(data["execution_seconds"]),
                waiting=seconds(data.get("waiting_seconds"))))
    else:
        print(_("started: {started}  duration: {duration}", started=when(data.get("started_at")) or "-",
                duration=seconds(data.get("duration_seconds")) or "-"))
    if data.get("dynamic"):
        print(_("set by tasks: {values}", values="  ".join(f"{k}={v}" for k, v in data["dynamic"].items())))
    table([{"stage": stage["name"], "task": t["name"], "status": word(t["status"]),
            "duration": seconds(t.get("duration_seconds")), "reason": reason(t)}
           for stage in data.get("stages") or [] for t in stage.get("tasks") or []],
          ("stage", "task", "status", "duration", "reason"))


def queued(data: dict, rerun_of: int | None = None, json_out: bool = False) -> None:
    """'queued sample#3' (with --json nothing yet: the run is printed when it is known)."""
    if json_out:
        return
    if rerun_of is None:
        print(_("queued {run}", run=data["label"]))
    else:
        print(_("queued {run} (re-run of #{old}, definition version {version})", run=data["label"], old=rerun_of,
                version=data.get("version")))


def stopped(label: str, accepted: bool, status: str, json_out: bool = False) -> int:
    """`stop`'s line and exit code: 0 when the stop was requested, 1 when the run had ended."""
    if json_out:
        as_json({"run": label, "stop_requested": accepted, "status": status})
    elif accepted:
        print(_("stop requested for {run}", run=label))
    else:
        print(_("{run} is not running ({status})", run=label, status=word(status)))
    return 0 if accepted else 1


def finished(data: dict, json_out: bool = False) -> None:
    """A run's end after --wait: its JSON (one line: it may follow --follow's JSON lines), or
    the line `ended` gives."""
    if json_out:
        print(json.dumps(_public(data), ensure_ascii=False))
    else:
        print(ended(data))


def ended(data: dict) -> str:
    """'sample#3 failed: <reason>' (a run's last line after --wait)."""
    if reason(data):
        return _("{run} {status}: {reason}", run=data["label"], status=word(data["status"]), reason=reason(data))
    return f"{data['label']} {word(data['status'])}"


class LogPrinter:
    """Log lines ({task_id, stage, task, line, text, stream, [at]}) to standard output: a
    `── stage / task` heading before a task's first line, the time of day when the line
    carries one, a line with carriage returns in its last state (as a terminal showed it),
    and on a terminal stderr lines in red (NO_COLOR respected)."""

    def __init__(self, out=None, json_out: bool = False):
        self.out, self.json_out = out or sys.stdout, json_out
        colour = self.out.isatty() and not os.environ.get("NO_COLOR")
        self.red = ("\x1b[31m", "\x1b[0m") if colour else ("", "")

    def heading(self, stage: str, task: str) -> None:
        self.out.write(f"── {printable(stage)} / {printable(task)}\n")

    def line(self, item: dict) -> None:
        if self.json_out:                   # one object a line (JSON Lines)
            self.out.write(json.dumps(item, ensure_ascii=False) + "\n")
            return
        if item["line"] == 1:
            self.heading(item["stage"], item["task"])
        stamp = f"{clock(item['at'])} " if item.get("at") else ""
        text = last_state(item["text"])
        if item.get("stream") == "err":
            text = f"{self.red[0]}{text}{self.red[1]}"
        self.out.write(f"{stamp}{text}\n")

    def flush(self) -> None:
        self.out.flush()


def triggers(data: dict, name: str, json_out: bool = False) -> None:
    """`triggers NAME`: state and concurrency (when given), the timed rule with its next
    fire times, the webhook's events, then recent fires and deliveries."""
    if json_out:
        return as_json(data)
    if "active" in data:
        print(_("pipeline '{name}' (active), concurrency {policy}", name=name, policy=data.get("concurrency"))
              if data["active"] else
              _("pipeline '{name}' (deactivated), concurrency {policy}", name=name, policy=data.get("concurrency")))
    timed = data.get("timed")
    if timed:
        print(_("timer: {rule}, misfire {policy}; next: {times}", rule=timed.get("rule"),
                policy=timed.get("misfire_policy"),
                times=", ".join(when(t, seconds=False) for t in timed.get("next_fires") or [])))
    hook = data.get("webhook")
    if hook and hook.get("events"):
        print(_("webhook: {events}  {url}", events=", ".join(hook["events"]), url=hook.get("url") or ""))
    if data.get("fires"):
        table([{**f, "scheduled_for": when(f.get("scheduled_for"))} for f in data["fires"]],
              ("scheduled_for", "outcome", "reason"))
    if data.get("deliveries"):
        table([{**d, "received_at": when(d.get("received_at"))} for d in data["deliveries"]],
              ("received_at", "provider", "event", "outcome"))
