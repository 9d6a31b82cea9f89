"""What the kubelet and scheduler would write into a pod: defaults on create,
container states, status phases and the events that go with them.

Functions here change a pod dict in place; `controls.py` calls them under the
store's lock. States follow the real shapes (`waiting.reason`, `terminated.exitCode`,
`status.reason: Evicted`) so code that reads pods here reads real ones too.
"""
from __future__ import annotations

import itertools

from tests.fakekube import timefmt


def default_pod(pod: dict, now_ns: int) -> None:
    spec = pod.setdefault("spec", {})
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    for c in spec.get("initContainers", []) + spec.get("containers", []):
        c.setdefault("imagePullPolicy", "Always" if c.get("image", "").endswith(":latest") else "IfNotPresent")
        c.setdefault("terminationMessagePath", "/dev/termination-log")
    pod["status"] = {"phase": "Pending", "qosClass": "BestEffort", "conditions": []}


def containers(pod: dict, init: bool = False) -> list[dict]:
    return pod["spec"].get("initContainers" if init else "containers", [])


def set_condition(pod: dict, ctype: str, status: str, now_ns: int, reason=None, message=None) -> None:
    conds = [c for c in pod["status"].get("conditions", []) if c["type"] != ctype]
    cond = {"type": ctype, "status": status, "lastProbeTime": None,
            "lastTransitionTime": timefmt.rfc3339(now_ns)}
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    pod["status"]["conditions"] = conds + [cond]


def container_status(c: dict, state: dict, ready: bool = False) -> dict:
    return {"name": c["name"], "image": c.get("image", ""), "imageID": "", "ready": ready,
            "restartCount": 0, "started": "running" in state, "state": state}


def set_states(pod: dict, init: bool, state_of) -> None:
    """Set every (init) container's state to `state_of(container)`, or leave it if None."""
    field = "initContainerStatuses" if init else "containerStatuses"
    old = {s["name"]: s for s in pod["status"].get(field, [])}
    new = []
    for c in containers(pod, init):
        state = state_of(c)
        if state is None and c["name"] in old:
            new.append(old[c["name"]])
        else:
            new.append(container_status(c, state or {"waiting": {"reason": "ContainerCreating"}},
                                        ready="running" in (state or {})))
    if new:
        pod["status"][field] = new


def waiting(reason: str, message: str | None = None) -> dict:
    w = {"reason": reason}
    if message:
        w["message"] = message
    return {"waiting": w}


def running(now_ns: int) -> dict:
    return {"running": {"startedAt": timefmt.rfc3339(now_ns)}}


def terminated(exit_code: int, reason: str, now_ns: int, started_ns: int | None = None, message=None) -> dict:
    t = {"exitCode": exit_code, "reason": reason, "startedAt": timefmt.rfc3339(started_ns or now_ns),
         "finishedAt": timefmt.rfc3339(now_ns)}
    if message:
        t["message"] = message
    return {"terminated": t}


def referenced_objects(pod: dict) -> list[tuple[str, str, bool]]:
    """(kind, name, via_volume) for every Secret/ConfigMap the pod needs to start."""
    refs = []
    for c in containers(pod, True) + containers(pod):
        for env in c.get("env", []):
            src = env.get("valueFrom") or {}
            if "secretKeyRef" in src and not src["secretKeyRef"].get("optional"):
                refs.append(("secret", src["secretKeyRef"]["name"], False))
            if "configMapKeyRef" in src and not src["configMapKeyRef"].get("optional"):
                refs.append(("configmap", src["configMapKeyRef"]["name"], False))
        for env_from in c.get("envFrom", []):
            for field, kind in (("secretRef", "secret"), ("configMapRef", "configmap")):
                if field in env_from and not env_from[field].get("optional"):
                    refs.append((kind, env_from[field]["name"], False))
    for vol in pod["spec"].get("volumes", []):
        if "secret" in vol and not vol["secret"].get("optional"):
            refs.append(("secret", vol["secret"]["secretName"], True))
        if "configMap" in vol and not vol["configMap"].get("optional"):
            refs.append(("configmap", vol["configMap"]["name"], True))
    return refs


_tiebreak = itertools.count()


def event(pod: dict, etype: str, reason: str, message: str, now_ns: int, component="kubelet") -> dict:
    meta = pod["metadata"]
    stamp = timefmt.rfc3339(now_ns)
    # Real event names are "<pod>.<hex unix nanos>", so listing them sorts by time.
    return {"metadata": {"name": f"{meta['name']}.{now_ns + next(_tiebreak):x}"},
            "involvedObject": {"kind": "Pod", "apiVersion": "v1", "namespace": meta["namespace"],
                               "name": meta["name"], "uid": meta["uid"]},
            "type": etype, "reason": reason, "message": message, "count": 1,
            "firstTimestamp": stamp, "lastTimestamp": stamp, "eventTime": None,
            "source": {"component": component, "host": pod["spec"].get("nodeName")},
            "reportingComponent": component, "reportingInstance": pod["spec"].get("nodeName") or ""}
