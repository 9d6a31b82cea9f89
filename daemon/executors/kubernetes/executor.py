"""Tasks as Kubernetes pods: one Secret and one Pod per task run, found again by name.

`start` creates both (a 409, even after a retried create, means "already made":
adopted, never doubled); `poll` reads the pod — from the namespace's watched view
(`kube_watch.PodView`) when it is live, else from the API at most every
`poll_interval` — and asks `diagnose`; a pod still waiting after the pipeline's
scheduling timeout fails. `stop` deletes with a grace period (then, forced, with
none); `cleanup` deletes pod and Secret. Output reading lives in `kube_output`.
The API client, clocks and sleep are injected; nothing here knows it may talk to a fake.
"""
from __future__ import annotations

import json
import time

from kubernetes import client

from daemon.executors.base import Executor, Launch, Poll
from daemon.executors.diagnose import diagnose
from daemon.executors.kubernetes import spec as kube_spec
from daemon.executors.kubernetes.output import PodOutput
from daemon.kube import logs as kube_logs, names as kube_names
from daemon.kube.client import ClusterError, call
from daemon.kube.watch import PodView
from daemon.tasks import kaniko

DOWN_SECONDS = 10
REQUEST_TIMEOUT = (5, 30)      # (connect, read) seconds: an unreachable cluster must never hang the tick


