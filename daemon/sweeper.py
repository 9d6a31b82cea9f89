"""The sweeper: deletes Millrace's pods and Secrets that no active task owns any more.

Tasks clean up after themselves; this catches what a crash, an outage during cleanup
or a removed run left behind. Every `every` seconds it lists, in each healthy cluster's
namespace, the objects carrying our labels *and this registration's owner label* —
anything else, even labelled `managed-by=millrace`, is never touched. An object whose
task run is finished (or gone, or on another attempt) is deleted once it has been seen
orphaned for `grace` seconds by this daemon's clock, so a task being started or adopted
right now is never swept from under it.
"""
from __future__ import annotations

import datetime as dt
import logging

from kubernetes import client

from daemon.executors.base import KUBERNETES, executor_name
from daemon.kube import names
from daemon.kube.client import ClusterError, call
from models.clusters import Cluster, Health
from models.status import STARTED, Status
from models.tables import TaskRun

log = logging.getLogger("millrace.sweeper")
SWEEP_EVERY_SECONDS = 60.0
GRACE_SECONDS = 300.0
SWEEP_TIMEOUT = (3, 5)        # connect, read (seconds)
_LIVE = (Status.PENDING, *STARTED)      # rows whose pod may still exist


class Sweeper:
    def __init__(self, executors, every: float = SWEEP_EVERY_SECONDS, grace: float = GRACE_SECONDS):
        self.executors, self.every, self.grace = executors, every, grace
        self._last = None
        self._orphans: dict[tuple[str, str, str], dt.datetime] = {}   # (cluster, kind, name) → first seen

    def tick(self, now: dt.datetime) -> None:
        if self._last is not None and 0 <= (now - self._last).total_seconds() < self.every:
            return
        self._last = now
        # read to the end first: no snapshot held open across the API calls below
        for row in list(Cluster.select().where(Cluster.health == Health.HEALTHY)):
            executor = self.executors[executor_name(KUBERNETES, row.name)]
            core = getattr(executor, "core", None)
            if core is None:
                continue
            try:
                self.sweep(core, row, now)
            except ClusterError as exc:
                log.warning("sweeping cluster %s: %s", row.name, exc)

    def sweep(self, core: client.CoreV1Api, row: Cluster, now: dt.datetime) -> list[str]:
        """One pass over one cluster; returns what it deleted ("Pod name", "Secret name")."""
        def ask(fn, *args, **kwargs):
            # Short, like the health check: the sweep runs in the daemon's tick, so a cluster that
            # went silent since its last check may hold the loop only this long (then it is skipped).
            return call(fn, *args, cluster=row.name, sleep=lambda s: None, attempts=1, _request_timeout=SWEEP_TIMEOUT,
                        **kwargs)
        selector = names.selector(row.owner_label)
        found = {"Pod": ask(core.list_namespaced_pod, row.namespace, label_selector=selector).items,
                 "Secret": ask(core.list_namespaced_secret, row.namespace, label_selector=selector).items}
        live = _live_attempts([o.metadata.labels or {} for items in found.values() for o in items])
        deleted, seen = [], set()
        for kind, items in found.items():
            for obj in items:
                labels = obj.metadata.labels or {}
                if labels.get(names.OWNER) != row.owner_label:
                    continue          # belt and braces: the selector already said so
                key = (row.name, kind, obj.metadata.name)
                if (labels.get(names.TASK_RUN), labels.get(names.ATTEMPT)) in live:
                    continue
                seen.add(key)
                first = self._orphans.setdefault(key, now)
                if (now - first).total_seconds() < self.grace:
                    continue
                delete = core.delete_namespaced_pod if kind == "Pod" else core.delete_namespaced_secret
                ask(delete, obj.metadata.name, row.namespace, ok=(404,), grace_period_seconds=0)
                log.info("swept %s %s/%s on cluster %s (its task is no longer active)", kind,
                         row.namespace, obj.metadata.name, row.name)
                deleted.append(f"{kind} {obj.metadata.name}")
        for key in [k for k in self._orphans if k[0] == row.name and k not in seen]:
            del self._orphans[key]     # deleted, or owned again: forget it
        return deleted


def _live_attempts(labels: list[dict]) -> set[tuple[str, str]]:
    """(task run id, attempt) pairs among `labels` whose task run is still pending or active."""
    ids = {int(l[names.TASK_RUN]) for l in labels if l.get(names.TASK_RUN, "").isdigit()}
    if not ids:
        return set()
    rows = TaskRun.select(TaskRun.id, TaskRun.attempt).where(TaskRun.id.in_(ids) & TaskRun.status.in_(_LIVE))
    return {(str(r.id), str(r.attempt)) for r in rows}
