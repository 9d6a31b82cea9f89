"""The fake cluster's state: objects, resource versions, a change history for
watches, and container logs — all behind one condition variable.

Every change bumps the resource version and wakes anyone waiting (watches, log
followers), so streams never poll. Errors are raised as `ApiError` and become
`Status` bodies exactly like the real API server's.
"""
from __future__ import annotations

import copy
import re
import threading
import time
import uuid

from tests.fakekube import timefmt
from tests.fakekube.routes import BY_KEY, Resource
from tests.fakekube.selectors import fields_match, labels_match

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
HISTORY_LIMIT = 2000


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details or {}

    def status(self) -> dict:
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason, "details": self.details, "code": self.code}


def not_found(res: Resource, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{res.key} "{name}" not found', {"name": name, "kind": res.plural})


def validate_metadata(res: Resource, obj: dict) -> None:
    meta = obj.get("metadata") or {}
    name = meta.get("name", "")
    if not name or len(name) > 253 or not _NAME.match(name):
        raise ApiError(422, "Invalid", f'{res.kind} "{name}" is invalid: metadata.name: Invalid value: '
                       f'"{name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric '
                       "characters, '-' or '.'", {"name": name, "kind": res.kind})
    for key, value in (meta.get("labels") or {}).items():
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            raise ApiError(422, "Invalid", f'{res.kind} "{name}" is invalid: metadata.labels: Invalid value: '
                           f'"{value}": a valid label must be an empty string or consist of alphanumeric '
                           "characters, '-', '_' or '.' (at most 63)", {"name": name, "kind": res.kind})


class Store:
    def __init__(self, clock=time.time):
        self.clock = clock
        self.cond = threading.Condition(threading.RLock())
        self.objects: dict[tuple[str, str, str], dict] = {}   # (resource key, namespace, name)
        self.rv = 0
        self.history: list[tuple[int, str, str, dict]] = []   # (rv, ADDED|MODIFIED|DELETED, key, obj)
        self.logs: dict[tuple[str, str, str], list[tuple[int, str]]] = {}
        self.stopping = False

    def now_ns(self) -> int:
        return timefmt.to_ns(self.clock())

    def _record(self, kind: str, res: Resource, obj: dict) -> None:
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        self.history.append((self.rv, kind, res.key, copy.deepcopy(obj)))
        del self.history[:-HISTORY_LIMIT]
        self.cond.notify_all()

    def _require_namespace(self, res: Resource, ns: str | None) -> None:
        if res.namespaced and ("namespaces", "", ns) not in self.objects:
            raise ApiError(404, "NotFound", f'namespaces "{ns}" not found', {"name": ns, "kind": "namespaces"})

    def create(self, res: Resource, ns: str | None, obj: dict) -> dict:
        with self.cond:
            obj = copy.deepcopy(obj)
            meta = obj.setdefault("metadata", {})
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
            validate_metadata(res, obj)
            self._require_namespace(res, ns)
            key = (res.key, ns or "", meta["name"])
            if key in self.objects:
                raise ApiError(409, "AlreadyExists", f'{res.key} "{meta["name"]}" already exists',
                               {"name": meta["name"], "kind": res.plural})
            obj["apiVersion"], obj["kind"] = res.api_version, res.kind
            if res.namespaced:
                meta["namespace"] = ns
            meta.update(uid=str(uuid.uuid4()), creationTimestamp=timefmt.rfc3339(self.now_ns()), generation=1)
            self.objects[key] = obj
            self._record("ADDED", res, obj)
            return copy.deepcopy(obj)

    def get(self, res: Resource, ns: str | None, name: str) -> dict:
        with self.cond:
            obj = self.objects.get((res.key, ns or "", name))
            if obj is None:
                raise not_found(res, name)
            return copy.deepcopy(obj)

    def list(self, res: Resource, ns: str | None, labels: str | None = None, fields: str | None = None) -> list[dict]:
        with self.cond:
            found = [o for (k, n, _), o in sorted(self.objects.items())
                     if k == res.key and (ns is None or n == ns)
                     and labels_match(labels, o["metadata"].get("labels")) and fields_match(fields, o)]
            return copy.deepcopy(found)

    def mutate(self, res: Resource, ns: str | None, name: str, change) -> dict:
        """Apply `change(obj)` in place under the lock and record a MODIFIED event."""
        with self.cond:
            obj = self.objects.get((res.key, ns or "", name))
            if obj is None:
                raise not_found(res, name)
            before = copy.deepcopy(obj.get("spec"))
            change(obj)
            if obj.get("spec") != before:
                obj["metadata"]["generation"] = obj["metadata"].get("generation", 1) + 1
            self._record("MODIFIED", res, obj)
            return copy.deepcopy(obj)

    def delete(self, res: Resource, ns: str | None, name: str) -> dict:
        with self.cond:
            obj = self.objects.pop((res.key, ns or "", name), None)
            if obj is None:
                raise not_found(res, name)
            self._record("DELETED", res, obj)
            if res.key == "pods":
                for key in [k for k in self.logs if k[:2] == (ns, name)]:
                    del self.logs[key]
            if res.key == "namespaces":
                # The real namespace controller finalizes asynchronously; at once is close enough.
                for key in [k for k in self.objects if k[1] == name]:
                    self.delete(BY_KEY[key[0]], name, key[2])
            return copy.deepcopy(obj)

    def changes_after(self, rv: int) -> list[tuple[int, str, str, dict]]:
        with self.cond:
            return [h for h in self.history if h[0] > rv]

    def append_log(self, ns: str, pod: str, container: str, text: str, ts_ns: int | None = None) -> None:
        with self.cond:
            self.logs.setdefault((ns, pod, container), []).append((ts_ns or self.now_ns(), text))
            self.cond.notify_all()

    def log_lines(self, ns: str, pod: str, container: str) -> list[tuple[int, str]]:
        with self.cond:
            return list(self.logs.get((ns, pod, container), []))
