"""CLI verbs for chart releases: `releases`, `release history NAME`, `release rollback NAME REVISION`.

Releases are what deploy chart tasks installed, per cluster and namespace, with their
revision history (models.releases). A rollback is an intent: it queues a run that
re-applies that revision's chart version and values as a new revision, which the daemon
executes; `--wait` follows that run to its end.
"""
from __future__ import annotations

import json
import time

from cli.output import table, when, word
from models.i18n import _
from models import i18n, releases
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


def _values(rev) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(rev.values.items())) or "–"


def _row(rev) -> dict:
    run = Run.get_or_none(Run.id == rev.run_id) if rev.run_id else None
    return {"release": rev.release, "cluster": rev.cluster, "namespace": rev.namespace, "revision": rev.revision,
            "status": rev.status, "chart": rev.chart, "version": rev.chart_version, "values": rev.values,
            "run": run.label if run else "–", "deployed": f"{rev.deployed_at:%Y-%m-%d %H:%M:%S}",     # --json: stored UTC
            "description": rev.description, "reason": rev.reason}


def _shown(rows: list[dict]) -> list[dict]:
    """Table rows: the deploy time in the reader's zone (the JSON keeps the stored UTC)."""
    return [{**r, "deployed": when(r["deployed"])} for r in rows]


def list_(args) -> int:
    rows = [_row(r) for r in releases.releases(args.cluster, args.namespace)]
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print(_("no release: deploy chart tasks create them"))
    else:
        table(_shown(rows), ("release", "cluster", "namespace", "revision", "status", "chart", "version", "run", "deployed"))
    return 0


def history(args) -> int:
    revisions = releases.history(args.name, args.cluster, args.namespace)
    rows = [_row(r) for r in revisions]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    table([{**r, "values": _values(rev)} for r, rev in zip(_shown(rows), revisions)],
          ("revision", "status", "chart", "version", "values", "run", "deployed", "description"))
    for r in rows:
        if r["reason"]:
            print(_("revision {revision} failed: {reason}", revision=r["revision"], reason=r["reason"]))
    return 0


def rollback(args) -> int:
    run = releases.request_rollback(args.name, args.revision, args.actor, args.cluster, args.namespace)
    print(_("queued {run}: release {release} goes back to revision {revision} "
            "(a new revision with its chart version and values)", run=run.label, release=args.name,
            revision=args.revision))
    if not args.wait:
        return 0
    while not is_terminal((run := Run.get_by_id(run.id)).status):
        time.sleep(0.5)
    reason = i18n.shown(run.reason, run.reason_message)
    print(_("{run} {status}: {reason}", run=run.label, status=word(run.status), reason=reason) if reason
          else f"{run.label} {word(run.status)}")
    return 0 if run.status == "succeeded" else 1
