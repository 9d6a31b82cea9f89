"""The REST verbs: create, get, list, update, patch (merge and server-side apply),
delete — for every resource in `routes.RESOURCES`.

Bodies are parsed as JSON whatever their Content-Type says (kubernetes 37 sends
none), except apply patches, which are YAML. Pod deletion honours the grace
period: a running pod that ignores SIGTERM stays Terminating until forced.
Streams (watch, log) live in `streams.py`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import yaml

from tests.fakekube import objects, routes, streams, timefmt
from tests.fakekube.store import ApiError


@dataclass
class Request:
    method: str
    route: routes.Route
    query: dict
    body: bytes = b""
    content_type: str = ""


@dataclass
class Reply:
    status: int = 200
    body: object = None              # dict → JSON, str → text/plain
    stream: object = None            # iterator of bytes, sent chunked
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)


def _json(req: Request):
    try:
        if "apply-patch+yaml" in req.content_type:
            return yaml.safe_load(req.body.decode() or "null")
        return json.loads(req.body.decode() or "null")
    except (ValueError, yaml.YAMLError) as exc:
        raise ApiError(400, "BadRequest", f"the body of the request could not be decoded: {exc}") from None


def handle(fake, req: Request) -> Reply:
    route = req.route
    if route.discovery:
        status, body = routes.discovery(route.discovery)
        if status == 404:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return Reply(status, body)
    if route.unknown or route.resource is None:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    res, ns, name = route.resource, route.namespace, route.name
    store = fake.store
    if route.subresource == "log":
        return streams.pod_log(fake, ns, name, req.query)
    if req.method == "GET" and name is None:
        if req.query.get("watch") in ("true", "1"):
            return streams.watch(fake, res, ns, req.query)
        items = store.list(res, ns, req.query.get("labelSelector"), req.query.get("fieldSelector"))
        return Reply(200, {"kind": f"{res.kind}List", "apiVersion": res.api_version,
                           "metadata": {"resourceVersion": str(store.rv)}, "items": items})
    if req.method == "GET":
        return Reply(200, store.get(res, ns, name))
    if req.method == "POST" and name is None:
        obj = _json(req) or {}
        obj["apiVersion"], obj["kind"] = res.api_version, res.kind
        objects.on_write(obj, store.now_ns(), fake.auto_rollout, created=True)
        return Reply(201, store.create(res, ns, obj))
    if req.method == "PUT":
        return Reply(200, _update(fake, res, ns, name, _json(req) or {}, route.subresource))
    if req.method == "PATCH":
        if "apply-patch" in req.content_type:
            return _apply(fake, res, ns, name, _json(req) or {}, req.query)
        patch = _json(req)
        if not isinstance(patch, dict):
            raise ApiError(415, "UnsupportedMediaType", "the fake supports merge patches and apply only")
        return Reply(200, _update(fake, res, ns, name, patch, route.subresource, merge=True))
    if req.method == "DELETE" and name:
        return Reply(200, _delete(fake, res, ns, name, req))
    raise ApiError(405, "MethodNotAllowed", f"{req.method} is not supported on this path")


def _update(fake, res, ns, name, body, subresource, merge=False) -> dict:
    def change(obj):
        if subresource == "status":
            obj["status"] = objects.merge(obj.get("status"), body.get("status")) if merge else body.get("status")
            return
        status = obj.get("status")
        new = objects.merge(obj, body) if merge else dict(body)
        new["metadata"] = {**obj["metadata"], **{k: v for k, v in (new.get("metadata") or {}).items()
                                                 if k in ("labels", "annotations", "ownerReferences")}}
        new["apiVersion"], new["kind"] = res.api_version, res.kind
        if status is not None:
            new["status"] = status
        if res.kind == "Secret":
            objects.fold_string_data(new)
        obj.clear()
        obj.update(new)
    return fake.store.mutate(res, ns, name, change)


def _apply(fake, res, ns, name, body, query) -> Reply:
    """Server-side apply, simplified: create, or merge the applied fields over the live object."""
    if not query.get("fieldManager"):
        raise ApiError(400, "BadRequest", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: '
                       "Required value: is required for apply patch")
    if body.get("kind") != res.kind or (body.get("metadata") or {}).get("name") != name:
        raise ApiError(400, "BadRequest", f"apply body must be a {res.kind} named {name!r}, "
                       f"got {body.get('kind')} {(body.get('metadata') or {}).get('name')!r}")
    store, now = fake.store, fake.store.now_ns()
    managed = [{"manager": query["fieldManager"], "operation": "Apply", "apiVersion": res.api_version,
                "time": timefmt.rfc3339(now), "fieldsType": "FieldsV1", "fieldsV1": {}}]
    body.setdefault("metadata", {})["managedFields"] = managed
    try:
        live = store.get(res, ns, name)
    except ApiError as exc:
        if exc.code != 404:
            raise
        objects.on_write(body, now, fake.auto_rollout, created=True)
        return Reply(201, store.create(res, ns, body))
    if _unchanged(live, body):
        return Reply(200, live)       # a no-op apply writes nothing: the resourceVersion stays

    def change(obj):
        status = obj.get("status")
        merged = _defaulted(objects.merge(obj, {k: v for k, v in body.items() if k != "status"}))
        obj.clear()
        obj.update(merged)
        obj["status"] = status
    obj = store.mutate(res, ns, name, change)
    if res.kind in objects.WORKLOADS:
        # A new generation restarts the rollout (or finishes it at once with auto_rollout).
        obj = store.mutate(res, ns, name, lambda o: o.update(
            status=objects.rollout_status(o, complete=fake.auto_rollout, now_ns=now)))
    elif res.kind == "Secret":
        obj = store.mutate(res, ns, name, objects.fold_string_data)
    return Reply(200, obj)


def _unchanged(live: dict, body: dict) -> bool:
    def comparable(obj):
        meta = {k: v for k, v in obj.get("metadata", {}).items() if k not in ("managedFields", "resourceVersion")}
        return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": meta}
    merged = _defaulted(objects.merge(live, {k: v for k, v in body.items() if k != "status"}))
    if live.get("kind") == "Secret" and "stringData" in merged:
        return False
    return comparable(merged) == comparable(live)


def _defaulted(obj: dict) -> dict:
    """What the API server's defaulting makes of an applied Service (lists are replaced here,
    not merged by key as real server-side apply does, so their defaults come back)."""
    if obj.get("kind") == "Service":
        objects.on_write(obj, 0, False, created=False)
    return obj


def _delete(fake, res, ns, name, req) -> dict:
    grace = req.query.get("gracePeriodSeconds")
    try:
        grace = (_json(req) or {}).get("gracePeriodSeconds", grace) if req.body else grace
    except (ApiError, AttributeError):
        pass
    fake.deletions.append((res.kind, name, None if grace is None else int(grace)))
    if res.kind != "Pod":
        return fake.store.delete(res, ns, name)
    pod = fake.store.get(res, ns, name)
    grace = pod["spec"].get("terminationGracePeriodSeconds", 30) if grace is None else int(grace)
    is_running = pod["status"].get("phase") == "Running"
    if grace == 0 or not is_running or name not in fake.ignores_sigterm:
        return fake.store.delete(res, ns, name)
    now = fake.store.now_ns()

    def terminating(obj):
        # Real deletion is two-step: the pod stays, marked, until the kubelet confirms.
        obj["metadata"].setdefault("deletionTimestamp", timefmt.rfc3339(now + grace * 1_000_000_000))
        obj["metadata"]["deletionGracePeriodSeconds"] = grace
    return fake.store.mutate(res, ns, name, terminating)
