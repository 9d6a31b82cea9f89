"""Calling a cluster's API: a client from a registered cluster, retries of what is
transient, names for what is not, and warming the client up.

`api_client(cluster)` builds a client from the cluster's sealed kubeconfig (and context)
or the pod's service account. `call()` retries only transient failures (5xx, 429,
connection refused/reset, timeouts), with exponential backoff through an injected
`sleep`; everything else becomes a `ClusterError` whose message is what the run page
shows: "cluster 'X' unreachable", "cluster 'X' refused the credentials", …
`Calls` is `call()` as the daemon's tick makes it for one cluster: every request with a
timeout, and one attempt per call while the cluster is known to be down.

The client imports its API classes (CoreV1Api is one 30,000-line module) and its models
lazily, on first use: about half a second of CPU, several seconds on a loaded machine.
`warm_client()` loads them in a thread of its own, once per process; the daemon's upkeep
starts it when a cluster is registered and holds the sweeper until it is done.
"""
from __future__ import annotations

import json
import logging
import re
import threading

import urllib3
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from daemon.reasons import text
from models.i18n import N_

log = logging.getLogger("millrace.clusters")
TRANSIENT_STATUS = {429, 500, 502, 503, 504}
DOWN_SECONDS = 10
REQUEST_TIMEOUT = (5, 30)      # (connect, read) seconds: an unreachable cluster must never hang the tick

# What the daemon's Kubernetes work uses: the API classes, and the models its answers are
# read into (found from these by their declared field types).
WARM_APIS = ("CoreV1Api", "VersionApi")
WARM_MODELS = ("V1Pod", "V1PodList", "V1Secret", "V1SecretList", "V1Namespace", "CoreV1EventList", "V1Status",
               "V1DeleteOptions", "VersionInfo")
_warm = threading.Event()
_warm_lock = threading.Lock()
_warm_thread: threading.Thread | None = None


class ClusterError(Exception):
    def __init__(self, message: str, transient: bool = False, status: int | None = None):
        super().__init__(message)
        self.transient, self.status = transient, status


def api_client(cluster) -> client.ApiClient:
    """A client for the cluster (a models.clusters row): its sealed kubeconfig (and context),
    or the pod's service account."""
    configuration = client.Configuration()
    if cluster.in_cluster:
        config.load_incluster_config(client_configuration=configuration)
    else:
        config.load_kube_config_from_dict(cluster.kubeconfig(), context=cluster.context or None,
                                          client_configuration=configuration)
    configuration.retries = False     # our calls retry what is transient, with backoff (call())
    return client.ApiClient(configuration)


def api_message(exc: ApiException) -> str:
    try:
        return json.loads(exc.body)["message"]
    except (TypeError, ValueError, KeyError):
        return exc.reason or f"HTTP {exc.status}"


def is_transient(exc: Exception) -> bool:
    if isinstance(exc, ApiException):
        return exc.status in TRANSIENT_STATUS or exc.status == 0
    return isinstance(exc, (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError))


def is_api_error(exc: Exception) -> bool:
    """Whether `exc` is the API's answer or the connection's failure (what `describe` words)."""
    return isinstance(exc, (ApiException, urllib3.exceptions.HTTPError, ConnectionError, TimeoutError))


def describe(exc: Exception, cluster: str) -> ClusterError:
    if not isinstance(exc, ApiException) or exc.status == 0:
        return ClusterError(text(N_("cluster '{cluster}' unreachable", cluster=cluster)), transient=True)
    message = api_message(exc)
    if exc.status == 401:
        return ClusterError(text(N_("cluster '{cluster}' refused the credentials", cluster=cluster)), status=401)
    if exc.status == 403:
        return ClusterError(text(N_("cluster '{cluster}' refused the request: {message}", cluster=cluster,
                                    message=message)), status=403)
    if exc.status in TRANSIENT_STATUS:
        return ClusterError(text(N_("cluster '{cluster}' is failing: {message}", cluster=cluster, message=message)),
                            transient=True, status=exc.status)
    return ClusterError(text(N_("cluster '{cluster}': {message}", cluster=cluster, message=message)),
                        status=exc.status)


def call(fn, *args, cluster: str, sleep, attempts: int = 4, backoff: float = 0.5, ok=(), **kwargs):
    """fn(*args, **kwargs) with retries. ApiExceptions whose status is in `ok` are
    returned (not raised) so callers can treat 404/409 as answers."""
    for attempt in range(attempts):
        try:
            return fn(*args, **kwargs)
        except ApiException as exc:
            if exc.status in ok:
                return exc
            if not is_transient(exc) or attempt == attempts - 1:
                raise describe(exc, cluster) from exc
        except (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError) as exc:
            if attempt == attempts - 1:
                raise describe(exc, cluster) from exc
        sleep(backoff * 2 ** attempt)


class Calls:
    """`call()` for one cluster from the daemon's tick. While the cluster is known to be
    down (DOWN_SECONDS after a transient failure), one attempt per call: backing off on
    every one of fifty running tasks would stall the tick for minutes."""

    def __init__(self, cluster: str, clock, sleep):
        self.cluster, self.clock, self.sleep = cluster, clock, sleep
        self._down_until = float("-inf")

    def __call__(self, fn, *args, **kwargs):
        attempts = 1 if self.clock() < self._down_until else 4
        kwargs.setdefault("_request_timeout", REQUEST_TIMEOUT)
        try:
            return call(fn, *args, cluster=self.cluster, sleep=self.sleep, attempts=attempts, **kwargs)
        except ClusterError as exc:
            if exc.transient:
                self._down_until = self.clock() + DOWN_SECONDS
            raise

    def json(self, fn, *args, **kwargs):
        """The call's answer as the API's own JSON (dict), skipping the client's model classes
        (building and flattening them again costs more CPU than the request); an exception
        whose status is in `ok` is returned as is."""
        got = self(fn, *args, _preload_content=False, **kwargs)
        return got if isinstance(got, Exception) else json.loads(got.data or b"null")


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
