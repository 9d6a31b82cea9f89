"""A live view of one namespace's Millrace pods: a background watch keeps a cache of
them and rings a pipe whenever one changes.

The daemon's tick reads pods from this cache instead of asking the API server every
tick, so an idle running task costs no request for its status, and a pod that ends
wakes the daemon's select() at once. The view answers only while its watch is healthy
(`get` says "unknown" otherwise and the caller reads the pod itself). The thread only
lists, watches and stores: list → watch from that resourceVersion → on 410 Gone, an
error or the end of the stream, watch again or list again (backing off while down).
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import threading

from kubernetes.watch.watch import iter_resp_lines

log = logging.getLogger("millrace.kube")
GONE_REMEMBERED = 5000


class PodView:
    def __init__(self, core, namespace: str, selector: str, *, watch_seconds: int = 120, backoff_max: float = 10.0):
        self.core, self.namespace, self.selector = core, namespace, selector
        self.watch_seconds, self.backoff_max = watch_seconds, backoff_max
        self._lock = threading.Lock()
        self._pods: dict[str, dict] = {}
        self._gone: dict[str, str] = {}          # name → uid of pods seen deleted
        self._synced = False
        self._stop = threading.Event()
        self._response = None
        self._read, self._write = os.pipe()
        for fd in (self._read, self._write):
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
        self._thread = threading.Thread(target=self._run, name=f"watch-{namespace}", daemon=True)
        self._thread.start()

    # -- what the executor asks -----------------------------------------------------------
    def get(self, name: str) -> tuple[bool, dict | None]:
        """(known, pod): known=False means "ask the API server" (view not synced, or not seen yet)."""
        with self._lock:
            if not self._synced:
                return False, None
            if name in self._pods:
                return True, self._pods[name]
            if name in self._gone:
                return True, None
            return False, None

    def seen(self, pod: dict) -> None:
        """A pod this process just created or read: keep it until the watch reports a newer one."""
        with self._lock:
            name = pod["metadata"]["name"]
            if self._synced and name not in self._pods and name not in self._gone:
                self._pods[name] = pod

    @property
    def synced(self) -> bool:
        return self._synced

    def fileno(self) -> int:
        return self._read

    def drain(self) -> bool:
        """Empty the wake-up pipe; True if anything changed since the last drain."""
        rang = False
        try:
            while os.read(self._read, 512):
                rang = True
        except BlockingIOError:
            pass
        return rang

    def close(self) -> None:
        self._stop.set()
        response = self._response
        if response is not None:
            try:
                response.shutdown()
            except Exception:  # noqa: BLE001 — closing a stream that may already be gone
                pass
        self._thread.join(timeout=5)
        for fd in (self._read, self._write):
            try:
                os.close(fd)
            except OSError:
                pass

    # -- the thread ------------------------------------------------------------------------
    def _ring(self) -> None:
        try:
            os.write(self._write, b"!")
        except (BlockingIOError, OSError):
            pass     # a full pipe is rung enough

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                version = self._list()
                failures = 0
                while not self._stop.is_set() and version is not None:
                    version = self._watch(version)
            except Exception as exc:  # noqa: BLE001 — any failure: unsynced, back off, list again
                with self._lock:
                    self._synced = False
                failures += 1
                log.debug("watch of %s failed (%s); retrying", self.namespace, exc)
                self._stop.wait(min(self.backoff_max, 0.5 * 2 ** min(failures, 5)))

    def _list(self) -> str:
        found = self.core.list_namespaced_pod(self.namespace, label_selector=self.selector,
                                              _preload_content=False, _request_timeout=(5, 30))
        body = json.loads(found.data)
        pods = {p["metadata"]["name"]: p for p in body.get("items") or []}
        with self._lock:
            for name, pod in self._pods.items():
                if name not in pods:
                    self._forget(name, pod)
            self._pods, self._synced = pods, True
        self._ring()
        return body["metadata"]["resourceVersion"]

    def _forget(self, name: str, pod: dict) -> None:
        self._gone[name] = pod["metadata"].get("uid", "")
        while len(self._gone) > GONE_REMEMBERED:
            self._gone.pop(next(iter(self._gone)))

    def _watch(self, version: str) -> str | None:
        """Follow changes from `version`; the version to go on from, or None to list again."""
        self._response = response = self.core.list_namespaced_pod(
            self.namespace, label_selector=self.selector, watch=True, resource_version=version,
            timeout_seconds=self.watch_seconds, allow_watch_bookmarks=True, _preload_content=False,
            _request_timeout=(5, self.watch_seconds + 15))
        try:
            for line in iter_resp_lines(response):
                if not line or self._stop.is_set():
                    continue
                event = json.loads(line)
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    return None        # 410 Gone (too old) and the like: list again
                version = obj.get("metadata", {}).get("resourceVersion", version)
                if kind == "BOOKMARK":
                    continue
                name = obj["metadata"]["name"]
                with self._lock:
                    if kind == "DELETED":
                        self._pods.pop(name, None)
                        self._forget(name, obj)
                    else:
                        self._pods[name] = obj
                        self._gone.pop(name, None)
                self._ring()
        finally:
            self._response = None
            response.release_conn()
        return version
