"""Tasks as Kubernetes pods: one Secret and one Pod per task run, found again by name.

`start` creates both (a 409, even after a retried create, means "already made":
adopted, never doubled); `poll` reads the pod — from the namespace's watched view
(`daemon.kube.watch.PodView`) when it is live, else from the API at most every
`poll_interval` — and asks `diagnose`; a pod still waiting after the pipeline's
scheduling timeout fails. `stop` deletes with a grace period (then, forced, with
none); `cleanup` deletes pod and Secret. Output reading is `output.PodOutput`'s.
A task's plan may shape its pod (`Launch.shape_pod`) and name an explainer
(`Launch.explain`) that says from the log why it failed; the explainers come in the
options, so the executor knows no task type. The API client, clocks and sleep are
injected (`options.KubeOptions`); nothing here knows it may talk to a fake.
"""
from __future__ import annotations

from dataclasses import dataclass

from kubernetes import client

from daemon import reasons
from daemon.executors.base import Executor, Launch, Poll, PollState
from daemon.executors.diagnose import Verdict, diagnose
from daemon.executors.kubernetes import spec
from daemon.executors.kubernetes.options import KubeOptions
from daemon.executors.kubernetes.output import PodOutput
from daemon.kube import names
from daemon.kube.client import Calls, ClusterError
from daemon.kube.watch import PodView
from models.i18n import N_, P_


@dataclass
class _Seen:
    """What this process remembers of one pod, only to save requests (all that matters is in
    handles and cursors)."""
    polled: tuple[dict, list] | None = None          # (pod, events) from the last poll
    got: tuple[float, dict | None] | None = None     # (when, pod) of the last direct read
    events: tuple[str, float, list] | None = None    # (resourceVersion, when, events) of a pending pod
    shape: tuple | None = None                       # phase and container states at the last poll
    last: Poll | None = None                         # the last poll's answer (kept through a short outage)
    unreachable_since: float | None = None


