"""Per-kind defaulting the API server and controllers do when objects are written:
pod status, Secret `stringData` folded into base64 `data`, Service cluster IPs,
and rollout status for Deployments/StatefulSets/DaemonSets.

Workloads report a finished rollout at once when the fake's `auto_rollout` is on;
otherwise they stay unready until a test calls `set_rollout`.
"""
from __future__ import annotations

import base64
import itertools

from tests.fakekube import pods, timefmt
from tests.fakekube.store import ApiError

_ips = itertools.count(10)
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet"}


def on_write(obj: dict, now_ns: int, auto_rollout: bool, created: bool) -> None:
    kind = obj.get("kind")
    if kind == "Pod" and created:
        pods.default_pod(obj, now_ns)
    elif kind == "Secret":
        fold_string_data(obj)
    elif kind == "Service":
        spec = obj.setdefault("spec", {})
        spec.setdefault("type", "ClusterIP")
        if spec["type"] != "ExternalName":
            spec.setdefault("clusterIP", f"10.96.0.{next(_ips) % 250 + 2}")
        for port in spec.get("ports", []):
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
    elif kind in WORKLOADS:
        obj["status"] = rollout_status(obj, complete=auto_rollout, now_ns=now_ns)


def fold_string_data(secret: dict) -> None:
    data = secret.setdefault("data", {}) or {}
    for key, value in (secret.pop("stringData", None) or {}).items():
        data[key] = base64.b64encode(value.encode()).decode()
    for key, value in data.items():
        try:
            base64.b64decode(value, validate=True)
        except Exception:
            raise ApiError(400, "BadRequest", f"illegal base64 data in Secret key {key!r}") from None
    secret["data"] = data


def rollout_status(obj: dict, complete: bool, now_ns: int, **fields) -> dict:
    """Status of a workload whose rollout is complete or still waiting for all replicas."""
    replicas = (obj.get("spec") or {}).get("replicas", 1)
    ready = replicas if complete else 0
    stamp = timefmt.rfc3339(now_ns)
    status = {"observedGeneration": obj["metadata"].get("generation", 1), "replicas": replicas}
    if obj["kind"] == "DaemonSet":
        status.update(desiredNumberScheduled=replicas, currentNumberScheduled=replicas,
                      updatedNumberScheduled=ready, numberReady=ready, numberAvailable=ready)
    else:
        status.update(updatedReplicas=ready, readyReplicas=ready, availableReplicas=ready,
                      unavailableReplicas=replicas - ready)
    if obj["kind"] == "StatefulSet":
        status.update(currentReplicas=ready, currentRevision="r1", updateRevision="r1")
    if obj["kind"] == "Deployment":
        status["conditions"] = [
            {"type": "Available", "status": "True" if complete else "False",
             "reason": "MinimumReplicasAvailable" if complete else "MinimumReplicasUnavailable",
             "message": "Deployment has minimum availability." if complete
             else "Deployment does not have minimum availability.",
             "lastUpdateTime": stamp, "lastTransitionTime": stamp},
            {"type": "Progressing", "status": "True",
             "reason": "NewReplicaSetAvailable" if complete else "ReplicaSetUpdated",
             "message": f'ReplicaSet "{obj["metadata"]["name"]}-7d4b9c8f5" has '
             + ("successfully progressed." if complete else "is progressing."),
             "lastUpdateTime": stamp, "lastTransitionTime": stamp}]
    for key, value in fields.items():
        if value is None:
            status.pop(key, None)
        else:
            status[key] = value
    return status


def merge(base, patch):
    """JSON merge patch (RFC 7386): dicts merge, null deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return patch
    out = dict(base) if isinstance(base, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge(out.get(key), value)
    return out
