"""Tasks as Kubernetes pods: one Secret and one Pod per task run, found again by name.

`start` creates both (a 409, even after a retried create, means "already made":
adopted, never doubled); `poll` reads the pod and asks `diagnose`; `read_output`
hands over lifecycle events and container output from a cursor; `stop` deletes with
a grace period (then, forced, with none); `cleanup` deletes pod and Secret. The API
client, clock and sleep are injected; nothing here knows it may be talking to a fake.
"""
from __future__ import annotations

import os
import time

from kubernetes import client

from daemon.executors import kube_logs, kube_names, kube_spec
from daemon.executors.base import Executor, Launch, Poll
from daemon.executors.diagnose import diagnose
from daemon.executors.kube_calls import ClusterError, call

DOWN_SECONDS = 10


class KubernetesExecutor(Executor):
    name = "kubernetes"

    def __init__(self, api_client, namespace: str, cluster: str = "default", *, clock=time.monotonic,
                 sleep=time.sleep, default_image: str = "alpine:3.20", git_image: str = "alpine/git:2.45.2",
                 grace_seconds: int = 30, deadline_seconds: int = 24 * 3600, unreachable_seconds: float = 120,
                 read_interval: float = 1.0, host_env=None):
        self.core = client.CoreV1Api(api_client)
        self.namespace, self.cluster = namespace, cluster
        self.clock, self.sleep = clock, sleep
        self.default_image, self.git_image = default_image, git_image
        self.grace_seconds, self.deadline_seconds = grace_seconds, deadline_seconds
        self.unreachable_seconds, self.read_interval = unreachable_seconds, read_interval
        self.host_env = os.environ if host_env is None else host_env
        # In memory only, and only to save requests: all that matters is in handles and cursors.
        self._polled: dict[str, tuple[dict, list]] = {}    # pod → (pod, events) from the last poll
        self._phase: dict[str, str] = {}
        self._last: dict[str, Poll] = {}
        self._quiet: dict[str, tuple[str, float]] = {}     # pod → (cursor, when) of the last empty read
        self._unreachable_since: dict[str, float] = {}
        self._down_until = float("-inf")

    def _call(self, fn, *args, **kwargs):
        # While the cluster is known to be down, one attempt per call: backing off on
        # every one of fifty running tasks would stall the daemon's tick for minutes.
        attempts = 1 if self.clock() < self._down_until else 4
        try:
            return call(fn, *args, cluster=self.cluster, sleep=self.sleep, attempts=attempts, **kwargs)
        except ClusterError as exc:
            if exc.transient:
                self._down_until = self.clock() + DOWN_SECONDS
            raise

    def _dict(self, model) -> dict:
        return self.core.api_client.sanitize_for_serialization(model)

    # -- start -----------------------------------------------------------------------------
    def start(self, launch: Launch) -> dict:
        name = kube_names.object_name(launch.run_id, launch.task_run_id, launch.attempt, launch.task_name)
        labels = kube_names.labels(launch.run_id, launch.task_run_id, launch.attempt,
                                   launch.pipeline_name, launch.task_name)
        handle = {"cluster": self.cluster, "namespace": self.namespace, "pod": name}
        env = kube_spec.task_env(launch, self.host_env)
        deadline = getattr(launch, "timeout_seconds", None)
        pod = kube_spec.pod(launch, name, labels, env, image=launch.image or self.default_image,
                            git_image=self.git_image, grace_seconds=self.grace_seconds,
                            deadline_seconds=int(deadline) + 300 if deadline else self.deadline_seconds)
        try:
            self._call(self.core.create_namespaced_secret, self.namespace,
                       kube_spec.secret(launch, name, labels, env), ok=(409,))
            made = self._call(self.core.create_namespaced_pod, self.namespace, pod, ok=(409,))
            if getattr(made, "status", None) == 409:
                made = self._call(self.core.read_namespaced_pod, name, self.namespace)
                theirs = made.metadata.labels or {}
                if theirs.get(kube_names.TASK_RUN) != labels[kube_names.TASK_RUN]:
                    handle["foreign"] = True   # cleanup must not delete it
                    raise ClusterError(f"a pod named {name} exists and is not this task's")
        except ClusterError as exc:
            handle["error"] = self._namespace_reason(exc)
            return handle
        handle["uid"] = made.metadata.uid
        return handle

    def _namespace_reason(self, exc: ClusterError) -> str:
        if exc.status == 404 and "namespaces" in str(exc):
            return f"namespace '{self.namespace}' missing on cluster '{self.cluster}'"
        if exc.status == 403 and "exceeded quota" in str(exc):
            return f"pod create refused: {str(exc).split(': ', 1)[-1]}"
        return str(exc)

    # -- poll ------------------------------------------------------------------------------
    def _read_pod(self, handle: dict) -> dict | None:
        got = self._call(self.core.read_namespaced_pod, handle["pod"], handle["namespace"], ok=(404,))
        if getattr(got, "status", None) == 404:
            return None
        pod = self._dict(got)
        return pod if pod["metadata"].get("uid") == handle.get("uid") else None

    def _events(self, handle: dict) -> list[dict]:
        found = self._call(self.core.list_namespaced_event, handle["namespace"],
                           field_selector=f"involvedObject.name={handle['pod']},involvedObject.uid={handle['uid']}")
        return self._dict(found).get("items", [])

    def poll(self, handle: dict) -> Poll:
        if "error" in handle:
            return Poll("failed", reason=handle["error"])
        name = handle["pod"]
        try:
            pod = self._read_pod(handle)
            if pod is None:
                return Poll("failed", reason=self._lost_reason(handle))
            phase = pod["status"].get("phase", "Pending")
            events = self._events(handle) if phase == "Pending" else []
        except ClusterError as exc:
            return self._unreachable(name, exc)
        self._unreachable_since.pop(name, None)
        self._polled[name] = (pod, events)
        if self._phase.get(name) != phase:
            self._quiet.pop(name, None)   # something changed: the next read must look
        self._phase[name] = phase
        found = diagnose(pod, events)
        if found.verdict == "wait":
            result = Poll("waiting", reason=found.reason)
        elif found.verdict == "fail":
            result = Poll("failed", exit_code=found.exit_code, reason=found.reason)
        else:
            result = Poll("running") if found.exit_code is None else Poll("exited", exit_code=found.exit_code)
        self._last[name] = result
        return result

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

    # -- output ----------------------------------------------------------------------------
    def read_output(self, handle: dict, cursor) -> tuple[bytes, object]:
        cursor = dict(cursor or {})
        if "error" in handle:
            return (b"", cursor) if cursor.get("error") else (f"[Error] {handle['error']}\n".encode(),
                                                              {**cursor, "error": True})
        name, key = handle["pod"], repr(sorted(cursor.items()))
        quiet = self._quiet.get(name)
        if quiet and quiet[0] == key and self.clock() - quiet[1] < self.read_interval:
            return b"", cursor
        try:
            lines, cursor = self._read(handle, cursor)
        except ClusterError:
            return b"", cursor    # poll reports the cluster's trouble; output waits for it
        # All there was has just been read: asking again at once (the shipper does) would
        # only cost requests, so the same cursor waits `read_interval` or a phase change.
        self._quiet[name] = (repr(sorted(cursor.items())), self.clock())
        return (("\n".join(lines) + "\n").encode() if lines else b""), cursor

    def _read(self, handle: dict, cursor: dict) -> tuple[list[str], dict]:
        name, ns = handle["pod"], handle["namespace"]
        pod, events = self._polled.get(name, (None, None))
        if pod is None:
            pod = self._read_pod(handle)
            if pod is None:
                return [], cursor
        phase = pod["status"].get("phase", "Pending")
        out = []
        if phase == "Pending" or cursor.get("evp") != phase:
            if events is None or phase != "Pending":
                events = self._events(handle)
            shown, cursor["ev"] = kube_logs.render_events(events, cursor.get("ev", []))
            out += shown
            cursor["evp"] = phase
        states = {s["name"]: s.get("state") or {} for s in
                  (pod["status"].get("initContainerStatuses") or []) + (pod["status"].get("containerStatuses") or [])}
        if pod["spec"].get("initContainers") and not cursor.get("init") and "terminated" in states.get(kube_spec.INIT, {}):
            text = self._call(kube_logs.fetch, self.core, ns, name, kube_spec.INIT, timestamps=False)
            out += text.splitlines()
            cursor["init"] = True
        main = states.get(kube_spec.MAIN, {})
        if not cursor.get("end") and ("running" in main or "terminated" in main):
            text = self._call(kube_logs.fetch, self.core, ns, name, kube_spec.MAIN, kube_logs.since_of(cursor))
            lines, cursor = kube_logs.new_lines(text, cursor, final="terminated" in main)
            lines, ended = kube_logs.cut_at_marker(lines, kube_spec.markers(handle["uid"])[0])
            out += lines
            cursor["end"] = ended
        return out, cursor

    def _trailer(self, handle: dict) -> tuple[str, str] | None:
        if "error" in handle:
            return None
        try:
            text = self._call(kube_logs.fetch, self.core, handle["namespace"], handle["pod"], kube_spec.MAIN,
                              timestamps=False)
        except ClusterError:
            return None
        return kube_logs.trailer(text, handle["uid"], kube_spec.markers)

    def read_outputs_file(self, handle: dict) -> str:
        found = self._trailer(handle)
        return found[0] if found else ""

    def read_reason(self, handle: dict) -> str | None:
        found = self._trailer(handle)
        text = found[1].strip() if found else ""
        return text.splitlines()[0] if text else None

    # -- stop and cleanup ----------------------------------------------------------------------
    def _delete(self, fn, name: str, namespace: str, grace: int | None = None) -> None:
        try:
            self._call(fn, name, namespace, ok=(404,), grace_period_seconds=grace)
        except ClusterError:
            pass   # never raise for a task that may be gone; the sweeper retries leftovers

    def stop(self, handle: dict, force: bool = False) -> None:
        if "error" not in handle:
            self._delete(self.core.delete_namespaced_pod, handle["pod"], handle["namespace"],
                         0 if force else self.grace_seconds)
            self._quiet.pop(handle["pod"], None)

    def cleanup(self, handle: dict) -> None:
        name = handle["pod"]
        if not handle.get("foreign"):
            # Even after a failed start: a create whose answer was lost may have made the pod.
            self._delete(self.core.delete_namespaced_pod, name, handle["namespace"], 0)
        self._delete(self.core.delete_namespaced_secret, name, handle["namespace"])
        for cache in (self._polled, self._phase, self._last, self._quiet, self._unreachable_since):
            cache.pop(name, None)
