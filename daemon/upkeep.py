"""Talking to registered clusters outside of tasks: building an API client from a stored
kubeconfig, checking a cluster's health, and where a pipeline's tasks run.

`check()` asks the API server for its version and looks at the namespace (creating it
the first time) and records what it found: healthy, unreachable, refused (401/403),
namespace missing. `Upkeep.tick(now)` runs those checks at a slow rate (at once for a
cluster just added from the dashboard) and the sweeper; the daemon calls it every tick.
Every request has a short timeout, and in the daemon (`background=True`) the checks run
in a thread of their own, one pass at a time per kind (new clusters, all clusters), so a
cluster that drops packets costs the daemon's loop nothing. Tests leave `background`
off and get every check done by the time `tick` returns.

The Kubernetes client imports its API classes (CoreV1Api is one 30,000-line module) and
its models lazily, on first use: about half a second of CPU, several seconds on a loaded
machine. So the daemon's Upkeep warms the client in a thread of its own (`warm_client()`)
at startup when a cluster is registered, or when it first sees one, and holds the sweeper
(which uses the client inside the tick) until that is done.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import threading

from kubernetes import client, config

from daemon.kube.client import ClusterError, call
from daemon.tasks import TaskPlan, task_environment
from models import clusters
from models.clusters import Cluster
from models.db import database, utcnow, write_transaction
from models.variables import substitute

log = logging.getLogger("millrace.clusters")
CHECK_TIMEOUT = (3, 5)
HEALTH_EVERY_SECONDS = 30.0
NEW_EVERY_SECONDS = 1.0

# What the daemon's Kubernetes work uses: the API classes, and the models its answers are
# read into (found from these by their declared field types).
WARM_APIS = ("CoreV1Api", "VersionApi")
WARM_MODELS = ("V1Pod", "V1PodList", "V1Secret", "V1SecretList", "V1Namespace", "CoreV1EventList", "V1Status",
               "V1DeleteOptions", "VersionInfo")
_warm = threading.Event()
_warm_lock = threading.Lock()
_warm_thread: threading.Thread | None = None


def warm_client() -> threading.Event:
    """Start, once per process, loading the client's API classes and models in a thread;
    returns the event set when that is done (whether it worked or not: a failure here only
    means the first real use pays the cost, and reports its own error)."""
    global _warm_thread
    with _warm_lock:
        if _warm_thread is None:
            _warm_thread = threading.Thread(target=_warm_up, name="kubernetes-client-warm-up", daemon=True)
            _warm_thread.start()
    return _warm


def client_warm() -> bool:
    return _warm.is_set()


def _warm_up() -> None:
    try:
        for name in WARM_APIS:
            getattr(client, name)
        pending, seen = list(WARM_MODELS), set()
        while pending:
            name = pending.pop()
            model = getattr(client, name, None) if name not in seen else None
            seen.add(name)
            for declared in getattr(model, "openapi_types", {}).values():
                pending.extend(re.findall(r"\b[A-Z]\w*", declared))
    except Exception:  # noqa: BLE001 — warming is an optimisation; never let it take anything down
        log.exception("warming the Kubernetes client failed")
    finally:
        _warm.set()


def api_client(cluster: Cluster) -> client.ApiClient:
    """A client for the cluster: its sealed kubeconfig (and context), or the pod's service account."""
    configuration = client.Configuration()
    if cluster.in_cluster:
        config.load_incluster_config(client_configuration=configuration)
    else:
        config.load_kube_config_from_dict(cluster.kubeconfig(), context=cluster.context or None,
                                          client_configuration=configuration)
    configuration.retries = False     # our calls retry what is transient, with backoff (kube_calls)
    return client.ApiClient(configuration)


def placement(spec: dict, task_type: str) -> str:
    """The executor a task runs on: run-script tasks go to the pipeline's cluster (or the
    default one); everything else (checkout, deploy, builds) runs on the daemon's machine."""
    name = spec.get("cluster") or ""
    if task_type != "script" or name == clusters.LOCAL:
        return "local"
    if not name:
        chosen = clusters.default()
        return f"kubernetes:{chosen.name}" if chosen else "local"
    return f"kubernetes:{name}"


def pod_plan(task: dict, values: dict, where: str) -> TaskPlan:
    """A run-script task as a pod runs it: the script as written, in the task's own image."""
    env, secrets = task_environment(task, values, where)
    image = substitute(task["image"], values, f"{where}.image")
    tag = substitute(task.get("tag") or "latest", values, f"{where}.tag")
    return TaskPlan(script=task["script"], env=env, secret_values=secrets, image=f"{image}:{tag}")


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
                return {"health": "namespace missing", "version": version,
                        "health_message": f"namespace {namespace} is missing on cluster '{name}' (deleted?); "
                                          f"`python run.py cluster check {name}` creates it again"}
            ask(core.create_namespace, {"metadata": {"name": namespace, "labels": {
                "app.kubernetes.io/managed-by": "millrace"}}}, ok=(409,))
            created = True
    except ClusterError as exc:
        cause = exc.__cause__
        if exc.status == 401:
            return {"health": "refused", "health_message": f"cluster '{name}' refused the credentials (401 Unauthorized)"}
        if exc.status == 403:
            return {"health": "refused", "health_message": str(exc)}
        if exc.transient and cause is not None and not getattr(cause, "status", 0):
            return {"health": "unreachable", "health_message": f"cluster '{name}' unreachable: {_short(cause)}"}
        return {"health": "unreachable" if exc.transient else "error", "health_message": str(exc)}
    return {"health": "healthy", "version": version, "namespace_created": created,
            "health_message": f"API server {version}; namespace {namespace} "
                              + ("created" if created else "ready")}


def check(row: Cluster, now: dt.datetime | None = None, create_namespace: bool | None = None) -> dict:
    """Check one registered cluster and record what was found (creating its namespace the
    first time, or when asked). Returns the facts."""
    now = now or utcnow()
    if create_namespace is None:
        create_namespace = row.namespace_created_at is None
    try:
        api = api_client(row)
    except Exception as exc:  # noqa: BLE001 — a kubeconfig the client cannot use, an absent service account
        facts = {"health": "error", "health_message": f"cluster '{row.name}' cannot be used: {exc}"}
    else:
        try:
            facts = probe(api, row.name, row.namespace, create_namespace)
        finally:
            api.close()
    fields = {"version": facts["version"]} if facts.get("version") else {}
    if facts.pop("namespace_created", False) or (facts["health"] == "healthy" and row.namespace_created_at is None):
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
            fresh = list(Cluster.select().where(Cluster.health == "checking"))
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
