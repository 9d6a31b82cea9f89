"""The resources the fake serves and how request paths map onto them.

`/api/v1/namespaces/NS/pods/NAME/log` and `/apis/apps/v1/namespaces/NS/deployments`
parse into a `Route`; `/version`, `/api` and `/apis` are discovery. The table of
resources also feeds discovery, so a dynamic client sees the same set.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    subresources: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural


RESOURCES = [
    Resource("", "v1", "namespaces", "Namespace", namespaced=False, subresources=("status",)),
    Resource("", "v1", "pods", "Pod", subresources=("status", "log")),
    Resource("", "v1", "events", "Event"),
    Resource("", "v1", "secrets", "Secret"),
    Resource("", "v1", "configmaps", "ConfigMap"),
    Resource("", "v1", "services", "Service", subresources=("status",)),
    Resource("apps", "v1", "deployments", "Deployment", subresources=("status",)),
    Resource("apps", "v1", "statefulsets", "StatefulSet", subresources=("status",)),
    Resource("apps", "v1", "daemonsets", "DaemonSet", subresources=("status",)),
    Resource("networking.k8s.io", "v1", "ingresses", "Ingress", subresources=("status",)),
]
BY_PATH = {(r.group, r.version, r.plural): r for r in RESOURCES}
BY_KEY = {r.key: r for r in RESOURCES}


@dataclass(frozen=True)
class Route:
    resource: Resource | None       # None: a discovery path or an unknown resource
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None
    discovery: str | None = None    # "version", "api", "apis", "group/version"
    unknown: bool = False


def parse(path: str) -> Route:
    parts = [p for p in path.split("/") if p]
    if parts == ["version"]:
        return Route(None, discovery="version")
    if parts in (["api"], ["apis"]):
        return Route(None, discovery=parts[0])
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return Route(None, unknown=True)
    if not rest:
        return Route(None, discovery=f"{group}/{version}")
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    resource = BY_PATH.get((group, version, rest[0]))
    if resource is None or len(rest) > 3:
        return Route(None, unknown=True)
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if sub is not None and sub not in resource.subresources:
        return Route(None, unknown=True)
    return Route(resource, namespace, name, sub)


def k8s_verb(method: str, route: Route, query: dict) -> str:
    """The Kubernetes verb of a request (what RBAC and audit logs would call it)."""
    if route.resource is None:
        return "get"
    if method == "GET":
        if route.name:
            return "get"
        return "watch" if query.get("watch") in ("true", "1") else "list"
    return {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method, method.lower())


def discovery(kind: str) -> tuple[int, dict]:
    if kind == "version":
        return 200, {"major": "1", "minor": "31", "gitVersion": "v1.31.0-fakekube",
                     "gitCommit": "0" * 40, "gitTreeState": "clean", "buildDate": "2024-08-13T00:00:00Z",
                     "goVersion": "go1.22.5", "compiler": "gc", "platform": "linux/amd64"}
    if kind == "api":
        return 200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
    if kind == "apis":
        groups = sorted({(r.group, r.version) for r in RESOURCES if r.group})
        return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
            {"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v}],
             "preferredVersion": {"groupVersion": f"{g}/{v}", "version": v}} for g, v in groups]}
    group, version = kind.split("/")
    found = [r for r in RESOURCES if (r.group, r.version) == (group, version)]
    if not found:
        return 404, {}
    verbs = ["create", "delete", "get", "list", "patch", "update", "watch"]
    items = []
    for r in found:
        items.append({"name": r.plural, "singularName": r.kind.lower(), "namespaced": r.namespaced,
                      "kind": r.kind, "verbs": verbs})
        items += [{"name": f"{r.plural}/{s}", "singularName": "", "namespaced": r.namespaced,
                   "kind": r.kind, "verbs": ["get", "patch", "update"]} for s in r.subresources]
    return 200, {"kind": "APIResourceList", "apiVersion": "v1",
                 "groupVersion": found[0].api_version, "resources": items}
