"""The two long-lived responses: watches and pod logs.

Both wait on the store's condition variable instead of polling, end at
`timeoutSeconds` (watch) or when the container terminates (log follow), and stop
at once when the fake server is stopped. Logs are `text/plain`, with an RFC 3339
nanosecond timestamp per line when asked; `sinceTime` is truncated to whole
seconds, as the real API server does when it passes it to the kubelet.
"""
from __future__ import annotations

import json
import time

from tests.fakekube import timefmt
from tests.fakekube.routes import BY_KEY
from tests.fakekube.selectors import fields_match, labels_match
from tests.fakekube.store import ApiError

PODS = BY_KEY["pods"]


def _reply(**kw):
    from tests.fakekube.api import Reply  # late import: api imports this module
    return Reply(**kw)


def watch(fake, res, ns, query):
    store = fake.store
    deadline = time.monotonic() + float(query.get("timeoutSeconds") or 1800)
    labels, fields = query.get("labelSelector"), query.get("fieldSelector")

    def wanted(key, obj):
        return (key == res.key and (ns is None or obj["metadata"].get("namespace") == ns)
                and labels_match(labels, obj["metadata"].get("labels")) and fields_match(fields, obj))

    def events():
        since = query.get("resourceVersion")
        with store.cond:
            rv = store.rv
            initial = store.list(res, ns, labels, fields) if since in (None, "", "0") else []
            if since not in (None, "", "0"):
                rv = int(since)
                if store.history and rv < store.history[0][0] - 1:
                    gone = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 410,
                            "reason": "Expired", "message": f"too old resource version: {rv}"}
                    yield (json.dumps({"type": "ERROR", "object": gone}) + "\n").encode()
                    return
        for obj in initial:
            yield (json.dumps({"type": "ADDED", "object": obj}) + "\n").encode()
        while True:
            with store.cond:
                store.cond.wait_for(lambda: store.stopping or store.rv > rv,
                                    timeout=max(0.0, deadline - time.monotonic()))
                if store.stopping:
                    return
                changes = store.changes_after(rv)
                rv = store.rv
            for _, kind, key, obj in changes:
                if wanted(key, obj):
                    yield (json.dumps({"type": kind, "object": obj}) + "\n").encode()
            if time.monotonic() >= deadline:
                return

    return _reply(stream=events())


def _container_state(pod: dict, name: str) -> dict:
    for field in ("initContainerStatuses", "containerStatuses"):
        for status in pod["status"].get(field, []):
            if status["name"] == name:
                return status.get("state") or {}
    return {}


def _check_started(pod: dict, container: str) -> None:
    state = _container_state(pod, container)
    if "running" not in state and "terminated" not in state:
        reason = (state.get("waiting") or {}).get("reason")
        if reason is None:
            init_done = all("terminated" in _container_state(pod, c["name"])
                            for c in pod["spec"].get("initContainers", []))
            reason = "ContainerCreating" if init_done else "PodInitializing"
        raise ApiError(400, "BadRequest", f'container "{container}" in pod "{pod["metadata"]["name"]}" '
                       f"is waiting to start: {reason}")


def pod_log(fake, ns, name, query):
    store = fake.store
    pod = store.get(PODS, ns, name)
    names = [c["name"] for c in pod["spec"].get("initContainers", []) + pod["spec"]["containers"]]
    container = query.get("container") or pod["spec"]["containers"][0]["name"]
    if container not in names:
        raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {name}")
    if query.get("previous") == "true":
        raise ApiError(400, "BadRequest", f'previous terminated container "{container}" in pod "{name}" not found')
    _check_started(pod, container)
    since_ns = 0
    if query.get("sinceTime"):
        since_ns = timefmt.parse(query["sinceTime"]) // 1_000_000_000 * 1_000_000_000
    elif query.get("sinceSeconds"):
        since_ns = store.now_ns() - int(query["sinceSeconds"]) * 1_000_000_000
    stamps = query.get("timestamps") == "true"

    def render(lines):
        return "".join(f"{timefmt.rfc3339nano(ts)} {text}\n" if stamps else f"{text}\n"
                       for ts, text in lines if ts >= since_ns)

    lines = store.log_lines(ns, name, container)
    seen_at_start = len(lines)
    if query.get("tailLines") is not None:
        lines = lines[len(lines) - min(len(lines), int(query["tailLines"])):]
    if query.get("follow") != "true":
        text = render(lines)
        if query.get("limitBytes"):
            text = text.encode()[: int(query["limitBytes"])].decode(errors="ignore")
        return _reply(body=text, content_type="text/plain")

    def follow():
        seen = seen_at_start
        yield render(lines).encode()
        while True:
            with store.cond:
                store.cond.wait_for(lambda: store.stopping or len(store.logs.get((ns, name, container), [])) > seen
                                    or _ended(store, ns, name, container), timeout=5)
                if store.stopping:
                    return
                new = store.log_lines(ns, name, container)[seen:]
                seen += len(new)
                ended = _ended(store, ns, name, container)
            if new:
                yield render(new).encode()
            if ended and not new:
                return

    return _reply(stream=follow(), content_type="text/plain")


def _ended(store, ns, name, container) -> bool:
    pod = store.objects.get(("pods", ns, name))
    return pod is None or "terminated" in _container_state(pod, container)
