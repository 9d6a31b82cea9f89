"""How every Kubernetes executor of a daemon behaves: images, grace and deadlines, outage
and polling intervals, the watch, the clocks and sleep (injected by tests), and the
explainers of failed pods (given by the daemon from the task types: daemon.main)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable


def _no_explainer(name: str, log: str) -> str | None:
    return None


@dataclass(frozen=True)
class KubeOptions:
    """How every Kubernetes executor of a daemon behaves; tests inject clocks and intervals."""
    clock: Callable[[], float] = time.monotonic      # intervals, outages
    wall: Callable[[], float] = time.time            # a pod's age (scheduling timeout), across restarts
    sleep: Callable[[float], None] = time.sleep      # retry backoff
    default_image: str = "alpine:3.20"
    git_image: str = "alpine/git:2.45.2"
    grace_seconds: int = 30
    deadline_seconds: int = 24 * 3600
    unreachable_seconds: float = 120                 # an outage longer than this fails running tasks
    read_interval: float = 1.0
    read_interval_max: float = 4.0
    poll_interval: float = 2.0
    events_interval: float = 5.0
    watch: bool = True
    # (explainer name, the pod's log before the trailer) → one-line reason, or None
    explain: Callable[[str, str], str | None] = _no_explainer
