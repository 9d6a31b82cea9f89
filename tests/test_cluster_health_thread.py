"""Cluster health checks off the daemon's loop: the daemon's own Upkeep checks clusters in a
thread, so a cluster that accepts connections but never answers (packets dropped, a hung
API server) costs a tick nothing, while its check still ends, on its timeout, with the
answer recorded. A cluster added from the dashboard is checked on the next one-second look
for new clusters, not at the 30-second periodic pass. The Kubernetes client's slow first
use (its API classes load lazily) happens in a warm-up thread, and the sweeper, which uses
the client inside the tick, waits for it.

"Costs a tick nothing" is shown by order of events, never by a stopwatch: the blackholed
cluster cannot answer before the client's 5 s read timeout, so a tick that returns while
the check is still in flight did not wait for it.

Not covered here, and not solved: the sweeper still lists pods inside the tick, with a
(5, 30) s timeout, in clusters last recorded healthy; so the first test drives `Upkeep`
without a sweeper, and the whole-daemon tests use a cluster last seen unreachable.
"""
import datetime as dt
import subprocess
import sys
from pathlib import Path

from daemon.executors.local import LocalExecutor
from daemon.executors.registry import Executors
from daemon.kube import client as kube_client
from daemon.main import Daemon
from daemon.upkeep import Upkeep
from models import clusters
from models.db import utcnow
from tests.conftest import wait_for
from tests.fakekube.fixture import fake_kube  # noqa: F401  (pytest fixture)
from tests.fakekube.millrace import register

ROOT = Path(__file__).resolve().parent.parent


def test_a_cluster_that_never_answers_does_not_stall_a_tick_and_its_check_is_recorded(home, fake_kube):
    register(fake_kube, "prod")
    assert Daemon().upkeep.background                   # the daemon's own construction: checks in a thread
    executors = Executors({"local": LocalExecutor()})
    upkeep = Upkeep(executors, background=True)
    fake_kube.blackhole()
    try:
        now = utcnow()
        upkeep.tick(now)
        assert upkeep.checking(), "the tick returned while the check still waits on the cluster"
        wait_for(lambda: fake_kube.count(path="/version/") == 1, message="the check to reach the cluster")
        assert upkeep.checking() and clusters.get("prod").health == "healthy"     # nothing recorded yet
        # the next ticks, even when the next pass is due, neither wait nor start a second pass
        for later in (1, 31, 62):
            upkeep.tick(now + dt.timedelta(seconds=later))
            assert upkeep.checking(), f"the tick at +{later} s returned while the check still waits"
        assert fake_kube.count(path="/version/") == 1
        assert upkeep.join(timeout=60)                 # the client's read timeout (5 s) ends the check
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
        daemon.tick(now)
        assert daemon.upkeep.checking(), "the tick returned while the check still waits on the cluster"
        wait_for(lambda: fake_kube.count(path="/version/") == 1, message="the check to reach the cluster")
        fake_kube.blackhole(False)                      # the cluster answers after all
        assert daemon.upkeep.join(timeout=60)
        assert clusters.get("prod").health == "healthy"
        fake_kube.revoke_token()
        daemon.tick(now + dt.timedelta(seconds=31))     # the next periodic pass, in its own thread again
        assert daemon.upkeep.join(timeout=60)
        assert clusters.get("prod").health == "refused"
    finally:
        fake_kube.blackhole(False)
        daemon.shutdown()


def test_a_cluster_added_from_the_dashboard_is_checked_on_the_next_look_for_new_clusters(home, fake_kube, clock):
    daemon = Daemon()
    try:
        daemon.tick(clock.now())                        # the periodic pass: nothing registered yet
        assert daemon.upkeep.join(timeout=60)
        clusters.add("fresh", "dashboard", kubeconfig=Path(fake_kube.kubeconfig_path).read_text())
        daemon.tick(clock.now())                        # the same instant: no look is due yet
        assert not daemon.upkeep.checking() and clusters.get("fresh").health == "checking"
        daemon.tick(clock.advance(1))                   # one second on: the look for new clusters (the
        assert daemon.upkeep.join(timeout=60)           # periodic pass is 29 s away)
        row = clusters.get("fresh")
        assert (row.health, row.version) == ("healthy", "v1.31.0-fakekube") and row.namespace_created_at
    finally:
        daemon.shutdown()


class CountingSweeper:
    def __init__(self):
        self.ticks = 0

    def tick(self, now):
        self.ticks += 1


def test_the_sweeper_waits_in_the_daemon_until_the_client_is_warm(home, fake_kube, monkeypatch):
    register(fake_kube, "prod", health="unreachable")
    not_yet = kube_client.threading.Event()
    monkeypatch.setattr(kube_client, "_warm", not_yet)
    monkeypatch.setattr(kube_client, "_warm_thread", object())     # "started", and never done
    executors = Executors({"local": LocalExecutor()})
    in_daemon, in_tests = CountingSweeper(), CountingSweeper()
    upkeeps = [Upkeep(executors, in_daemon, background=True), Upkeep(executors, in_daemon, background=True)]
    try:
        now = utcnow()
        upkeeps[0].tick(now)
        Upkeep(executors, in_tests).tick(now)           # checks in the tick (tests): the tick warms nothing
        assert (in_daemon.ticks, in_tests.ticks) == (0, 1)
        not_yet.set()                                   # the client is loaded: the next tick sweeps
        upkeeps[1].tick(now)
        assert in_daemon.ticks == 1
    finally:
        assert all(u.join(timeout=60) for u in upkeeps)
        executors.close()


WARMS = """
import sys
from models import home
home.open_home(sys.argv[1])
from daemon.kube import client as clusters
from daemon.main import Daemon
API = "kubernetes.client.api.core_v1_api"
assert API not in sys.modules, "loaded before the daemon was made: this test would prove nothing"
daemon = Daemon()                  # a cluster is registered: the warm-up starts with the daemon
assert clusters._warm.wait(120), "the warm-up never finished"
print(API in sys.modules, clusters.client_warm())
"""


def test_a_daemon_with_a_registered_cluster_loads_the_client_in_a_thread_at_startup(home, fake_kube):
    register(fake_kube, "prod", health="unreachable")
    done = subprocess.run([sys.executable, "-c", WARMS, str(home)], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]
