"""The daemon's executors by name: "local", and one Kubernetes executor per registered
cluster ("kubernetes:<cluster>"), built on first use from the cluster's stored row.

`executors[name]` returns the executor, building a cluster's on its first use: that
reads the cluster's row from the database and makes an API client from its sealed
kubeconfig (`build()`, the one place this happens). `get(name)` only returns one already
built. A task row stores the executor's name, so after a restart its cluster's executor
is built again and the pod adopted. A name whose cluster was removed, or whose
kubeconfig cannot be used, gets an executor that fails its tasks with that reason
instead of raising inside the tick. `refresh()` (called after each round of health
checks) drops executors whose cluster changed or vanished, so new credentials take effect.
"""
from __future__ import annotations

import logging

from daemon import reasons
from daemon.executors.base import KUBERNETES, Executor, Poll, PollState, cluster_of, executor_name
from daemon.executors.kubernetes.executor import KubernetesExecutor
from daemon.executors.kubernetes.options import KubeOptions
from daemon.kube.client import api_client
from models.clusters import Cluster
from models.i18n import N_

log = logging.getLogger("millrace.kube")


class Unusable(Executor):
    """Stands in for a cluster that is gone or cannot be used: its tasks fail with the reason."""
    name = "unusable"

    def __init__(self, reason: str):
        self.reason = reason

    def start(self, launch) -> dict:
        return {"error": self.reason}

    def poll(self, handle: dict) -> Poll:
        return Poll(PollState.FAILED, reason=handle.get("error") or self.reason)

    def read_output(self, handle: dict, cursor, safe_cut=None):
        return (
            (b"", cursor) if cursor else (f"[Error] {handle.get('error') or self.reason}\n".encode(), {"error": True})
        )

    def read_outputs_file(self, handle: dict) -> str:
        return ""

    def stop(self, handle: dict, force: bool = False) -> None:
        pass

    def cleanup(self, handle: dict) -> None:
        pass


def _fingerprint(row) -> tuple:
    return (row.id, row.kubeconfig_sealed, row.context, row.in_cluster, row.namespace, row.owner_label)


class Executors:
    """Executors by name: the fixed ones given (`base`: "local"), and the clusters' built on use."""

    def __init__(self, base: dict[str, Executor], options: KubeOptions | None = None):
        self.options = options or KubeOptions()
        self._executors: dict[str, Executor] = dict(base)
        self._built: dict[str, tuple | None] = {}     # name → the cluster row's fingerprint when built

    def __getitem__(self, name: str) -> Executor:
        found = self._executors.get(name)
        return found if found is not None else self.build(name)

    def get(self, name: str, default=None) -> Executor | None:
        """The executor if it exists already; never builds one."""
        return self._executors.get(name, default)

    def build(self, name: str) -> Executor:
        """Build a cluster's executor from its row (a database read and an API client)."""
        if not name.startswith(f"{KUBERNETES}:"):
            raise KeyError(name)
        cluster = cluster_of(name)
        row = Cluster.get_or_none(Cluster.name == cluster)
        if row is None:
            executor = Unusable(reasons.text(N_("cluster '{cluster}' is not registered (removed?)", cluster=cluster)))
        else:
            try:
                executor = KubernetesExecutor(api_client(row), row.namespace, row.name, row.owner_label, self.options)
            except Exception as exc:  # noqa: BLE001 — a kubeconfig the client cannot load
                log.warning("cluster %s cannot be used: %s", cluster, exc)
                executor = Unusable(reasons.text(N_("cluster '{cluster}' cannot be used: {error}", cluster=cluster,
                                                    error=reasons.of_exception(exc))))
        self._executors[name], self._built[name] = executor, _fingerprint(row) if row is not None else None
        return executor

    def refresh(self, rows) -> None:
        now = {executor_name(KUBERNETES, r.name): _fingerprint(r) for r in rows}
        for name in [k for k in self._built if now.get(k) != self._built[k]]:
            executor = self._executors.pop(name, None)
            del self._built[name]
            close = getattr(executor, "close", None)
            if close is not None:
                close()

    def close(self) -> None:
        self.refresh([])
