"""CLI verbs for delivery settings: `registry add|list|remove|default` and `chart-repo set|show`.

A password is read from standard input (`--password-stdin`), never from the command
line, and never printed: `registry list` shows only whether one is stored.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from cli.output import table
from models import registries


def add_arguments(subparsers) -> None:
    """Register the `registry` and `chart-repo` verbs on the top-level sub-parsers."""
    text = "container registries: registry add|list|remove|default"
    s = subparsers.add_parser("registry", help=text, description=text)
    sub = s.add_subparsers(dest="registry_command", required=True, metavar="ACTION")
    a = sub.add_parser("add", help="add a registry")
    a.set_defaults(func=add)
    a.add_argument("name")
    a.add_argument("--url", required=True, help="host[:port][/path], optionally with http:// or https://")
    a.add_argument("--username", default="")
    a.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    a.add_argument("--insecure", action="store_true", help="plain HTTP, or HTTPS without certificate checks")
    a.add_argument("--ca-file", type=Path, help="PEM file of the CA that signed the registry's certificate")
    a.add_argument("--default", action="store_true", help="use it when a task names no registry")
    ls = sub.add_parser("list", help="list registries (passwords are never shown)")
    ls.set_defaults(func=list_)
    ls.add_argument("--json", action="store_true")
    r = sub.add_parser("remove", help="remove a registry")
    r.set_defaults(func=remove)
    r.add_argument("name")
    d = sub.add_parser("default", help="make a registry the default")
    d.set_defaults(func=set_default)
    d.add_argument("name")

    text = ("the chart repository: chart-repo set oci://HOST/PATH | http(s)://HOST[:PORT]/PATH "
            "[--registry NAME | --username U --password-stdin] | show")
    c = subparsers.add_parser("chart-repo", help=text, description=text)
    sub = c.add_subparsers(dest="chart_repo_command", required=True, metavar="ACTION")
    cs = sub.add_parser("set", help="set the chart repository (an OCI registry path or an HTTP chart repository)")
    cs.set_defaults(func=chart_repo_set)
    cs.add_argument("url", help="oci://HOST[:PORT]/PATH, or http(s)://HOST[:PORT][/PATH] (an index.yaml there)")
    cs.add_argument("--registry", help="registry whose credentials and TLS settings to use "
                                       "(default: the registry with the same host, if any)")
    cs.add_argument("--username", default="", help="basic-auth user (stored, with the password, as registry "
                                                   f"'{registries.CHART_CREDENTIALS}')")
    cs.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    cs.add_argument("--insecure", action="store_true", help="with --username: HTTPS without certificate checks")
    sub.add_parser("show", help="show the chart repository").set_defaults(func=chart_repo_show)


def _password(args) -> str:
    if not args.password_stdin:
        return ""
    password = sys.stdin.read().rstrip("\r\n")
    if not password:
        raise ValueError("--password-stdin given but standard input was empty")
    return password


def add(args) -> int:
    password = _password(args)
    try:
        ca_cert = args.ca_file.read_text() if args.ca_file else ""
    except OSError as e:
        raise ValueError(f"cannot read the CA file {args.ca_file}: {e.strerror}") from None
    row = registries.add(args.name, args.url, args.actor, username=args.username, password=password,
                         insecure=args.insecure, ca_cert=ca_cert, make_default=args.default)
    print(f"registry '{row.name}' added ({row.url})" + (", the default registry" if row.is_default else ""))
    return 0


def _row(r) -> dict:
    return {"name": r.name, "url": r.url, "username": r.username, "password": "stored" if r.password_sealed else "",
            "insecure": r.insecure, "ca_cert": bool(r.ca_cert), "default": r.is_default}


def list_(args) -> int:
    rows = [_row(r) for r in registries.all_registries()]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        table(rows, ("name", "url", "username", "password", "insecure", "ca_cert", "default"))
    return 0


def remove(args) -> int:
    registries.remove(args.name, args.actor)
    print(f"registry '{args.name}' removed")
    return 0


def set_default(args) -> int:
    registries.set_default(args.name, args.actor)
    print(f"registry '{args.name}' is now the default")
    return 0


def chart_repo_set(args) -> int:
    repo = registries.set_chart_repository(args.url, args.actor, args.registry, username=args.username,
                                           password=_password(args), insecure=args.insecure)
    _describe(repo)
    return 0


def chart_repo_show(args) -> int:
    repo = registries.chart_repository()
    if repo is None:
        print("no chart repository is set (python run.py chart-repo set oci://HOST/PATH or http(s)://HOST/PATH)")
        return 1
    _describe(repo)
    return 0


def _describe(repo) -> None:
    registry = registries.chart_registry(repo)
    using = f"credentials and TLS settings of registry '{registry.name}'" if registry else \
        "no registry settings (anonymous, TLS verified)"
    print(f"chart repository {repo.url} ({using})")
