"""CLI verbs for Kubernetes clusters: `cluster add|list|remove|default|check`.

`cluster add` checks the connection itself (so it works with no daemon running):
the API server must answer with these credentials, and the namespace millrace-<name>
is created; only then is the cluster stored, its kubeconfig sealed. Nothing here ever
prints a kubeconfig. `cluster remove` asks (or wants --yes) when pipelines use it.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from cli.output import table
from models import clusters
from models.clusters import Health
from models.db import utcnow
from models.secrets import seal


def add_arguments(subparsers) -> None:
    """Register the `cluster` verb on the top-level sub-parsers."""
    text = "Kubernetes clusters tasks run on: cluster add|list|remove|default|check"
    s = subparsers.add_parser("cluster", help=text, description=text)
    sub = s.add_subparsers(dest="cluster_command", required=True, metavar="ACTION")
    a = sub.add_parser("add", help="register a cluster (checks it and creates namespace millrace-NAME)")
    a.set_defaults(func=add)
    a.add_argument("name")
    how = a.add_mutually_exclusive_group(required=True)
    how.add_argument("--kubeconfig", help="kubeconfig file ('-' for standard input)")
    how.add_argument("--in-cluster", action="store_true", help="use the service account of the pod Millrace runs in")
    a.add_argument("--context", help="kubeconfig context (default: its current-context)")
    a.add_argument("--default", action="store_true", help="run pipelines that name no cluster here")
    ls = sub.add_parser("list", help="list clusters with their health")
    ls.set_defaults(func=list_)
    ls.add_argument("--json", action="store_true")
    r = sub.add_parser("remove", help="remove a cluster (asks when pipelines use it)")
    r.set_defaults(func=remove)
    r.add_argument("name")
    r.add_argument("--yes", action="store_true", help="remove even if pipelines use it")
    d = sub.add_parser("default", help="make a cluster the default")
    d.set_defaults(func=set_default)
    d.add_argument("name")
    c = sub.add_parser("check", help="check a cluster now (creates its namespace again if it is missing)")
    c.set_defaults(func=check)
    c.add_argument("name")


def _read(path: str) -> str:
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text()
    except OSError as e:
        raise ValueError(f"cannot read the kubeconfig {path}: {e.strerror}") from None


def add(args) -> int:
    from daemon.kube.client import api_client
    from daemon.upkeep import probe
    clusters.check_name(args.name)
    if clusters.Cluster.get_or_none(clusters.Cluster.name == args.name) is not None:
        raise ValueError(f"a cluster named '{args.name}' already exists (remove it first to change it)")
    kubeconfig, context, server = "", "", ""
    if not args.in_cluster:
        kubeconfig = _read(args.kubeconfig)
        _, context, server = clusters.parse_kubeconfig(kubeconfig, args.context)
    trial = clusters.Cluster(name=args.name, kubeconfig_sealed=seal(kubeconfig) if kubeconfig else "",
                             context=context, in_cluster=args.in_cluster, namespace=f"millrace-{args.name}")
    try:
        api = api_client(trial)
    except Exception as exc:  # noqa: BLE001 — the client's own words about an unusable kubeconfig
        raise ValueError(f"cluster '{args.name}' cannot be used: {exc}") from None
    server = server or api.configuration.host      # in-cluster: the address the service account reaches
    try:
        facts = probe(api, args.name, trial.namespace, create_namespace=True)
    finally:
        api.close()
    if facts["health"] != Health.HEALTHY:
        raise ValueError(f"{facts['health_message']} — the cluster was not added")
    now = utcnow()
    row = clusters.add(args.name, args.actor, kubeconfig=kubeconfig, context=args.context, in_cluster=args.in_cluster,
                       make_default=args.default, server=server or "in-cluster", version=facts["version"],
                       health=Health.HEALTHY, health_message=facts["health_message"], checked_at=now,
                       namespace_created_at=now)
    print(f"cluster '{row.name}' added: API server {row.server} ({row.version}), namespace {row.namespace}"
          + (", the default cluster" if row.is_default else ""))
    return 0


def _row(c) -> dict:
    return {"name": c.name, "server": c.server, "version": c.version, "namespace": c.namespace,
            "health": c.health, "message": c.health_message,
            "checked": f"{c.checked_at:%Y-%m-%d %H:%M:%S} UTC" if c.checked_at else "never",
            "default": c.is_default, "used_by": clusters.users(c.name)}


def list_(args) -> int:
    rows = [_row(c) for c in clusters.all_clusters()]
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print("no cluster is registered: tasks run as local processes on the daemon's machine")
    else:
        table([{**r, "used_by": ", ".join(r["used_by"]) or "–"} for r in rows],
              ("name", "server", "version", "namespace", "health", "checked", "default", "used_by"))
        for r in rows:
            if r["health"] != Health.HEALTHY and r["message"]:
                print(f"{r['name']}: {r['message']}")
    return 0


def remove(args) -> int:
    used = clusters.users(args.name)
    clusters.get(args.name)
    confirmed = args.yes
    if used and not confirmed:
        print(f"cluster '{args.name}' is used by: {', '.join(used)}", file=sys.stderr)
        if not sys.stdin.isatty():
            raise ValueError("not removed; pass --yes to remove it anyway")
        confirmed = input("remove it anyway? [y/N] ").strip().lower() in ("y", "yes")
        if not confirmed:
            print("not removed")
            return 1
    row = clusters.get(args.name)
    clusters.remove(args.name, args.actor, confirmed=True)
    print(f"cluster '{args.name}' removed (namespace {row.namespace} was left on the cluster)")
    return 0


def set_default(args) -> int:
    clusters.set_default(args.name, args.actor)
    print(f"cluster '{args.name}' is now the default")
    return 0


def check(args) -> int:
    from daemon.upkeep import check as check_now
    facts = check_now(clusters.get(args.name), create_namespace=True)
    print(f"cluster '{args.name}': {facts['health']} — {facts['health_message']}")
    return 0 if facts["health"] == Health.HEALTHY else 1
