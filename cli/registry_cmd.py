"""CLI verbs for delivery settings: `registry add|list|remove|default` and `chart-repo set|show`.

A password is read from standard input (`--password-stdin`), never from the command
line, and never printed: `registry list` shows only whether one is stored.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from cli.output import table, yes_no
from models.i18n import _
from models import registries


def add_arguments(subparsers) -> None:
    """Register the `registry` and `chart-repo` verbs on the top-level sub-parsers."""
    text = _("container registries: registry add|list|remove|default")
    s = subparsers.add_parser("registry", help=text, description=text)
    sub = s.add_subparsers(dest="registry_command", required=True, metavar="ACTION")
    a = sub.add_parser("add", help=_("add a registry"))
    a.set_defaults(func=add)
    a.add_argument("name")
    a.add_argument("--url", required=True, help=_("host[:port][/path], optionally with http:// or https://"))
    a.add_argument("--username", default="")
    a.add_argument("--password-stdin", action="store_true", help=_("read the password from standard input"))
    a.add_argument("--insecure", action="store_true", help=_("plain HTTP, or HTTPS without certificate checks"))
    a.add_argument("--ca-file", type=Path, help=_("PEM file of the CA that signed the registry's certificate"))
    a.add_argument("--default", action="store_true", help=_("use it when a task names no registry"))
    ls = sub.add_parser("list", help=_("list registries (passwords are never shown)"))
    ls.set_defaults(func=list_)
    ls.add_argument("--json", action="store_true")
    r = sub.add_parser("remove", help=_("remove a registry"))
    r.set_defaults(func=remove)
    r.add_argument("name")
    d = sub.add_parser("default", help=_("make a registry the default"))
    d.set_defaults(func=set_default)
    d.add_argument("name")

    text = _("the chart repository: chart-repo set oci://HOST/PATH | http(s)://HOST[:PORT]/PATH "
             "[--registry NAME | --username U --password-stdin] | show")
    c = subparsers.add_parser("chart-repo", help=text, description=text)
    sub = c.add_subparsers(dest="chart_repo_command", required=True, metavar="ACTION")
    cs = sub.add_parser("set", help=_("set the chart repository (an OCI registry path or an HTTP chart repository)"))
    cs.set_defaults(func=chart_repo_set)
    cs.add_argument("url", help=_("oci://HOST[:PORT]/PATH, or http(s)://HOST[:PORT][/PATH] (an index.yaml there)"))
    cs.add_argument("--registry", help=_("registry whose credentials and TLS settings to use "
                                         "(default: the registry with the same host, if any)"))
    cs.add_argument("--username", default="", help=_("basic-auth user (stored, with the password, as registry "
                                                     "'{name}')", name=registries.CHART_CREDENTIALS))
    cs.add_argument("--password-stdin", action="store_true", help=_("read the password from standard input"))
    cs.add_argument("--insecure", action="store_true", help=_("with --username: HTTPS without certificate checks"))
    sub.add_parser("show", help=_("show the chart repository")).set_defaults(func=chart_repo_show)


def _password(args) -> str:
    if not args.password_stdin:
        return ""
    password = sys.stdin.read().rstrip("\r\n")
    if not password:
        raise ValueError(_("--password-stdin given but standard input was empty"))
    return password


def add(args) -> int:
    password = _password(args)
    try:
        ca_cert = args.ca_file.read_text() if args.ca_file else ""
    except OSError as e:
        raise ValueError(_("cannot read the CA file {file}: {error}", file=args.ca_file, error=e.strerror)) from None
    row = registries.add(args.name, args.url, args.actor, username=args.username, password=password,
                         insecure=args.insecure, ca_cert=ca_cert, make_default=args.default)
    print(_("registry '{name}' added ({url}), the default registry", name=row.name, url=row.url) if row.is_default
          else _("registry '{name}' added ({url})", name=row.name, url=row.url))
    return 0


def _row(r) -> dict:
    return {"name": r.name, "url": r.url, "username": r.username, "password": "stored" if r.password_sealed else "",
            "insecure": r.insecure, "ca_cert": bool(r.ca_cert), "default": r.is_default}


def _shown(row: dict) -> dict:
    """A table row in the reader's language (the JSON keeps its values)."""
    return {**row, "password": _("stored") if row["password"] else "", "insecure": yes_no(row["insecure"]),
            "ca_cert": yes_no(row["ca_cert"]), "default": yes_no(row["default"])}


def list_(args) -> int:
    rows = [_row(r) for r in registries.all_registries()]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        table([_shown(r) for r in rows], ("name", "url", "username", "password", "insecure", "ca_cert", "default"))
    return 0


def remove(args) -> int:
    registries.remove(args.name, args.actor)
    print(_("registry '{name}' removed", name=args.name))
    return 0


def set_default(args) -> int:
    registries.set_default(args.name, args.actor)
    print(_("registry '{name}' is now the default", name=args.name))
    return 0


def chart_repo_set(args) -> int:
    repo = registries.set_chart_repository(args.url, args.actor, args.registry, username=args.username,
                                           password=_password(args), insecure=args.insecure)
    _describe(repo)
    return 0


def chart_repo_show(args) -> int:
    repo = registries.chart_repository()
    if repo is None:
        print(_("no chart repository is set (python run.py chart-repo set oci://HOST/PATH or http(s)://HOST/PATH)"))
        return 1
    _describe(repo)
    return 0


def _describe(repo) -> None:
    registry = registries.chart_registry(repo)
    if registry:
        print(_("chart repository {url} (credentials and TLS settings of registry '{name}')", url=repo.url,
                name=registry.name))
    else:
        print(_("chart repository {url} (no registry settings (anonymous, TLS verified))", url=repo.url))
