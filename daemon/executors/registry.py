"""The daemon's executors by name: "local", and one Kubernetes executor per registered
cluster ("kubernetes:<cluster>"), built on first use from the cluster's stored kubeconfig.

A task row stores the executor's name, so after a restart its cluster's executor is
built again and the pod adopted. A name whose cluster was removed, or whose kubeconfig
cannot be used, gets an executor that fails its tasks with that reason instead of
raising inside the tick. `refresh()` (called after each round of health checks) drops
executors whose cluster changed or vanished, so new credentials take effect.
"""
from __future__ import annotations

import logging

from daemon.executors.base import Executor, Poll
from daemon.executors.kubernetes.executor import KubernetesExecutor

log = logging.getLogger("millrace.kube")
PREFIX = "kubernetes:"


class Unusable(Executor):
    """Stands in for a cluster that is gone or cannot be used: its tasks fail with the reason."""
    name = "unusable"

    def __init__(self, reason: str):
        self.reason = reason

    def start(self, launch) -> dict:
        return {"error": self.reason}

    def poll(self, handle: dict) -> Poll:
        return Poll("failed", reason=handle.get("error") or self.reason)

    def read_output(self, handle: dict, cursor, safe_cut=None):
        return (b"", cursor) if cursor else (f"[Error] {handle.get('error') or self.reason}\n".encode(), {"error": True})

    def read_outputs_file(self, handle: dict) -> str:
        return ""

    def stop(self, handle: dict, force: bool = False) -> None:
        pass

    def cleanup(self, handle: dict) -> None:
        pass


def _fingerprint(row) -> tuple:
    return (row.id, row.kubeconfig_sealed, row.context, row.in_cluster, row.namespace, row.owner_label)


class Executors(dict):
    def __init__(self, base: dict, **kube_options):
        super().__init__(base)
        self.kube_options = kube_options
        self._built: dict[str, tuple | None] = {}

    def __missing__(self, key: str) -> Executor:
        if not key.startswith(PREFIX):
            raise KeyError(key)
        from daemon.upkeep import api_client
        from models.clusters import Cluster
        name = key[len(PREFIX):]
        row = Cluster.get_or_none(Cluster.name == name)
        if row is None:
            executor = Unusable(f"cluster '{name}' is not registered (removed?)")
        else:
            try:
                executor = KubernetesExecutor(api_client(row), row.namespace, row.name, owner=row.owner_label,
                                              **self.kube_options)
            except Exception as exc:  # noqa: BLE001 — a kubeconfig the client cannot load
                log.warning("cluster %s cannot be used: %s", name, exc)
                executor = Unusable(f"cluster '{name}' cannot be used: {exc}")
        self[key], self._built[key] = executor, _fingerprint(row) if row is not None else None
        return executor

    def refresh(self, rows) -> None:
        now = {f"{PREFIX}{r.name}": _fingerprint(r) for r in rows}
        for key in [k for k in self._built if now.get(k) != self._built[k]]:
            executor = self.pop(key, None)
            del self._built[key]
            close = getattr(executor, "close", None)
            if close is not None:
                close()

    def close(self) -> None:
        self.refresh([])
