"""Cluster health checks off the daemon's loop: the daemon's own Upkeep checks clusters in a
thread, so a cluster that accepts connections but never answers (packets dropped, a hung
API server) costs a tick nothing, while its check still ends, on its timeout, with the
answer recorded. A cluster added from the dashboard is still checked within about a second.

Not covered here, and not solved: the sweeper still lists pods inside the tick, with a
(5, 30) s timeout, in clusters last recorded healthy; so the first test drives `Upkeep`
without a sweeper, and the whole-daemon tests use a cluster last seen unreachable.
"""
import datetime as dt
import time
from pathlib import Path

from daemon.clusters import Upkeep
from daemon.executors.kube_pool import Executors
from daemon.executors.local import LocalExecutor
from daemon.main import Daemon
from models import clusters
from models.db import utcnow
from tests.fakekube.fixture import fake_kube  # noqa: F401  (pytest fixture)
from tests.fakekube.millrace import register


def timed_tick(ticker, now=None) -> float:
    began = time.monotonic()
    ticker.tick(now)
    return time.monotonic() - began


def wait_for(predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {predicate}")


def test_a_cluster_that_never_answers_does_not_stall_a_tick_and_its_check_is_recorded(home, fake_kube):
    register(fake_kube, "prod")
    assert Daemon().upkeep.background                   # the daemon's own construction: checks in a thread
    executors = Executors({"local": LocalExecutor()})
    upkeep = Upkeep(executors, background=True)
    fake_kube.blackhole()
    try:
        now = utcnow()
        assert timed_tick(upkeep, now) < 0.5
        wait_for(lambda: fake_kube.count(path="/version/") == 1, 2)     # the check is waiting on the cluster
        assert upkeep.checking() and clusters.get("prod").health == "healthy"
        # the next ticks, even when the next pass is due, neither wait nor start a second pass
        for later in (1, 31, 62):
            assert timed_tick(upkeep, now + dt.timedelta(seconds=later)) < 0.5
        assert fake_kube.count(path="/version/") == 1
        assert upkeep.join(timeout=10)                 # the client's read timeout (5 s) ends the check
        row = clusters.get("prod")
        assert (row.health, row.health_message) == ("unreachable", "cluster 'prod' unreachable: timed out")
        assert row.checked_at == now
    finally:
        fake_kube.blackhole(False)
        executors.close()


def test_an_answer_held_then_given_is_recorded_and_the_next_pass_runs(home, fake_kube):
    register(fake_kube, "prod", health="unreachable")
    daemon = Daemon()
    fake_kube.blackhole()
    try:
        now = utcnow()
        assert timed_tick(daemon, now) < 0.5
        wait_for(lambda: fake_kube.count(path="/version/") == 1, 2)
        fake_kube.blackhole(False)                      # the cluster answers after all
        assert daemon.upkeep.join(timeout=5)
        assert clusters.get("prod").health == "healthy"
        fake_kube.revoke_token()
        daemon.tick(now + dt.timedelta(seconds=31))     # the next periodic pass, in its own thread again
        assert daemon.upkeep.join(timeout=5)
        assert clusters.get("prod").health == "refused"
    finally:
        fake_kube.blackhole(False)
        daemon.shutdown()


def test_a_cluster_added_from_the_dashboard_is_still_checked_within_a_second(home, fake_kube):
    daemon = Daemon()
    try:
        daemon.tick()
        clusters.add("fresh", "dashboard", kubeconfig=Path(fake_kube.kubeconfig_path).read_text())
        began = time.monotonic()
        while clusters.get("fresh").health == "checking" and time.monotonic() - began < 3:
            daemon.tick()
            time.sleep(0.05)
        assert time.monotonic() - began < 1.5
        row = clusters.get("fresh")
        assert (row.health, row.version) == ("healthy", "v1.31.0-fakekube") and row.namespace_created_at
    finally:
        daemon.shutdown()
