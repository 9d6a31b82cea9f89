"""The Kubernetes executor's output side: lifecycle events and container output handed
over from a cursor, and the wrapper's trailer ($MILLRACE_ENV, reason file) after the end.

Reads are cheap to skip: after a read that found everything, the same cursor is not
read again for `read_interval` seconds (doubling up to `read_interval_max` while the
task stays silent), unless the pod changed state — then the next read looks at once.
A mixin of `KubernetesExecutor`, which provides `_call`, `_read_pod`, `_events`, `clock`.
"""
from __future__ import annotations

from daemon.executors.kubernetes import spec as kube_spec
from daemon.kube import logs as kube_logs
from daemon.kube.client import ClusterError


class PodOutput:
    def read_output(self, handle: dict, cursor, safe_cut=None) -> tuple[bytes, object]:
        cursor = dict(cursor or {})
        if "error" in handle:
            return (b"", cursor) if cursor.get("error") else (f"[Error] {handle['error']}\n".encode(),
                                                              {**cursor, "error": True})
        name, key = handle["pod"], repr(sorted(cursor.items()))
        quiet = self._quiet.get(name)
        if quiet and quiet[0] == key and self.clock() - quiet[1] < quiet[2]:
            return b"", cursor
        try:
            lines, cursor = self._read(handle, cursor)
        except ClusterError:
            return b"", cursor    # poll reports the cluster's trouble; output waits for it
        # All there was has just been read: asking again at once (the shipper does) would
        # only cost requests, so the same cursor waits, longer while the task is silent.
        wait = self.read_interval if lines or not quiet else min(self.read_interval_max, quiet[2] * 2)
        self._quiet[name] = (repr(sorted(cursor.items())), self.clock(), wait)
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
            found = kube_logs.trailer("\n".join(lines) + "\n", handle["uid"], kube_spec.markers)
            if found is not None:
                self._trailers[name] = found      # saves reading the whole log again at the end
            lines, ended = kube_logs.cut_at_marker(lines, kube_spec.markers(handle["uid"])[0])
            out += lines
            cursor["end"] = ended
        return out, cursor

    def _trailer(self, handle: dict) -> tuple[str, str] | None:
        if "error" in handle:
            return None
        if handle["pod"] in self._trailers:
            return self._trailers[handle["pod"]]
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
