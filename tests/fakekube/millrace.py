"""Helpers for driving Millrace against the fake cluster: register it as a cluster, and
build an in-process daemon whose clocks are the suite's one fake clock (tests/conftest.py's
FakeClock). Tests then tick until something a user would see has happened with
conftest's `tick_until` (the watch thread updates the daemon's view of pods
asynchronously, so "tick until" replaces "tick once").
"""
from __future__ import annotations

from pathlib import Path

from daemon.main import Daemon, make_executors
from daemon.sweeper import Sweeper
from daemon.upkeep import Upkeep
from models import clusters
from models.db import utcnow
from models.tables import TaskRun
from tests.conftest import FakeClock


def register(fake, name: str = "test", default: bool = True, **facts) -> clusters.Cluster:
    """The fake as a registered, healthy cluster whose namespace (millrace-<name>) exists."""
    from tests.fakekube.routes import BY_KEY
    namespace = f"millrace-{name}"
    if ("namespaces", "", namespace) not in fake.store.objects:
        fake.store.create(BY_KEY["namespaces"], None, {"metadata": {"name": namespace}, "status": {"phase": "Active"}})
    return clusters.add(name, "tester", kubeconfig=Path(fake.kubeconfig_path).read_text(), make_default=default,
                        health=facts.pop("health", "healthy"), namespace_created_at=utcnow(), **facts)


def make_daemon(time_: FakeClock | None = None, *, sweep_grace: float = 300.0, **kube_options) -> Daemon:
    if time_ is not None:
        kube_options.update(clock=time_.seconds, wall=time_.seconds)
    executors = make_executors(sleep=lambda s: None, **kube_options)
    return Daemon(executors, Upkeep(executors, Sweeper(executors, grace=sweep_grace)))


def task_of(run_id: int, name: str) -> TaskRun:
    return TaskRun.get((TaskRun.run == run_id) & (TaskRun.name == name))


def pod_of(run_id: int, name: str) -> str | None:
    """The pod name of a task once it has been started on a cluster."""
    import json
    task = task_of(run_id, name)
    return json.loads(task.handle_json).get("pod") if task.handle_json else None
