"""The Kubernetes executor's output side: lifecycle events and container output handed
over from a cursor, and the wrapper's trailer ($MILLRACE_ENV, reason file) after the end.

Reads are cheap to skip: after a read that found everything, the same cursor is not
read again for `read_interval` seconds (doubling up to `read_interval_max` while the
task stays silent), unless the pod changed state (the executor calls `changed()`) — then
the next read looks at once. `PodOutput` is given what it reads with: the cluster's
`Calls`, its CoreV1Api, and from the executor the pod as last polled (`polled`), a pod
read (`read_pod`) and a pod's events (`events`); it keeps only its own memory.
"""
from __future__ import annotations

from daemon.executors.kubernetes import spec
from daemon.kube import logs
from daemon.kube.client import ClusterError


class PodOutput:
    def __init__(self, core, call, *, polled, read_pod, events, clock, read_interval: float,
                 read_interval_max: float):
        self.core, self.call = core, call
        self.polled, self.read_pod, self.events = polled, read_pod, events
        self.clock, self.read_interval, self.read_interval_max = clock, read_interval, read_interval_max
        # In memory only, and only to save requests: all that matters is in handles and cursors.
        self._quiet: dict[str, tuple[str, float, float]] = {}   # pod → (cursor, when, wait) of the last full read
        self._trailers: dict[str, tuple[str, str]] = {}          # pod → ($MILLRACE_ENV, reason) seen in its log

    def changed(self, name: str) -> None:
        """The pod changed (or was stopped): the next read must look."""
        self._quiet.pop(name, None)

    def forget(self, name: str) -> None:
        self._quiet.pop(name, None)
        self._trailers.pop(name, None)

    def read_output(self, handle: dict, cursor) -> tuple[bytes, object]:
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
        pod, events = self.polled(name) or (None, None)
        if pod is None:
            pod = self.read_pod(handle)
            if pod is None:
                return [], cursor
        phase = pod["status"].get("phase", "Pending")
        out = []
        if phase == "Pending" or cursor.get("evp") != phase:
            if events is None or phase != "Pending":
                events = self.events(handle)
            shown, cursor["ev"] = logs.render_events(events, cursor.get("ev", []))
            out += shown
            cursor["evp"] = phase
        states = {s["name"]: s.get("state") or {} for s in
                  (pod["status"].get("initContainerStatuses") or []) + (pod["status"].get("containerStatuses") or [])}
        if pod["spec"].get("initContainers") and not cursor.get("init") and "terminated" in states.get(spec.INIT, {}):
            text = self.call(logs.fetch, self.core, ns, name, spec.INIT, timestamps=False)
            out += text.splitlines()
            cursor["init"] = True
        main = states.get(spec.MAIN, {})
        if not cursor.get("end") and ("running" in main or "terminated" in main):
            text = self.call(logs.fetch, self.core, ns, name, spec.MAIN, logs.since_of(cursor))
            lines, cursor = logs.new_lines(text, cursor, final="terminated" in main)
            found = logs.trailer("\n".join(lines) + "\n", handle["uid"], spec.markers)
            if found is not None:
                self._trailers[name] = found      # saves reading the whole log again at the end
            lines, ended = logs.cut_at_marker(lines, spec.markers(handle["uid"])[0])
            out += lines
            cursor["end"] = ended
        return out, cursor

    def full_log(self, handle: dict) -> str:
        """The main container's whole log, untimestamped (raises ClusterError)."""
        return self.call(logs.fetch, self.core, handle["namespace"], handle["pod"], spec.MAIN, timestamps=False)

    def _trailer(self, handle: dict) -> tuple[str, str] | None:
        if "error" in handle:
            return None
        if handle["pod"] in self._trailers:
            return self._trailers[handle["pod"]]
        try:
            text = self.full_log(handle)
        except ClusterError:
            return None
        return logs.trailer(text, handle["uid"], spec.markers)

    def read_outputs_file(self, handle: dict) -> str:
        found = self._trailer(handle)
        return found[0] if found else ""

    def read_reason(self, handle: dict) -> str | None:
        found = self._trailer(handle)
        text = found[1].strip() if found else ""
        return text.splitlines()[0] if text else None
