"""`FakeKube`: the fake API server's lifecycle, auth, faults and request log.

It listens on 127.0.0.1 (port 0 first, the same port after a restart) in a
thread. `stop()` also cuts open keep-alive connections, so the client sees
"connection refused" as with an unreachable cluster. Faults are queued per
method/resource; `after=True` applies the change and still fails the answer,
which is how a create that "failed" can leave a pod behind.

With `tls_dir` it serves https with a self-signed certificate for 127.0.0.1 (`ca_path`,
also named in the kubeconfigs it writes), as the in-cluster loader requires.
`blackhole()` makes it accept connections and read requests but never answer, the way
a cluster that silently drops packets looks to a client: only its timeouts end the call.
"""
from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import ThreadingHTTPServer

import yaml

from tests.fakekube.controls import Controls
from tests.fakekube.handler import Handler, Recorded
from tests.fakekube.routes import BY_KEY
from tests.fakekube.store import Store
from tests.fakekube.tls import self_signed, server_context


@dataclass
class Fault:
    method: str | None
    resource: str | None
    status: int | None          # None: drop the connection without an answer
    times: int
    after: bool
    message: str

    def matches(self, rec: Recorded) -> bool:
        return self.method in (None, rec.method) and self.resource in (None, rec.resource)


class FakeKube(Controls):
    def __init__(self, token: str = "fake-token", clock=time.time, auto_rollout: bool = True, tls_dir=None):
        self.token = token
        self.ca_path = self._key_path = None
        if tls_dir is not None:
            self.ca_path, self._key_path = self_signed(tls_dir)
        self._answering = threading.Event()
        self._answering.set()
        self.store = Store(clock)
        self.auto_rollout = auto_rollout
        self.ignores_sigterm: set[str] = set()
        self.deletions: list[tuple[str, str, int | None]] = []   # (kind, name, gracePeriodSeconds)
        self.requests: list[Recorded] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._httpd = None
        self.port = 0
        for ns in ("default", "kube-system"):
            self.store.create(BY_KEY["namespaces"], None, {"metadata": {"name": ns}, "status": {"phase": "Active"}})

    @property
    def url(self) -> str:
        return f"{'https' if self.ca_path else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> "FakeKube":
        self.store.stopping = False
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        self._httpd.fake = self
        if self.ca_path:
            # The handshake happens on the handler's first read (its own thread), never in accept().
            self._httpd.socket = server_context(self.ca_path, self._key_path).wrap_socket(
                self._httpd.socket, server_side=True, do_handshake_on_connect=False)
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         name="fakekube", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening and cut every open connection: the cluster is now unreachable."""
        if self._httpd is None:
            return
        with self.store.cond:
            self.store.stopping = True
            self.store.cond.notify_all()
        self._answering.set()              # requests held by a blackhole end (cut below)
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd = None
        for conn in list(self._connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def restart(self) -> None:
        self.stop()
        self.start()

    def kubeconfig(self, path, token: str | None = None, namespace: str = "default", context: str = "fake") -> str:
        """Write a kubeconfig for this server (optionally with another token) and return its path."""
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": context,
            "clusters": [{"name": "fake", "cluster": {"server": self.url, **(
                {"certificate-authority": str(self.ca_path)} if self.ca_path else {})}}],
            "users": [{"name": "fake-user", "user": {"token": token or self.token}}],
            "contexts": [{"name": context, "context": {"cluster": "fake", "user": "fake-user",
                                                        "namespace": namespace}}],
        }
        with open(path, "w") as fh:
            yaml.safe_dump(config, fh)
        return str(path)

    def blackhole(self, on: bool = True) -> None:
        """Accept and read requests but hold every answer (on=False: answer them again)."""
        if on:
            self._answering.clear()
        else:
            self._answering.set()

    def revoke_token(self) -> None:
        """Credentials the client holds stop working: every request gets 401."""
        self.token = "revoked-" + self.token

    def fail_next(self, method: str | None = None, resource: str | None = None, status: int | None = 500,
                  times: int = 1, after: bool = False, message: str = "fakekube: injected failure") -> None:
        """Fail the next `times` matching requests, e.g. fail_next("POST", "pods").
        status=None drops the connection; after=True makes the change before failing."""
        with self._lock:
            self._faults.append(Fault(method, resource, status, times, after, message))

    def _take_fault(self, rec: Recorded) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(rec):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _record(self, rec: Recorded) -> None:
        with self._lock:
            self.requests.append(rec)

    def count(self, method=None, verb=None, resource=None, name=None, path=None) -> int:
        """How many requests matched every given attribute."""
        with self._lock:
            return sum(1 for r in self.requests if method in (None, r.method) and verb in (None, r.verb)
                       and resource in (None, r.resource) and name in (None, r.name) and path in (None, r.path))

    def counts(self) -> Counter:
        """Requests per (method, path)."""
        with self._lock:
            return Counter((r.method, r.path) for r in self.requests)
