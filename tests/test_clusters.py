"""Registering clusters and keeping them healthy: the CLI verbs through real processes,
kubeconfigs sealed at rest, health checks as the daemon records them, and the sweeper.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from kubernetes import client

from daemon import upkeep as daemon_clusters
from daemon.kube import names as kube_names
from daemon.sweeper import Sweeper
from models import clusters, pipelines
from models.db import database, utcnow
from models.tables import Run, StageRun, TaskRun
from tests.conftest import FakeClock, pipeline_spec, script_task
from tests.fakekube.fixture import fake_kube  # noqa: F401  (pytest fixture)
from tests.fakekube.millrace import register

ROOT = Path(__file__).resolve().parent.parent


def cli(home, *args, stdin=None):
    return subprocess.run([sys.executable, str(ROOT / "run.py"), "--home", str(home), "--as", "tester", *args],
                          input=stdin, capture_output=True, text=True, timeout=60)


def test_the_cluster_table_matches_its_migration(home):
    columns = {c.name for c in database.get_columns("cluster")}
    assert {f.column_name for f in clusters.Cluster._meta.sorted_fields} <= columns


def test_cluster_add_checks_it_creates_the_namespace_and_seals_the_kubeconfig(home, fake_kube):
    done = cli(home, "cluster", "add", "prod", "--kubeconfig", fake_kube.kubeconfig_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (f"cluster 'prod' added: API server {fake_kube.url} (v1.31.0-fakekube), "
                                   "namespace millrace-prod, the default cluster")
    assert fake_kube.store.get(fake_kube_ns(), None, "millrace-prod")["metadata"]["name"] == "millrace-prod"
    assert fake_kube.token.encode() not in (home / "millrace.db").read_bytes()
    row = clusters.get("prod")
    assert (row.health, row.server, row.is_default) == ("healthy", fake_kube.url, True)
    assert row.kubeconfig()["users"][0]["user"]["token"] == fake_kube.token
    listed = json.loads(cli(home, "cluster", "list", "--json").stdout)
    assert [(c["name"], c["health"], c["server"], c["default"]) for c in listed] == [
        ("prod", "healthy", fake_kube.url, True)]


def fake_kube_ns():
    from tests.fakekube.routes import BY_KEY
    return BY_KEY["namespaces"]


@pytest.mark.parametrize("setup, message", [
    (lambda fake, tmp: fake.kubeconfig(tmp / "kc", token="wrong"), "cluster 'bad' refused the credentials (401 Unauthorized)"),
    (lambda fake, tmp: (fake.kubeconfig(tmp / "kc"), fake.stop())[0], "cluster 'bad' unreachable: [Errno 111] Connection refused"),
    (lambda fake, tmp: (tmp / "kc").write_text("clusters: []\n") and str(tmp / "kc"), "this is not a kubeconfig"),
    (lambda fake, tmp: fake.kubeconfig(tmp / "kc", context="ctx"), "context 'other' is not in the kubeconfig (contexts: ctx)"),
], ids=["refused", "unreachable", "not-a-kubeconfig", "unknown-context"])
def test_cluster_add_refuses_what_it_cannot_use(home, fake_kube, tmp_path, setup, message):
    path = setup(fake_kube, tmp_path)
    args = ["--context", "other"] if "context" in message else []
    done = cli(home, "cluster", "add", "bad", "--kubeconfig", path, *args)
    assert done.returncode == 1 and message in done.stderr
    assert clusters.all_clusters() == []


def test_remove_warns_when_pipelines_use_the_cluster(home, fake_kube):
    register(fake_kube, "prod")
    pipelines.create(pipeline_spec("web", cluster="prod", stages=[{"name": "S", "tasks": [script_task("t", "true")]}]),
                     "tester")
    pipelines.create(pipeline_spec("anywhere", stages=[{"name": "S", "tasks": [script_task("t", "true")]}]), "tester")
    refused = cli(home, "cluster", "remove", "prod")
    assert refused.returncode == 1
    assert "cluster 'prod' is used by: anywhere, web" in refused.stderr and "--yes" in refused.stderr
    assert clusters.get("prod")
    done = cli(home, "cluster", "remove", "prod", "--yes")
    assert done.returncode == 0 and "cluster 'prod' removed" in done.stdout
    assert clusters.all_clusters() == []


def test_health_is_checked_and_recorded_with_its_time(home, fake_kube):
    row = register(fake_kube, "prod")
    core = client.CoreV1Api(fake_kube.api())
    facts = daemon_clusters.check(clusters.get("prod"))
    assert facts["health"] == "healthy" and facts["health_message"] == "API server v1.31.0-fakekube; namespace millrace-prod ready"
    core.delete_namespace("millrace-prod")
    assert daemon_clusters.check(clusters.get("prod"))["health"] == "namespace missing"
    assert "`python run.py cluster check prod` creates it again" in clusters.get("prod").health_message
    done = cli(home, "cluster", "check", "prod")
    assert done.returncode == 0 and "namespace millrace-prod created" in done.stdout
    fake_kube.revoke_token()
    daemon_clusters.check(clusters.get("prod"))
    refused = clusters.get("prod")
    assert (refused.health, refused.health_message) == ("refused", "cluster 'prod' refused the credentials (401 Unauthorized)")
    assert refused.checked_at > row.created_at


def test_a_cluster_added_from_the_dashboard_is_checked_by_the_daemon_at_once(home, fake_kube):
    from tests.fakekube.millrace import make_daemon
    clusters.add("fresh", "dashboard", kubeconfig=Path(fake_kube.kubeconfig_path).read_text())
    assert clusters.get("fresh").health == "checking"
    daemon = make_daemon()
    try:
        daemon.tick()
    finally:
        daemon.shutdown()
    row = clusters.get("fresh")
    assert (row.health, row.version) == ("healthy", "v1.31.0-fakekube") and row.namespace_created_at
    assert "millrace-fresh" in [n["metadata"]["name"] for n in fake_kube.store.list(fake_kube_ns(), None)]


def labelled_pod(core, name, labels):
    core.create_namespaced_pod("millrace-prod", {"metadata": {"name": name, "labels": labels},
                                                 "spec": {"containers": [{"name": "main", "image": "busybox"}]}})


def test_the_sweeper_deletes_only_its_own_leftovers_after_a_grace(home, fake_kube):
    row = register(fake_kube, "prod")
    p = pipelines.create(pipeline_spec("web", stages=[{"name": "S", "tasks": [script_task("t", "true")]}]), "tester")
    run = Run.create(pipeline=p, number=1, version=pipelines.current_version(p), cause="manual", status="running")
    stage = StageRun.create(run=run, position=1, name="S", mode="serial")
    active = TaskRun.create(run=run, stage_run=stage, position=0, name="a", task_type="script", status="running")
    over = TaskRun.create(run=run, stage_run=stage, position=1, name="b", task_type="script", status="succeeded")
    core = client.CoreV1Api(fake_kube.api())

    def ours(task, attempt=1):
        return kube_names.labels(run.id, task, attempt, "web", "t", row.owner_label)
    labelled_pod(core, "active", ours(active.id))
    labelled_pod(core, "finished", ours(over.id))
    labelled_pod(core, "old-attempt", ours(active.id, attempt=0))
    labelled_pod(core, "no-task", ours(999))
    labelled_pod(core, "other-install", kube_names.labels(run.id, over.id, 1, "web", "t", "someone-else"))
    labelled_pod(core, "not-millrace", {"app": "web"})
    core.create_namespaced_secret("millrace-prod", {"metadata": {"name": "finished", "labels": ours(over.id)}})
    clock = FakeClock()
    sweeper = Sweeper({"kubernetes:prod": type("E", (), {"core": core})()}, every=0, grace=300)
    assert sweeper.sweep(core, row, clock.now()) == []          # seen orphaned: the grace starts
    clock.advance(299)
    assert sweeper.sweep(core, row, clock.now()) == []
    clock.advance(2)
    assert sorted(sweeper.sweep(core, row, clock.now())) == ["Pod finished", "Pod no-task", "Pod old-attempt",
                                                             "Secret finished"]
    assert fake_kube.pod_names("millrace-prod") == ["active", "not-millrace", "other-install"]


def test_kubeconfig_text_is_never_printed_or_stored_in_clear(home, fake_kube):
    cli(home, "cluster", "add", "prod", "--kubeconfig", fake_kube.kubeconfig_path)
    listed = cli(home, "cluster", "list")
    assert fake_kube.token not in listed.stdout + listed.stderr
    assert clusters.get("prod").kubeconfig_sealed and fake_kube.token not in clusters.get("prod").kubeconfig_sealed
    assert utcnow() >= clusters.get("prod").checked_at