class KubernetesExecutor(PodOutput, Executor):
    name = "kubernetes"

    def __init__(self, api_client, namespace: str, cluster: str = "default", *, owner: str | None = None,
                 clock=time.monotonic, wall=time.time, sleep=time.sleep, default_image: str = "alpine:3.20",
                 git_image: str = "alpine/git:2.45.2", grace_seconds: int = 30, deadline_seconds: int = 24 * 3600,
                 unreachable_seconds: float = 120, read_interval: float = 1.0, read_interval_max: float = 4.0,
                 poll_interval: float = 2.0, events_interval: float = 5.0, watch: bool = True):
        self.core = client.CoreV1Api(api_client)
        self.namespace, self.cluster, self.owner = namespace, cluster, owner
        self.clock, self.wall, self.sleep = clock, wall, sleep
        self.default_image, self.git_image = default_image, git_image
        self.grace_seconds, self.deadline_seconds = grace_seconds, deadline_seconds
        self.unreachable_seconds = unreachable_seconds
        self.read_interval, self.read_interval_max = read_interval, read_interval_max
        self.poll_interval, self.events_interval = poll_interval, events_interval
        self.view = PodView(self.core, namespace, kube_names.selector(owner)) if watch else None
        # In memory only, and only to save requests: all that matters is in handles and cursors.
        self._polled: dict[str, tuple[dict, list]] = {}    # pod → (pod, events) from the last poll
        self._got: dict[str, tuple[float, dict | None]] = {}   # pod → (when, pod) of the last direct read
        self._events_of: dict[str, tuple[str, float, list]] = {}   # pod → (resourceVersion, when, events)
        self._shape: dict[str, tuple] = {}
        self._last: dict[str, Poll] = {}
        self._quiet: dict[str, tuple[str, float, float]] = {}   # pod → (cursor, when, wait) of the last full read
        self._trailers: dict[str, tuple[str, str]] = {}          # pod → ($MILLRACE_ENV, reason) seen in its log
        self._unreachable_since: dict[str, float] = {}
        self._down_until = float("-inf")

    def close(self) -> None:
        if self.view is not None:
            self.view.close()

    def _call(self, fn, *args, **kwargs):
        # While the cluster is known to be down, one attempt per call: backing off on
        # every one of fifty running tasks would stall the daemon's tick for minutes.
        attempts = 1 if self.clock() < self._down_until else 4
        kwargs.setdefault("_request_timeout", REQUEST_TIMEOUT)
        try:
            return call(fn, *args, cluster=self.cluster, sleep=self.sleep, attempts=attempts, **kwargs)
        except ClusterError as exc:
            if exc.transient:
                self._down_until = self.clock() + DOWN_SECONDS
            raise

    def _json(self, fn, *args, **kwargs):
        """The call's answer as the API's own JSON (dict), skipping the client's model classes
        (building and flattening them again costs more CPU than the request); an exception
        whose status is in `ok` is returned as is."""
        got = self._call(fn, *args, _preload_content=False, **kwargs)
        return got if isinstance(got, Exception) else json.loads(got.data or b"null")

    # -- start -----------------------------------------------------------------------------
    def start(self, launch: Launch) -> dict:
        name = kube_names.object_name(launch.run_id, launch.task_run_id, launch.attempt, launch.task_name)
        labels = kube_names.labels(launch.run_id, launch.task_run_id, launch.attempt,
                                   launch.pipeline_name, launch.task_name, self.owner)
        handle = {"cluster": self.cluster, "namespace": self.namespace, "pod": name, "created": self.wall()}
        if launch.scheduling_timeout_seconds:
            handle["scheduling_timeout"] = launch.scheduling_timeout_seconds
        env = kube_spec.task_env(launch)
        deadline = launch.timeout_seconds
        pod = kube_spec.pod(launch, name, labels, env, image=launch.image or self.default_image,
                            git_image=self.git_image, grace_seconds=self.grace_seconds,
                            deadline_seconds=int(deadline) + 300 if deadline else self.deadline_seconds)
        secret = kube_spec.secret(launch, name, labels, env)
        if launch.task_type == "build_image":      # a kaniko pod; its failures are explained from the log
            kaniko.shape(pod, secret, env)
            handle["explain"] = "kaniko"
        try:
            self._json(self.core.create_namespaced_secret, self.namespace, secret, ok=(409,))
            made = self._json(self.core.create_namespaced_pod, self.namespace, pod, ok=(409,))
            if isinstance(made, Exception):
                made = self._json(self.core.read_namespaced_pod, name, self.namespace)
                theirs = made["metadata"].get("labels") or {}
                if any(theirs.get(k) != labels.get(k) for k in (kube_names.TASK_RUN, kube_names.OWNER)):
                    handle["foreign"] = True   # cleanup must not delete it
                    raise ClusterError(f"a pod named {name} exists and is not this task's")
        except ClusterError as exc:
            handle["error"] = self._namespace_reason(exc)
            return handle
        handle["uid"] = made["metadata"]["uid"]
        if self.view is not None:
            self.view.seen(made)
        return handle

    def _namespace_reason(self, exc: ClusterError) -> str:
        if exc.status == 404 and "namespaces" in str(exc):
            return f"namespace '{self.namespace}' missing on cluster '{self.cluster}'"
        if exc.status == 403 and "exceeded quota" in str(exc):
            return f"pod create refused: {str(exc).split(': ', 1)[-1]}"
        return str(exc)

    # -- poll ------------------------------------------------------------------------------
    def _read_pod(self, handle: dict) -> dict | None:
        name = handle["pod"]
        known, pod = (False, None)
        if self.view is not None and handle["namespace"] == self.namespace:
            known, pod = self.view.get(name)
        if not known:
            last = self._got.get(name)
            if last and self.clock() - last[0] < self.poll_interval:
                pod = last[1]
            else:
                got = self._json(self.core.read_namespaced_pod, name, handle["namespace"], ok=(404,))
                pod = None if isinstance(got, Exception) else got
                self._got[name] = (self.clock(), pod)
        return pod if pod is not None and pod["metadata"].get("uid") == handle.get("uid") else None

    def _events(self, handle: dict) -> list[dict]:
        found = self._json(self.core.list_namespaced_event, handle["namespace"],
                           field_selector=f"involvedObject.name={handle['pod']},involvedObject.uid={handle['uid']}")
        return found.get("items") or []

    def _pending_events(self, handle: dict, pod: dict) -> list[dict]:
        """Events of a pending pod, read again when the pod changed or every `events_interval`."""
        version = pod["metadata"].get("resourceVersion", "")
        cached = self._events_of.get(handle["pod"])
        if cached and cached[0] == version and self.clock() - cached[1] < self.events_interval:
            return cached[2]
        events = self._events(handle)
        self._events_of[handle["pod"]] = (version, self.clock(), events)
        return events

    def poll(self, handle: dict) -> Poll:
        if "error" in handle:
            return Poll("failed", reason=handle["error"])
        name = handle["pod"]
        try:
            pod = self._read_pod(handle)
            if pod is None:
                return Poll("failed", reason=self._lost_reason(handle))
            phase = pod["status"].get("phase", "Pending")
            events = self._pending_events(handle, pod) if phase == "Pending" else []
        except ClusterError as exc:
            return self._unreachable(name, exc)
        self._unreachable_since.pop(name, None)
        self._polled[name] = (pod, events)
        shape = (phase, tuple(tuple(s.get("state") or {}) for s in pod["status"].get("containerStatuses") or []))
        if self._shape.get(name) != shape:
            self._quiet.pop(name, None)   # something changed: the next read must look
        self._shape[name] = shape
        found = diagnose(pod, events)
        if found.verdict == "wait":
            result = self._still_waiting(handle, found.reason)
        elif found.verdict == "fail":
            result = Poll("failed", exit_code=found.exit_code, reason=found.reason)
        else:
            result = Poll("running") if found.exit_code is None else Poll("exited", exit_code=found.exit_code)
        self._last[name] = result
        return result

    def _still_waiting(self, handle: dict, reason: str) -> Poll:
        limit = handle.get("scheduling_timeout")
        if limit and self.wall() - handle.get("created", self.wall()) >= limit:
            minutes = f"{limit / 60:g} minute" + ("" if limit == 60 else "s")
            return Poll("failed", reason=f"scheduling timeout: the pod did not start within {minutes} ({reason})")
        return Poll("waiting", reason=reason)

    def _lost_reason(self, handle: dict) -> str:
        try:
            gone = self._call(self.core.read_namespace, handle["namespace"], ok=(404,))
        except ClusterError as exc:
            return str(exc)
        if getattr(gone, "status", None) == 404:
            return f"namespace '{handle['namespace']}' missing on cluster '{self.cluster}'"
        return "pod lost: it was deleted while the task ran"

    def _unreachable(self, name: str, exc: ClusterError) -> Poll:
        if not exc.transient:
            return Poll("failed", reason=str(exc))
        since = self._unreachable_since.setdefault(name, self.clock())
        if self.clock() - since >= self.unreachable_seconds:
            return Poll("failed", reason=str(exc))
        # A short outage (control-plane upgrade, network blip) must not fail running work.
        return self._last.get(name, Poll("running"))

    def wait_fds(self, handle: dict) -> list[int] | None:
        """The watch's wake-up pipe; None (tick now) when a pod changed since the last look."""
        if self.view is None or not self.view.synced:
            return []
        return None if self.view.drain() else [self.view.fileno()]

    def read_reason(self, handle: dict) -> str | None:
        reason = super().read_reason(handle)
        last = self._last.get(handle["pod"])
        if reason or handle.get("explain") != "kaniko" or last is None or last.state != "exited":
            return reason       # the platform's reason (OOMKilled, image pull, …) stays the poll's
        try:      # no Python ran in the kaniko pod: say here, from its log, what went wrong
            text = self._call(kube_logs.fetch, self.core, handle["namespace"], handle["pod"], kube_spec.MAIN,
                              timestamps=False)
        except ClusterError:
            return None
        head = text.split(kube_spec.markers(handle["uid"])[0])[0]
        return kaniko.explain(head) if head.strip() else None

    # -- stop and cleanup ----------------------------------------------------------------------
    def _delete(self, fn, name: str, namespace: str, grace: int | None = None) -> None:
        try:
            self._call(fn, name, namespace, ok=(404,), grace_period_seconds=grace, _preload_content=False)
        except ClusterError:
            pass   # never raise for a task that may be gone; the sweeper retries leftovers

    def stop(self, handle: dict, force: bool = False) -> None:
        if "error" not in handle:
            self._delete(self.core.delete_namespaced_pod, handle["pod"], handle["namespace"],
                         0 if force else self.grace_seconds)
            self._quiet.pop(handle["pod"], None)
            self._got.pop(handle["pod"], None)

    def cleanup(self, handle: dict) -> None:
        name = handle["pod"]
        if not handle.get("foreign"):   # someone else's pod (and Secret) of the same name stays
            # Even after a failed start: a create whose answer was lost may have made the pod.
            self._delete(self.core.delete_namespaced_pod, name, handle["namespace"], 0)
            self._delete(self.core.delete_namespaced_secret, name, handle["namespace"])
        for cache in (self._polled, self._got, self._events_of, self._shape, self._last, self._quiet,
                      self._trailers, self._unreachable_since):
            cache.pop(name, None)
