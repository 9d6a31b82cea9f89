"""Test controls that play scheduler and kubelet: move a pod through Pending
(unschedulable, image pull errors, missing config) → Running → Succeeded/Failed
(exit code, OOMKilled) or Evicted, emit the events a real cluster would, and
append container log lines. Mixed into `FakeKube`; pods are named by name,
in `namespace` or found in whichever namespace holds them.
"""
from __future__ import annotations

from tests.fakekube import objects, pods, timefmt
from tests.fakekube.routes import BY_KEY
from tests.fakekube.store import ApiError

PODS, EVENTS = BY_KEY["pods"], BY_KEY["events"]
UNSCHEDULABLE = "0/5 nodes are available: 4 Insufficient memory, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/5 nodes are available: 1 Preemption is not helpful for scheduling, 4 No preemption victims found for incoming pod."


class Controls:
    def _ns(self, name: str, namespace: str | None) -> str:
        if namespace:
            return namespace
        with self.store.cond:
            found = [ns for (key, ns, n) in self.store.objects if key == "pods" and n == name]
        if len(found) != 1:
            raise KeyError(f"pod {name!r} is in {len(found)} namespaces; pass namespace=")
        return found[0]

    def pod(self, name: str, namespace: str | None = None) -> dict:
        return self.store.get(PODS, self._ns(name, namespace), name)

    def pod_names(self, namespace: str | None = None, labels: str | None = None) -> list[str]:
        return [p["metadata"]["name"] for p in self.store.list(PODS, namespace, labels)]

    def events_for(self, name: str, namespace: str | None = None) -> list[dict]:
        return self.store.list(EVENTS, self._ns(name, namespace), fields=f"involvedObject.name={name}")

    def add_event(self, name, etype, reason, message, namespace=None, component="kubelet") -> None:
        ns = self._ns(name, namespace)
        with self.store.cond:
            pod, now = self.store.get(PODS, ns, name), self.store.now_ns()
            for ev in self.events_for(name, ns):
                # The event correlator folds repeats into one event with a count.
                if (ev["reason"], ev["message"], ev["involvedObject"]["uid"]) == (reason, message, pod["metadata"]["uid"]):
                    self.store.mutate(EVENTS, ns, ev["metadata"]["name"], lambda e: e.update(
                        count=e["count"] + 1, lastTimestamp=timefmt.rfc3339(now)))
                    return
            self.store.create(EVENTS, ns, pods.event(pod, etype, reason, message, now, component))

    def _change(self, name, namespace, change) -> dict:
        return self.store.mutate(PODS, self._ns(name, namespace), name, lambda p: change(p, self.store.now_ns()))

    def unschedulable(self, name: str, message: str = UNSCHEDULABLE, namespace: str | None = None) -> None:
        with self.store.cond:
            self._change(name, namespace, lambda p, now: pods.set_condition(
                p, "PodScheduled", "False", now, "Unschedulable", message))
            self.add_event(name, "Warning", "FailedScheduling", message, namespace, "default-scheduler")

    def schedule(self, name: str, node: str = "node-1", namespace: str | None = None) -> None:
        ns = self._ns(name, namespace)
        with self.store.cond:
            if self.pod(name, ns)["spec"].get("nodeName"):
                return

            def bind(p, now):
                p["spec"]["nodeName"] = node
                p["status"].update(hostIP="10.0.0.5", startTime=timefmt.rfc3339(now))
                pods.set_condition(p, "PodScheduled", "True", now)
                pods.set_states(p, True, lambda c: pods.waiting("PodInitializing"))
                pods.set_states(p, False, lambda c: pods.waiting("PodInitializing" if p["spec"].get(
                    "initContainers") else "ContainerCreating"))
            self._change(name, ns, bind)
            self.add_event(name, "Normal", "Scheduled", f"Successfully assigned {ns}/{name} to {node}",
                           ns, "default-scheduler")

    def _start_container(self, name, ns, c):
        for reason, message in (("Pulling", f'Pulling image "{c["image"]}"'),
                                ("Pulled", f'Successfully pulled image "{c["image"]}" in 1.2s (1.2s including waiting)'),
                                ("Created", f"Created container {c['name']}"),
                                ("Started", f"Started container {c['name']}")):
            self.add_event(name, "Normal", reason, message, ns)

    def start_pod(self, name: str, namespace: str | None = None) -> bool:
        """Run init containers (successfully) and start the main containers.
        Returns False, leaving the pod stuck as a kubelet would, when a Secret or
        ConfigMap it needs does not exist."""
        ns = self._ns(name, namespace)
        with self.store.cond:
            self.schedule(name, namespace=ns)
            pod = self.pod(name, ns)
            missing = [(kind, ref, vol) for kind, ref, vol in pods.referenced_objects(pod)
                       if (kind + "s", ns, ref) not in self.store.objects]
            for kind, ref, vol in missing:
                text = f'{kind} "{ref}" not found'
                if vol:
                    self.add_event(name, "Warning", "FailedMount",
                                   f'MountVolume.SetUp failed for volume "{ref}" : {text}', ns)
                else:
                    self.add_event(name, "Warning", "Failed", f"Error: {text}", ns)
                    self._change(name, ns, lambda p, now: pods.set_states(
                        p, False, lambda c: pods.waiting("CreateContainerConfigError", text)))
            if missing:
                return False
            for c in pod["spec"].get("initContainers", []):
                self._start_container(name, ns, c)
            for c in pod["spec"]["containers"]:
                self._start_container(name, ns, c)

            def run(p, now):
                pods.set_states(p, True, lambda c: pods.terminated(0, "Completed", now))
                pods.set_states(p, False, lambda c: pods.running(now))
                p["status"].update(phase="Running", podIP="10.244.1.7")
                for ctype in ("Initialized", "Ready", "ContainersReady"):
                    pods.set_condition(p, ctype, "True", now)
            self._change(name, ns, run)
            return True

    def waiting(self, name, reason, message=None, container=None, init=False, namespace=None) -> None:
        """Put containers (or one) in a waiting state, e.g. InvalidImageName."""
        self.schedule(name, namespace=namespace)
        self._change(name, namespace, lambda p, now: pods.set_states(
            p, init, lambda c: pods.waiting(reason, message) if container in (None, c["name"]) else None))

    def image_pull_error(self, name, message=None, backoff=False, container=None, init=False, namespace=None):
        pod = self.pod(name, namespace)
        spec = [c for c in pods.containers(pod, init) if container in (None, c["name"])][0]
        image = spec["image"]
        message = message or f'failed to pull and unpack image "{image}": failed to resolve reference "{image}": {image}: not found'
        self.schedule(name, namespace=namespace)
        self.add_event(name, "Normal", "Pulling", f'Pulling image "{image}"', namespace)
        self.add_event(name, "Warning", "Failed", f'Failed to pull image "{image}": {message}', namespace)
        if backoff:
            self.add_event(name, "Normal", "BackOff", f'Back-off pulling image "{image}"', namespace)
            self.waiting(name, "ImagePullBackOff", f'Back-off pulling image "{image}": ErrImagePull: {message}',
                         spec["name"], init, namespace)
        else:
            self.waiting(name, "ErrImagePull", message, spec["name"], init, namespace)

    def finish_pod(self, name, exit_code=0, reason=None, message=None, namespace=None) -> None:
        """End the main container(s); the pod Succeeds on exit 0 and Fails otherwise."""
        ns = self._ns(name, namespace)
        with self.store.cond:
            statuses = self.pod(name, ns)["status"].get("containerStatuses", [])
            if not any("running" in s["state"] for s in statuses):
                self.start_pod(name, ns)
            why = reason or ("Completed" if exit_code == 0 else "Error")

            def end(p, now):
                started = {s["name"]: s["state"].get("running", {}).get("startedAt")
                           for s in p["status"].get("containerStatuses", [])}
                pods.set_states(p, False, lambda c: pods.terminated(
                    exit_code, why, now, started.get(c["name"]) and timefmt.parse(started[c["name"]]), message))
                p["status"]["phase"] = "Succeeded" if exit_code == 0 else "Failed"
                for ctype in ("Ready", "ContainersReady"):
                    pods.set_condition(p, ctype, "False", now, "PodCompleted" if exit_code == 0 else "PodFailed")
            self._change(name, ns, end)

    def oom_kill(self, name, namespace=None) -> None:
        self.finish_pod(name, 137, "OOMKilled", namespace=namespace)

    def evict(self, name, message="The node was low on resource: memory. Threshold quantity: 100Mi, available: 52Mi.",
              namespace=None) -> None:
        ns = self._ns(name, namespace)
        with self.store.cond:
            self.add_event(name, "Warning", "Evicted", message, ns)
            self.finish_pod(name, 137, "Error", namespace=ns)
            self._change(name, ns, lambda p, now: p["status"].update(reason="Evicted", message=message))

    def deadline_exceeded(self, name, namespace=None) -> None:
        ns = self._ns(name, namespace)
        message = "Pod was active on the node longer than the specified deadline"
        with self.store.cond:
            self.add_event(name, "Normal", "DeadlineExceeded", message, ns)
            self.finish_pod(name, 137, "Error", namespace=ns)
            self._change(name, ns, lambda p, now: p["status"].update(reason="DeadlineExceeded", message=message))

    def fail_init(self, name, exit_code=128, lines=(), namespace=None) -> None:
        """The init container (source checkout) exits non-zero: the pod Fails before the task starts."""
        ns = self._ns(name, namespace)
        with self.store.cond:
            self.schedule(name, namespace=ns)
            init = self.pod(name, ns)["spec"]["initContainers"][0]
            self._start_container(name, ns, init)
            self._change(name, ns, lambda p, now: pods.set_states(p, True, lambda c: pods.running(now)))
            self.log(name, *lines, container=init["name"], namespace=ns)
            self._change(name, ns, lambda p, now: (pods.set_states(p, True, lambda c: pods.terminated(
                exit_code, "Error", now)), p["status"].update(phase="Failed")))

    def log(self, name, *lines, container=None, at=None, namespace=None) -> None:
        """Append output lines; `at` (epoch seconds) stamps them all with one time."""
        ns = self._ns(name, namespace)
        container = container or self.pod(name, ns)["spec"]["containers"][0]["name"]
        for line in lines:
            self.store.append_log(ns, name, container, line, None if at is None else timefmt.to_ns(at))

    def ignore_sigterm(self, name) -> None:
        """Graceful deletes of this pod leave it Terminating until forced (grace 0)."""
        self.ignores_sigterm.add(name)

    def remove_pod(self, name, namespace=None) -> None:
        """The pod vanishes (deleted by someone else, node lost and garbage-collected)."""
        self.store.delete(PODS, self._ns(name, namespace), name)

    def set_rollout(self, kind, name, namespace="default", complete=True, **fields) -> None:
        res = {"Deployment": BY_KEY["deployments.apps"], "StatefulSet": BY_KEY["statefulsets.apps"],
               "DaemonSet": BY_KEY["daemonsets.apps"]}[kind]
        self.store.mutate(res, namespace, name, lambda o: o.update(status=objects.rollout_status(
            o, complete, self.store.now_ns(), **fields)))


__all__ = ["Controls", "ApiError", "UNSCHEDULABLE"]
