"""The daemon's upkeep of registered clusters: health checks, and the sweeper's turn.

`check()` asks the API server for its version and looks at the namespace (creating it
the first time) and records what it found: healthy, unreachable, refused (401/403),
namespace missing. `Upkeep.tick(now)` runs those checks at a slow rate (at once for a
cluster just added from the dashboard) and the sweeper (daemon.sweeper); the daemon
calls it every tick. Every request has a short timeout, and in the daemon
(`background=True`) the checks run in a thread of their own, one pass at a time per kind
(new clusters, all clusters), so a cluster that drops packets costs the daemon's loop
nothing. Tests leave `background` off and get every check done by the time `tick` returns.

The Kubernetes client loads its classes on first use (daemon.kube.client), which is
slow: the daemon's Upkeep warms the client in a thread of its own (`warm_client()`) at
startup when a cluster is registered, or when it first sees one, and holds the sweeper
(which uses the client inside the tick) until that is done.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import threading

from kubernetes import client

from daemon import reasons
from daemon.kube.client import ClusterError, api_client, call, client_warm, warm_client
from models import clusters
from models.clusters import Cluster, Health
from models.db import database, utcnow, write_transaction
from models.i18n import N_

log = logging.getLogger("millrace.clusters")
CHECK_TIMEOUT = (3, 5)
HEALTH_EVERY_SECONDS = 30.0
NEW_EVERY_SECONDS = 1.0


def _short(exc: Exception) -> str:
    found = re.search(r"\[Errno -?\d+\] [^'\")]+|timed out|Name or service not known", str(exc))
    return found.group(0) if found else type(exc).__name__


def probe(api: client.ApiClient, name: str, namespace: str, create_namespace: bool) -> dict:
    """What the cluster answers now: {health, health_message, version?, namespace_created?}."""
    def ask(fn, *args, **kwargs):
        return call(fn, *args, cluster=name, sleep=lambda s: None, attempts=1, _request_timeout=CHECK_TIMEOUT, **kwargs)
    core = client.CoreV1Api(api)
    try:
        version = ask(client.VersionApi(api).get_code).git_version
        found = ask(core.read_namespace, namespace, ok=(404,))
        created = False
        if getattr(found, "status", None) == 404:
            if not create_namespace:
                return {"health": Health.NAMESPACE_MISSING, "version": version,
                        "health_message": reasons.text(N_(
                            "namespace {namespace} is missing on cluster '{name}' (deleted?); `python run.py "
                            "cluster check {name}` creates it again", namespace=namespace, name=name))}
            ask(core.create_namespace, {"metadata": {"name": namespace, "labels": {
                "app.kubernetes.io/managed-by": "millrace"}}}, ok=(409,))
            created = True
    except ClusterError as exc:
        cause = exc.__cause__
        if exc.status == 401:
            return {
                "health": Health.REFUSED,
                "health_message": reasons.text(N_("cluster '{name}' refused the credentials (401 Unauthorized)",
                                                  name=name)),
            }
        if exc.status == 403:
            return {"health": Health.REFUSED, "health_message": reasons.as_reason(exc)}
        if exc.transient and cause is not None and not getattr(cause, "status", 0):
            return {"health": Health.UNREACHABLE, "health_message": reasons.text(N_(
                "cluster '{name}' unreachable: {cause}", name=name, cause=_short(cause)))}
        return {"health": Health.UNREACHABLE if exc.transient else Health.ERROR,
                "health_message": reasons.as_reason(exc)}
    healthy = (N_("API server {version}; namespace {namespace} created", version=version, namespace=namespace)
               if created else N_("API server {version}; namespace {namespace} ready", version=version,
                                  namespace=namespace))
    return {"health": Health.HEALTHY, "version": version, "namespace_created": created,
            "health_message": reasons.text(healthy)}


def check(row: Cluster, now: dt.datetime | None = None, create_namespace: bool | None = None) -> dict:
    """Check one registered cluster and record what was found (creating its namespace the
    first time, or when asked). Returns the facts."""
    now = now or utcnow()
    if create_namespace is None:
        create_namespace = row.namespace_created_at is None
    try:
        api = api_client(row)
    except Exception as exc:  # noqa: BLE001 — a kubeconfig the client cannot use, an absent service account
        facts = {"health": Health.ERROR, "health_message": reasons.text(N_(
            "cluster '{cluster}' cannot be used: {error}", cluster=row.name, error=reasons.of_exception(exc)))}
    else:
        try:
            facts = probe(api, row.name, row.namespace, create_namespace)
        finally:
            api.close()
    fields = {"version": facts["version"]} if facts.get("version") else {}
    if facts.pop("namespace_created", False) or (
        facts["health"] == Health.HEALTHY and row.namespace_created_at is None
    ):
        fields["namespace_created_at"] = now
    with write_transaction():
        clusters.record_health(row.id, facts["health"], facts["health_message"], now, **fields)
    return facts


class Upkeep:
    """Health checks and the sweeper, each at its own slow rate, from the daemon's tick.

    With `background=True` the health checks of a tick run in a thread ("new" for clusters
    still being checked, "all" for the periodic pass); a pass still running when the next
    is due is not doubled, the next one simply waits for its turn. The thread has its own
    database connection (peewee's per thread) and closes it when done.
    """

    def __init__(self, executors, sweeper=None, health_every: float = HEALTH_EVERY_SECONDS,
                 background: bool = False):
        self.executors, self.sweeper, self.health_every = executors, sweeper, health_every
        self.background = background
        self._checked_all = self._looked_new = None
        self._threads: dict[str, threading.Thread] = {}
        if background:
            try:
                registered = Cluster.select().exists()
            except Exception:  # noqa: BLE001 — no database yet: the first tick that sees a cluster warms
                registered = False
            if registered:
                warm_client()

    def tick(self, now: dt.datetime) -> None:
        if self._due(self._looked_new, now, NEW_EVERY_SECONDS):
            self._looked_new = now
            fresh = list(Cluster.select().where(Cluster.health == Health.CHECKING))
            if fresh:
                self._warm()
                self._checks("new", fresh, now)
        if self._due(self._checked_all, now, self.health_every):
            self._checked_all = now
            rows = clusters.all_clusters()
            if rows:
                self._warm()
            self._checks("all", rows, now)
            refresh = getattr(self.executors, "refresh", None)
            if refresh is not None:
                refresh(rows)
        # The sweeper lists pods inside the tick: in the daemon it waits until the client is
        # loaded (by the warm-up thread, not by this tick); its grace is minutes anyway.
        if self.sweeper is not None and (not self.background or client_warm()):
            self.sweeper.tick(now)

    def _warm(self) -> None:
        if self.background:
            warm_client()

    def checking(self) -> bool:
        """Whether a background pass is still waiting on a cluster."""
        return any(t.is_alive() for t in self._threads.values())

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the background passes (each up to `timeout` s); True when none still runs."""
        for thread in list(self._threads.values()):
            thread.join(timeout)
        return not self.checking()

    def _checks(self, kind: str, rows: list[Cluster], now) -> None:
        if not self.background:
            self._check_rows(rows, now)
            return
        running = self._threads.get(kind)
        if running is not None and running.is_alive():
            return                         # the last pass still waits on a cluster: one at a time
        thread = threading.Thread(target=self._in_thread, args=(rows, now), name=f"cluster-health-{kind}",
                                  daemon=True)
        self._threads[kind] = thread
        thread.start()

    def _in_thread(self, rows: list[Cluster], now) -> None:
        try:
            self._check_rows(rows, now)
        finally:
            database.close()               # this thread's own connection

    @classmethod
    def _check_rows(cls, rows: list[Cluster], now) -> None:
        for row in rows:
            cls._check(row, now)

    @staticmethod
    def _due(last, now, every) -> bool:
        return last is None or now < last or (now - last).total_seconds() >= every

    @staticmethod
    def _check(row: Cluster, now) -> None:
        try:
            facts = check(row, now)
        except Exception:  # noqa: BLE001 — one broken cluster must not stop the others' checks
            log.exception("health check of cluster %s failed", row.name)
            return
        if facts["health"] != row.health:
            log.info("cluster %s: %s (%s)", row.name, facts["health"], facts["health_message"])
