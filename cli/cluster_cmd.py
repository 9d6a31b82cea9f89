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

from cli.output import table, when, word, yes_no
from models.i18n import _
from models import clusters, projects
from models.clusters import Health
from models.db import utcnow
from models.secrets import seal
from daemon.reasons import of_text


def add_arguments(subparsers) -> None:
    """Register the `cluster` verb on the top-level sub-parsers."""
    text = _("Kubernetes clusters tasks run on: cluster add|list|remove|default|check")
    s = subparsers.add_parser("cluster", help=text, description=text)
    sub = s.add_subparsers(dest="cluster_command", required=True, metavar="ACTION")
    a = sub.add_parser("add", help=_("register a cluster (checks it and creates namespace millrace-NAME)"))
    a.set_defaults(func=add)
    a.add_argument("name")
    how = a.add_mutually_exclusive_group(required=True)
    how.add_argument("--kubeconfig", help=_("kubeconfig file ('-' for standard input)"))
    how.add_argument("--in-cluster", action="store_true", help=_("use the service account of the pod Millrace runs in"))
    a.add_argument("--context", help=_("kubeconfig context (default: its current-context)"))
    a.add_argument("--default", action="store_true", help=_("run pipelines that name no cluster here"))
    a.add_argument("--project", default="default", help=_("the project the cluster belongs to (default: default)"))
    ls = sub.add_parser("list", help=_("list clusters with their health"))
    ls.set_defaults(func=list_)
    ls.add_argument("--json", action="store_true")
    r = sub.add_parser("remove", help=_("remove a cluster (asks when pipelines use it)"))
    r.set_defaults(func=remove)
    r.add_argument("name")
    r.add_argument("--yes", action="store_true", help=_("remove even if pipelines use it"))
    d = sub.add_parser("default", help=_("make a cluster the default"))
    d.set_defaults(func=set_default)
    d.add_argument("name")
    c = sub.add_parser("check", help=_("check a cluster now (creates its namespace again if it is missing)"))
    c.set_defaults(func=check)
    c.add_argument("name")


def _read(path: str) -> str:
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text()
    except OSError as e:
        raise ValueError(_("cannot read the kubeconfig {path}: {error}", path=path, error=e.strerror)) from None


def add(args) -> int:
    from daemon.kube.client import api_client
    from daemon.upkeep import probe
    clusters.check_name(args.name)
    projects.get(args.project)           # before the check creates anything on the cluster
    if clusters.Cluster.get_or_none(clusters.Cluster.name == args.name) is not None:
        raise ValueError(_("a cluster named '{name}' already exists (remove it first to change it)", name=args.name))
    kubeconfig, context, server = "", "", ""
    if not args.in_cluster:
        kubeconfig = _read(args.kubeconfig)
        _config, context, server = clusters.parse_kubeconfig(kubeconfig, args.context)
    trial = clusters.Cluster(name=args.name, kubeconfig_sealed=seal(kubeconfig) if kubeconfig else "",
                             context=context, in_cluster=args.in_cluster, namespace=f"millrace-{args.name}")
    try:
        api = api_client(trial)
    except Exception as exc:  # noqa: BLE001 — the client's own words about an unusable kubeconfig
        raise ValueError(_("cluster '{name}' cannot be used: {error}", name=args.name, error=exc)) from None
    server = server or api.configuration.host      # in-cluster: the address the service account reaches
    try:
        facts = probe(api, args.name, trial.namespace, create_namespace=True)
    finally:
        api.close()
    if facts["health"] != Health.HEALTHY:
        raise ValueError(_("{message} — the cluster was not added", message=of_text(facts["health_message"])))
    now = utcnow()
    row = clusters.add(args.name, args.actor, kubeconfig=kubeconfig, context=args.context, in_cluster=args.in_cluster,
                       make_default=args.default, project=args.project, server=server or "in-cluster",
                       version=facts["version"],
                       health=Health.HEALTHY, health_message=facts["health_message"], checked_at=now,
                       namespace_created_at=now)
    said = dict(name=row.name, server=row.server, version=row.version, namespace=row.namespace)
    print(_("cluster '{name}' added: API server {server} ({version}), namespace {namespace}, the default cluster",
            **said) if row.is_default else
          _("cluster '{name}' added: API server {server} ({version}), namespace {namespace}", **said))
    return 0


def _row(c) -> dict:
    return {"name": c.name, "server": c.server, "version": c.version, "namespace": c.namespace,
            "health": c.health, "message": c.health_message,
            "checked": f"{c.checked_at:%Y-%m-%d %H:%M:%S} UTC" if c.checked_at else "never",   # --json: as stored
            "default": c.is_default, "used_by": clusters.users(c.name)}


def list_(args) -> int:
    found = list(clusters.all_clusters())
    rows = [_row(c) for c in found]
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print(_("no cluster is registered: tasks run as local processes on the daemon's machine"))
    else:
        table([{**r, "used_by": ", ".join(r["used_by"]) or "–", "default": yes_no(r["default"]), "health": word(r["health"]),
                "checked": when(c.checked_at) if c.checked_at else _("never")} for r, c in zip(rows, found)],
              ("name", "server", "version", "namespace", "health", "checked", "default", "used_by"))
        c_by_name = {c.name: c for c in found}
        for r in rows:
            if r["health"] != Health.HEALTHY and r["message"]:
                print(f"{r['name']}: {c_by_name[r['name']].shown_health_message}")
    return 0


def remove(args) -> int:
    used = clusters.users(args.name)
    clusters.get(args.name)
    confirmed = args.yes
    if used and not confirmed:
        print(_("cluster '{name}' is used by: {pipelines}", name=args.name, pipelines=", ".join(used)),
              file=sys.stderr)
        if not sys.stdin.isatty():
            raise ValueError(_("not removed; pass --yes to remove it anyway"))
        confirmed = input(_("remove it anyway? [y/N] ")).strip().lower() in ("y", "yes", _("y"), _("yes"))
        if not confirmed:
            print(_("not removed"))
            return 1
    row = clusters.get(args.name)
    clusters.remove(args.name, args.actor, confirmed=True)
    print(_("cluster '{name}' removed (namespace {namespace} was left on the cluster)", name=args.name,
            namespace=row.namespace))
    return 0


def set_default(args) -> int:
    clusters.set_default(args.name, args.actor)
    print(_("cluster '{name}' is now the default", name=args.name))
    return 0


def check(args) -> int:
    from daemon.upkeep import check as check_now
    facts = check_now(clusters.get(args.name), create_namespace=True)
    print(_("cluster '{name}': {health} — {message}", name=args.name, health=word(facts["health"]),
            message=of_text(facts["health_message"])))
    return 0 if facts["health"] == Health.HEALTHY else 1
