"""Calling the Kubernetes API: retry what is transient, name what is not.

Only transient failures (5xx, 429, connection refused/reset, timeouts) are retried,
with exponential backoff through an injected `sleep`. Everything else becomes a
`ClusterError` whose message is what the run page shows: "cluster 'X' unreachable",
"cluster 'X' refused the credentials", "namespace 'N' missing on cluster 'X'", …
"""
from __future__ import annotations

import json

import urllib3
from kubernetes.client.rest import ApiException

TRANSIENT_STATUS = {429, 500, 502, 503, 504}


class ClusterError(Exception):
    def __init__(self, message: str, transient: bool = False, status: int | None = None):
        super().__init__(message)
        self.transient, self.status = transient, status


def api_message(exc: ApiException) -> str:
    try:
        return json.loads(exc.body)["message"]
    except (TypeError, ValueError, KeyError):
        return exc.reason or f"HTTP {exc.status}"


def is_transient(exc: Exception) -> bool:
    if isinstance(exc, ApiException):
        return exc.status in TRANSIENT_STATUS or exc.status == 0
    return isinstance(exc, (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError))


def describe(exc: Exception, cluster: str) -> ClusterError:
    if not isinstance(exc, ApiException) or exc.status == 0:
        return ClusterError(f"cluster '{cluster}' unreachable", transient=True)
    message = api_message(exc)
    if exc.status == 401:
        return ClusterError(f"cluster '{cluster}' refused the credentials", status=401)
    if exc.status == 403:
        return ClusterError(f"cluster '{cluster}' refused the request: {message}", status=403)
    if exc.status in TRANSIENT_STATUS:
        return ClusterError(f"cluster '{cluster}' is failing: {message}", transient=True, status=exc.status)
    return ClusterError(f"cluster '{cluster}': {message}", status=exc.status)


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