class KubernetesExecutor(Executor):
    name = "kubernetes"

    def __init__(self, api_client, namespace: str, cluster: str = "default", owner: str | None = None,
                 options: KubeOptions = KubeOptions()):
        self.core = client.CoreV1Api(api_client)
        self.namespace, self.cluster, self.owner, self.options = namespace, cluster, owner, options
        self.clock, self.wall = options.clock, options.wall
        self.call = Calls(cluster, options.clock, options.sleep)
        self.view = PodView(self.core, namespace, names.selector(owner)) if options.watch else None
        self._seen: dict[str, _Seen] = {}
        self.output = PodOutput(self.core, self.call, polled=self._polled, read_pod=self._read_pod,
                                events=self._events, clock=options.clock, read_interval=options.read_interval,
                                read_interval_max=options.read_interval_max)

    def close(self) -> None:
        if self.view is not None:
            self.view.close()

    def _memory(self, name: str) -> _Seen:
        return self._seen.setdefault(name, _Seen())

    def _polled(self, name: str) -> tuple[dict, list] | None:
        seen = self._seen.get(name)
        return seen.polled if seen else None

    # -- start -----------------------------------------------------------------------------
    def start(self, launch: Launch) -> dict:
        name = names.object_name(launch.run_id, launch.task_run_id, launch.attempt, launch.task_name)
        labels = names.labels(launch.run_id, launch.task_run_id, launch.attempt,
                              launch.pipeline_name, launch.task_name, self.owner)
        handle = {"cluster": self.cluster, "namespace": self.namespace, "pod": name, "created": self.wall()}
        if launch.scheduling_timeout_seconds:
            handle["scheduling_timeout"] = launch.scheduling_timeout_seconds
        env = spec.task_env(launch)
        deadline = launch.timeout_seconds
        pod = spec.pod(launch, name, labels, env, image=launch.image or self.options.default_image,
                       git_image=self.options.git_image, grace_seconds=self.options.grace_seconds,
                       deadline_seconds=int(deadline) + 300 if deadline else self.options.deadline_seconds)
        secret = spec.secret(launch, name, labels, env)
        if launch.shape_pod is not None:        # e.g. a kaniko build: its argv, its registry config file
            launch.shape_pod(pod, secret, env)
        if launch.explain:                      # no Python runs in such a pod: its failures are explained here
            handle["explain"] = launch.explain
        try:
            self.call.json(self.core.create_namespaced_secret, self.namespace, secret, ok=(409,))
            made = self.call.json(self.core.create_namespaced_pod, self.namespace, pod, ok=(409,))
            if isinstance(made, Exception):
                made = self.call.json(self.core.read_namespaced_pod, name, self.namespace)
                theirs = made["metadata"].get("labels") or {}
                if any(theirs.get(k) != labels.get(k) for k in (names.TASK_RUN, names.OWNER)):
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
            return reasons.text(N_("namespace '{namespace}' missing on cluster '{cluster}'", namespace=self.namespace,
                                   cluster=self.cluster))
        if exc.status == 403 and "exceeded quota" in str(exc):
            return reasons.text(N_("pod create refused: {error}", error=str(exc).split(": ", 1)[-1]))
        return reasons.as_reason(exc)

    # -- poll ------------------------------------------------------------------------------
    def _read_pod(self, handle: dict) -> dict | None:
        name = handle["pod"]
        known, pod = (False, None)
        seen = self._memory(name)
        if self.view is not None and handle["namespace"] == self.namespace:
            known, pod = self.view.get(name)
            if known and seen.got:
                # The copy a read would reuse, should the watch lose its sync (a reconnect), is
                # never older than what the view showed (a running pod seen "pending" again);
                # when to read again stays as it was.
                seen.got = (seen.got[0], pod)
        if not known:
            if seen.got and self.clock() - seen.got[0] < self.options.poll_interval:
                pod = seen.got[1]
            else:
                got = self.call.json(self.core.read_namespaced_pod, name, handle["namespace"], ok=(404,))
                pod = None if isinstance(got, Exception) else got
                seen.got = (self.clock(), pod)
        return pod if pod is not None and pod["metadata"].get("uid") == handle.get("uid") else None

    def _events(self, handle: dict) -> list[dict]:
        found = self.call.json(self.core.list_namespaced_event, handle["namespace"],
                               field_selector=f"involvedObject.name={handle['pod']},involvedObject.uid={handle['uid']}")
        return found.get("items") or []

    def _pending_events(self, handle: dict, pod: dict) -> list[dict]:
        """Events of a pending pod, read again when the pod changed or every `events_interval`."""
        version = pod["metadata"].get("resourceVersion", "")
        seen = self._memory(handle["pod"])
        if seen.events and seen.events[0] == version and self.clock() - seen.events[1] < self.options.events_interval:
            return seen.events[2]
        events = self._events(handle)
        seen.events = (version, self.clock(), events)
        return events

    def poll(self, handle: dict) -> Poll:
        if "error" in handle:
            return Poll(PollState.FAILED, reason=handle["error"])
        name = handle["pod"]
        try:
            pod = self._read_pod(handle)
            if pod is None:
                return Poll(PollState.FAILED, reason=self._lost_reason(handle))
            phase = pod["status"].get("phase", "Pending")
            events = self._pending_events(handle, pod) if phase == "Pending" else []
        except ClusterError as exc:
            return self._unreachable(name, exc)
        seen = self._memory(name)
        seen.unreachable_since = None
        seen.polled = (pod, events)
        shape = (phase, tuple(tuple(s.get("state") or {}) for s in pod["status"].get("containerStatuses") or []))
        if seen.shape != shape:
            self.output.changed(name)   # something changed: the next read must look
        seen.shape = shape
        found = diagnose(pod, events)
        if found.verdict == Verdict.WAIT:
            result = self._still_waiting(handle, found.reason)
        elif found.verdict == Verdict.FAIL:
            result = Poll(PollState.FAILED, exit_code=found.exit_code, reason=found.reason)
        else:
            result = (
                Poll(PollState.RUNNING)
                if found.exit_code is None
                else Poll(PollState.EXITED, exit_code=found.exit_code)
            )
        seen.last = result
        return result

    def _still_waiting(self, handle: dict, reason: str) -> Poll:
        limit = handle.get("scheduling_timeout")
        if limit and self.wall() - handle.get("created", self.wall()) >= limit:
            minutes = (P_("{n} minute", "{n} minutes", 1) if limit == 60 else
                       N_("{minutes} minutes", minutes=format(limit / 60, "g")))
            return Poll(PollState.FAILED, reason=reasons.text(N_(
                "scheduling timeout: the pod did not start within {minutes} ({reason})", minutes=minutes,
                reason=reasons.of_text(reason))))
        return Poll(PollState.WAITING, reason=reason)

    def _lost_reason(self, handle: dict) -> str:
        try:
            gone = self.call(self.core.read_namespace, handle["namespace"], ok=(404,))
        except ClusterError as exc:
            return reasons.as_reason(exc)
        if getattr(gone, "status", None) == 404:
            return reasons.text(N_("namespace '{namespace}' missing on cluster '{cluster}'",
                                   namespace=handle["namespace"], cluster=self.cluster))
        return reasons.text(N_("pod lost: it was deleted while the task ran"))

    def _unreachable(self, name: str, exc: ClusterError) -> Poll:
        if not exc.transient:
            return Poll(PollState.FAILED, reason=reasons.as_reason(exc))
        seen = self._memory(name)
        if seen.unreachable_since is None:
            seen.unreachable_since = self.clock()
        if self.clock() - seen.unreachable_since >= self.options.unreachable_seconds:
            return Poll(PollState.FAILED, reason=reasons.as_reason(exc))
        # A short outage (control-plane upgrade, network blip) must not fail running work.
        return seen.last or Poll(PollState.RUNNING)

    def wait_fds(self, handle: dict) -> list[int] | None:
        """The watch's wake-up pipe; None (tick now) when a pod changed since the last look."""
        if self.view is None or not self.view.synced:
            return []
        return None if self.view.drain() else [self.view.fileno()]

    # -- output ----------------------------------------------------------------------------
    def read_output(self, handle: dict, cursor, safe_cut=None) -> tuple[bytes, object]:
        return self.output.read_output(handle, cursor)

    def read_outputs_file(self, handle: dict) -> str:
        return self.output.read_outputs_file(handle)

    def read_reason(self, handle: dict) -> str | None:
        reason = self.output.read_reason(handle)
        seen = self._seen.get(handle.get("pod"))
        last = seen.last if seen else None
        if reason or not handle.get("explain") or last is None or last.state != PollState.EXITED:
            return reason       # the platform's reason (OOMKilled, image pull, …) stays the poll's
        try:      # no Python ran in the pod: its plan's explainer says, from its log, what went wrong
            text = self.output.full_log(handle)
        except ClusterError:
            return None
        head = text.split(spec.markers(handle["uid"])[0])[0]
        return self.options.explain(handle["explain"], head) if head.strip() else None

    # -- stop and cleanup ----------------------------------------------------------------------
    def _delete(self, fn, name: str, namespace: str, grace: int | None = None) -> None:
        try:
            self.call(fn, name, namespace, ok=(404,), grace_period_seconds=grace, _preload_content=False)
        except ClusterError:
            pass   # never raise for a task that may be gone; the sweeper retries leftovers

    def stop(self, handle: dict, force: bool = False) -> None:
        if "error" not in handle:
            self._delete(self.core.delete_namespaced_pod, handle["pod"], handle["namespace"],
                         0 if force else self.options.grace_seconds)
            self.output.changed(handle["pod"])
            if handle["pod"] in self._seen:
                self._seen[handle["pod"]].got = None

    def cleanup(self, handle: dict) -> None:
        name = handle["pod"]
        if not handle.get("foreign"):   # someone else's pod (and Secret) of the same name stays
            # Even after a failed start: a create whose answer was lost may have made the pod.
            self._delete(self.core.delete_namespaced_pod, name, handle["namespace"], 0)
            self._delete(self.core.delete_namespaced_secret, name, handle["namespace"])
        self._seen.pop(name, None)
        self.output.forget(name)
