"""The verbs on pipelines and lists through a Millrace server's REST API (/api/v1), chosen by
cli/main.py when a server is configured (cli/client_config.py): login, logout, pipelines,
apply, export, runs, show, triggers, releases and release history|rollback. The runs' verbs that wait and stream are in
cli/remote_runs.py. Output goes through the same printers as the local path (cli/views.py).
"""
from __future__ import annotations

import getpass
import sys
from urllib.parse import quote

from cli import client_config, release_cmd, views
from cli.api_client import ApiError, Client
from cli.pipelines_cmd import _read
from cli.runs_cmd import exit_code
from models import spec as specs
from models.i18n import _
from models.runs import RUN_NAME

MANY = 100_000          # "all of them" for lists the local path shows whole


def client(args) -> Client:
    return Client(args.server)


def seg(name: str) -> str:
    """A name as one path segment (a pipeline may be named 'a/b c')."""
    return quote(name, safe="")


def run_path(label: str) -> str:
    """`pipeline#number` → its API path; refuses anything else as the local path does."""
    m = RUN_NAME.match(label.strip())
    if not m:
        raise ValueError(_("'{label}' is not a run name; runs are named pipeline#number, e.g. sample#1", label=label))
    return f"/pipelines/{seg(m.group('name'))}/runs/{m.group('number')}"


def login(args) -> int:
    """Check the token against GET /api/v1/me, then store {url, token} (0600)."""
    url = client_config.normalise_url(args.server_url)
    if args.token_stdin:
        token = sys.stdin.readline().strip()
    else:
        token = getpass.getpass(_("token for {url}: ", url=url)).strip()
    if not token:
        raise ValueError(_("no token given (make one on the dashboard's Tokens page, or: python run.py token add)"))
    me = Client(client_config.Server(url, token)).get("/me")
    path = client_config.save(url, token)
    name = me.get("username") or me.get("name") or me.get("user") or "?"
    print(_("logged in to {url} as {user}; stored in {file}", url=url, user=name, file=path))
    return 0


def logout(args) -> int:
    if client_config.forget():
        print(_("logged out: {file} removed", file=client_config.config_path()))
    else:
        print(_("not logged in ({file} does not exist)", file=client_config.config_path()))
    return 0


def pipelines(args) -> int:
    views.pipelines(client(args).pages("/pipelines", MANY), args.json)
    return 0


def apply(args) -> int:
    """POST a new pipeline, or PUT an existing one (If-Match with --based-on); the outcome is
    told from the version number before and after, as the local apply tells it."""
    data = _read(args.file)
    raw = specs.parse_yaml(data)                  # the name, and the same SpecError for bad YAML
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise specs.SpecError([("name", _("required"))])
    api, name = client(args), raw["name"]
    headers = {"Content-Type": "application/yaml"}
    try:
        before = api.get(f"/pipelines/{seg(name)}")
    except ApiError as exc:
        if exc.status != 404:
            raise
        params = {"project": args.project} if args.project else None
        api.request("POST", "/pipelines", params=params, data=data, headers=headers)
        views.applied(name, "created", args.json)
        return 0
    if args.based_on is not None:
        headers["If-Match"] = f'"v{args.based_on}"'
    after = api.request("PUT", f"/pipelines/{seg(name)}", data=data, headers=headers).json()
    views.applied(name, "unchanged" if after.get("version") == before.get("version") else "updated", args.json)
    return 0


def export(args) -> int:
    sys.stdout.write(client(args).request("GET", f"/pipelines/{seg(args.name)}/export",
                                          headers={"Accept": "application/yaml"}).text)
    return 0


def runs(args) -> int:
    views.runs(client(args).pages(f"/pipelines/{seg(args.name)}/runs", args.n), args.json)
    return 0


def show(args) -> int:
    views.run(client(args).get(run_path(args.run)), args.json)
    return 0


def triggers(args) -> int:
    views.triggers(client(args).get(f"/pipelines/{seg(args.name)}/triggers"), args.name, args.json)
    return 0


def _revisions(api, name: str | None = None, cluster=None, namespace=None) -> list[dict]:
    """Every release revision the pipelines you may see deployed (the API lists them per
    pipeline), newest first; only release `name`, cluster and namespace when given."""
    found = []
    for p in api.pages("/pipelines", MANY):
        params = {"release": name} if name else {}
        found += api.pages(f"/pipelines/{seg(p['name'])}/releases", MANY, **params)
    return sorted((r for r in found if (cluster is None or r["cluster"] == cluster)
                   and (namespace is None or r["namespace"] == namespace)),
                  key=lambda r: (r["deployed_at"] or "", r["revision"]), reverse=True)


def releases(args) -> int:
    """`releases`: each release's current (newest) revision, as the local list shows them."""
    current: dict = {}
    for r in _revisions(client(args), cluster=args.cluster, namespace=args.namespace):
        current.setdefault((r["release"], r["cluster"], r["namespace"]), r)
    release_cmd.print_releases(sorted(current.values(), key=lambda r: (r["release"], r["cluster"], r["namespace"])),
                               args.json)
    return 0


def release(args) -> int:
    """`release history NAME` and `release rollback NAME REVISION [--wait]`."""
    api = client(args)
    revisions = _revisions(api, args.name, args.cluster, args.namespace)
    if args.release_command == "history":
        release_cmd.print_history(revisions, args.json)
        return 0
    target = next((r for r in revisions if r["revision"] == args.revision and r.get("run")), None)
    if target is None:
        raise LookupError(_("release '{release}' has no revision {revision}", release=args.name,
                            revision=args.revision))
    pipeline = target["run"].rpartition("#")[0]
    run = api.post(f"/pipelines/{seg(pipeline)}/releases/{seg(args.name)}/rollback",
                   {"revision": args.revision, "cluster": target["cluster"], "namespace": target["namespace"]})
    release_cmd.print_rollback(run["label"], args)
    if not args.wait:
        return 0
    from cli.remote_runs import _wait
    final = _wait(api, run["id"])
    print(views.ended(final))
    return exit_code(final["status"])
