"""CLI verbs for chart releases: `releases`, `release history NAME`, `release rollback NAME REVISION`.

Releases are what deploy chart tasks installed, per cluster and namespace, with their
revision history (models.releases). A rollback is an intent: it queues a run that
re-applies that revision's chart version and values as a new revision, which the daemon
executes; `--wait` follows that run to its end.
"""
from __future__ import annotations

import json
import time

from cli import local_views, views
from cli.local_views import rfc3339
from cli.output import table, when
from cli.runs_cmd import exit_code
from models.i18n import _
from models import releases
from models.status import is_terminal
from models.tables import Run


def add_arguments(subparsers) -> None:
    """Register `releases` and `release history|rollback` on the top-level sub-parsers."""
    text = _("list chart releases with their current revision")
    s = subparsers.add_parser("releases", help=text, description=text)
    s.set_defaults(func=list_)
    s.add_argument("--cluster"); s.add_argument("--namespace"); s.add_argument("--json", action="store_true")
    text = _("a chart release's revision history, or roll it back: release history|rollback")
    s = subparsers.add_parser("release", help=text, description=text)
    sub = s.add_subparsers(dest="release_command", required=True, metavar="ACTION")
    h = sub.add_parser("history", help=_("revisions of a release, newest first"))
    h.set_defaults(func=history)
    h.add_argument("name"); h.add_argument("--json", action="store_true")
    r = sub.add_parser("rollback", help=_("deploy an earlier revision's chart version and values again"))
    r.set_defaults(func=rollback)
    r.add_argument("name"); r.add_argument("revision", type=int)
    r.add_argument("--wait", action="store_true", help=_("wait for the rollback run; exit 0 only if it succeeded"))
    for p in (h, r):
        p.add_argument("--cluster", help=_("needed when releases of that name exist on several clusters"))
        p.add_argument("--namespace", help=_("needed when releases of that name exist in several namespaces"))


def _values(row: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((row.get("values") or {}).items())) or "–"


def row(rev) -> dict:
    """A revision in the API's shape (GET /api/v1/pipelines/{name}/releases)."""
    run = Run.get_or_none(Run.id == rev.run_id) if rev.run_id else None
    return {"release": rev.release, "cluster": rev.cluster, "namespace": rev.namespace, "revision": rev.revision,
            "status": rev.status, "chart": rev.chart, "chart_version": rev.chart_version, "values": rev.values,
            "description": rev.description, "reason": rev.reason or "", "rollback_of": rev.rollback_of,
            "run": run.label if run else None, "deployed_at": rfc3339(rev.deployed_at)}


def _shown(rows: list[dict]) -> list[dict]:
    """Table rows: the deploy time in the reader's zone (the JSON keeps UTC)."""
    return [{**r, "version": r["chart_version"], "run": r["run"] or "–", "deployed": when(r["deployed_at"]),
             "values": _values(r)} for r in rows]


def print_releases(rows: list[dict], json_out: bool) -> None:
    """The one printer of `releases` (local and remote)."""
    if json_out:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print(_("no release: deploy chart tasks create them"))
    else:
        table(_shown(rows), ("release", "cluster", "namespace", "revision", "status", "chart", "version", "run", "deployed"))


def print_history(rows: list[dict], json_out: bool) -> None:
    """The one printer of `release history` (local and remote)."""
    if json_out:
        print(json.dumps(rows, indent=2))
        return
    table(_shown(rows), ("revision", "status", "chart", "version", "values", "run", "deployed", "description"))
    for r in rows:
        if r["reason"]:
            print(_("revision {revision} failed: {reason}", revision=r["revision"], reason=r["reason"]))


def print_rollback(label: str, args) -> None:
    print(_("queued {run}: release {release} goes back to revision {revision} "
            "(a new revision with its chart version and values)", run=label, release=args.name,
            revision=args.revision))


def list_(args) -> int:
    print_releases([row(r) for r in releases.releases(args.cluster, args.namespace)], args.json)
    return 0


def history(args) -> int:
    print_history([row(r) for r in releases.history(args.name, args.cluster, args.namespace)], args.json)
    return 0


def rollback(args) -> int:
    run = releases.request_rollback(args.name, args.revision, args.actor, args.cluster, args.namespace)
    print_rollback(run.label, args)
    if not args.wait:
        return 0
    while not is_terminal((run := Run.get_by_id(run.id)).status):
        time.sleep(0.5)
    print(views.ended(local_views.run_summary(run)))
    return exit_code(run.status)
