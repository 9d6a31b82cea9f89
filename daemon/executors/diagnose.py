"""Pod status (+ its events) → what it means for the task: wait, fail, or fine.

One pure function over the API's JSON (camelCase dicts), so it is tested as a
table. `wait` means the task has not started for a reason outside it (no node fits,
image still pulling); `fail` means it can never start or was killed by the platform
(bad image, missing Secret, OOMKilled, Evicted), with a one-line reason; `fine`
means running, or exited with `exit_code`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from daemon.reasons import text as _text     # English text that keeps its message (a stored reason)
from models.i18n import N_

# Waiting reasons after which a container will never start on its own.
_NEVER_STARTS = {"InvalidImageName", "CreateContainerConfigError", "CreateContainerError",
                 "RunContainerError", "CrashLoopBackOff", "ErrImageNeverPull", "ImageInspectError"}
_PULL = {"ErrImagePull", "ImagePullBackOff"}
_NOT_FOUND = re.compile(r"not found|manifest unknown|does not exist|no such host|name unknown", re.I)
_REFUSED = re.compile(r"unauthorized|denied|authentication required|forbidden|\b40[13]\b", re.I)
_MISSING = re.compile(r'(secret|configmap) "([^"]+)" not found', re.I)
_MISSING_KEY = re.compile(r"couldn't find key (\S+) in (Secret|ConfigMap) \S*?/?([^/\s]+)$", re.I)


class Verdict(str, Enum):
    WAIT = "wait"      # not running yet for a reason outside the task; may still start
    FAIL = "fail"      # will never run (or ended badly): the reason says why
    FINE = "fine"      # running, or ended with exit_code

    def __str__(self):
        return self.value


@dataclass(frozen=True)
class Diagnosis:
    verdict: Verdict
    reason: str | None = None      # one line, for the run page
    exit_code: int | None = None   # fine: None while running; fail: set when a container ended


def _missing_config(message: str) -> str | None:
    m = _MISSING.search(message or "")
    if m:
        kind = "Secret" if m.group(1).lower() == "secret" else "ConfigMap"
        return _text(N_("missing {kind} {name}", kind=kind, name=m.group(2)))
    m = _MISSING_KEY.search(message or "")
    if m:
        return _text(N_("missing key {key} in {kind} {name}", key=m.group(1), kind=m.group(2), name=m.group(3)))
    return None


def _waiting(status: dict, image: str) -> Diagnosis:
    waiting = status["state"]["waiting"]
    reason, message = waiting.get("reason", ""), waiting.get("message", "")
    said = message.rstrip(": ")       # the API's own words (not translated), when it has any
    if reason in _PULL:
        if _NOT_FOUND.search(message) and _REFUSED.search(message):
            # Docker Hub's "pull access denied, repository does not exist or may
            # require authorization" cannot tell the two apart, so neither do we.
            return Diagnosis(Verdict.FAIL, _text(N_("image not found or pull refused: {image}", image=image)))
        if _NOT_FOUND.search(message):
            return Diagnosis(Verdict.FAIL, _text(N_("image not found: {image}", image=image)))
        if _REFUSED.search(message):
            return Diagnosis(Verdict.FAIL, _text(N_("image pull refused: {image}", image=image)))
        if reason == "ImagePullBackOff":
            return Diagnosis(Verdict.FAIL, _text(
                N_("image pull failed: {image}: {message}", image=image, message=said) if said
                else N_("image pull failed: {image}", image=image)))
        return Diagnosis(Verdict.WAIT, _text(
            N_("pulling image {image} failed, retrying: {message}", image=image, message=said) if said
            else N_("pulling image {image} failed, retrying", image=image)))
    if reason == "InvalidImageName":
        return Diagnosis(Verdict.FAIL, _text(N_("invalid image name: {image}", image=image)))
    if reason in _NEVER_STARTS:
        return Diagnosis(Verdict.FAIL, _missing_config(message) or f"{reason}: {message}".rstrip(": "))
    return Diagnosis(Verdict.WAIT, _text(N_("starting: {reason}", reason=reason or "waiting")))


def _latest(events, reason: str) -> dict | None:
    found = [e for e in events if e.get("reason") == reason]
    found.sort(key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""))
    return found[-1] if found else None


def _pending(pod: dict, events) -> Diagnosis:
    mount = _latest(events, "FailedMount")
    if mount and _missing_config(mount.get("message", "")):
        return Diagnosis(Verdict.FAIL, _missing_config(mount["message"]))
    for cond in pod["status"].get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
            # The latest FailedScheduling event is fresher than the condition's message.
            event = _latest(events, "FailedScheduling")
            message = (event or {}).get("message") or cond.get("message") or cond.get("reason")
            return Diagnosis(Verdict.WAIT, message or _text(N_("waiting to be scheduled")))
    if not pod["spec"].get("nodeName"):
        return Diagnosis(Verdict.WAIT, _text(N_("waiting to be scheduled")))
    return Diagnosis(Verdict.WAIT, _text(N_("starting")))


def diagnose(pod: dict, events: list[dict] = ()) -> Diagnosis:
    status = pod.get("status") or {}
    phase = status.get("phase", "Pending")
    images = {c["name"]: c.get("image", "") for c in
              (pod["spec"].get("initContainers") or []) + (pod["spec"].get("containers") or [])}
    if phase == "Failed" and status.get("reason"):
        # Evicted, DeadlineExceeded, node Shutdown: the platform ended the pod.
        return Diagnosis(Verdict.FAIL, f"{status['reason']}: {status.get('message', '')}".rstrip(": "))
    for init in status.get("initContainerStatuses") or []:
        state = init.get("state") or {}
        if "terminated" in state and state["terminated"].get("exitCode", 0) != 0:
            code = state["terminated"]["exitCode"]
            return Diagnosis(Verdict.FAIL, _text(N_("init container {name} failed with exit code {code}",
                                                    name=init["name"], code=code)), code)
        if "waiting" in state:
            found = _waiting(init, images.get(init["name"], ""))
            if found.verdict == Verdict.FAIL or state["waiting"].get("reason") in _PULL:
                return found
    exits = []
    for main in status.get("containerStatuses") or []:
        state = main.get("state") or {}
        if "terminated" in state:
            term = state["terminated"]
            if term.get("reason") == "OOMKilled":
                return Diagnosis(Verdict.FAIL, _text(N_("OOMKilled: the container exceeded its memory limit")),
                                 term.get("exitCode", 137))
            if term.get("reason") == "ContainerStatusUnknown":
                return Diagnosis(Verdict.FAIL, _text(N_("container lost: {message}",
                                                        message=term.get("message", "status unknown"))),
                                 term.get("exitCode"))
            exits.append(term.get("exitCode", 0))
        elif "waiting" in state:
            found = _waiting(main, images.get(main["name"], ""))
            if found.verdict == Verdict.FAIL:
                return found
            pending = _pending(pod, events)   # a FailedMount for a missing Secret also shows here
            return pending if pending.verdict == Verdict.FAIL else found
        elif "running" in state:
            return Diagnosis(Verdict.FINE)
    if exits and len(exits) == len(status.get("containerStatuses") or []):
        return Diagnosis(Verdict.FINE, exit_code=max(exits, key=lambda c: c != 0))
    if phase == "Succeeded":
        return Diagnosis(Verdict.FINE, exit_code=0)
    if phase == "Failed":
        return Diagnosis(Verdict.FAIL, status.get("message") or _text(N_("pod failed")))
    if phase == "Unknown":
        return Diagnosis(Verdict.WAIT, _text(N_("pod status unknown: its node is not reporting")))
    if phase == "Running":
        return Diagnosis(Verdict.FINE)
    return _pending(pod, events)
