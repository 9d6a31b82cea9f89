"""A cluster registered with `cluster add NAME --in-cluster`: Millrace running in a pod, with
the pod's service account (token and CA files, KUBERNETES_SERVICE_HOST/PORT) as credentials.

The fake API server serves https here (the in-cluster loader accepts nothing else) with a
self-signed certificate that plays the service account's ca.crt. The loader's file names
and environment are pointed at a temporary service account, and the CLI runs in-process,
so the product has no test-only setting. What a user sees: the address and version, the
namespace created, the cluster healthy, a pipeline's task running as a pod on it, and a
wrong token refused with the API server's words.
"""
import pytest
from kubernetes.config import incluster_config

from cli.main import main
from daemon import upkeep as daemon_clusters
from models import clusters, logs, pipelines, runs
from models.tables import Run
from tests.conftest import pipeline_spec, script_task, tick_until
from tests.fakekube.fixture import fake_kube_tls  # noqa: F401  (pytest fixture)
from tests.fakekube.kubelet import AutoKubelet
from tests.fakekube.millrace import make_daemon, task_of
from tests.fakekube.routes import BY_KEY


@pytest.fixture
def service_account(fake_kube_tls, tmp_path, monkeypatch):
    """The files and variables Kubernetes gives a pod; returns the token file."""
    account = tmp_path / "serviceaccount"
    account.mkdir()
    token, ca = account / "token", account / "ca.crt"
    token.write_text(fake_kube_tls.token)
    ca.write_bytes(fake_kube_tls.ca_path.read_bytes())
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(ca))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(fake_kube_tls.port))
    return token


def cli(home, *args) -> int:
    return main(["--home", str(home), "--as", "tester", *args])


def namespaces(fake) -> list[str]:
    return [n["metadata"]["name"] for n in fake.store.list(BY_KEY["namespaces"], None)]


def test_in_cluster_add_records_the_server_creates_the_namespace_and_runs_a_pod(
        home, fake_kube_tls, service_account, tmp_path, capsys):
    fake = fake_kube_tls
    assert fake.url.startswith("https://127.0.0.1:")
    assert cli(home, "cluster", "add", "incl", "--in-cluster") == 0
    assert capsys.readouterr().out.strip() == (f"cluster 'incl' added: API server {fake.url} (v1.31.0-fakekube), "
                                               "namespace millrace-incl, the default cluster")
    row = clusters.get("incl")
    assert (row.in_cluster, row.server, row.version, row.health, row.kubeconfig_sealed) == (
        True, fake.url, "v1.31.0-fakekube", "healthy", "")
    assert row.health_message == "API server v1.31.0-fakekube; namespace millrace-incl created"
    assert "millrace-incl" in namespaces(fake)
    # every request carried the service account's token over https
    assert fake.count(method="POST", resource="namespaces") == 1
    # the daemon's own check of the stored row uses the service account as well
    assert daemon_clusters.check(clusters.get("incl"))["health"] == "healthy"

    p = pipelines.create(pipeline_spec("web", cluster="incl", stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("work", 'echo "hello from a pod on $CLUSTER"', tag="1.36",
                    env=[{"name": "CLUSTER", "value": "incl"}])]}]), "tester")
    kubelet = AutoKubelet(fake, "millrace-incl", tmp_path / "pods")
    daemon = make_daemon()
    try:
        run = runs.enqueue_run(p, "manual", "tester")
        done = tick_until(daemon, lambda: (r := Run.get_by_id(run.id)).finished_at and r,
                          message="the run's end")
    finally:
        daemon.shutdown()
        kubelet.stop()
    assert done.status == "succeeded", done.reason
    work = task_of(run.id, "work")
    assert work.executor == "kubernetes:incl" and work.status == "succeeded"
    assert kubelet.runtimes, "the pod ran on the fake kubelet"
    assert [t for _, _, t in logs.lines_after(work.id)][-1] == "hello from a pod on incl"


def test_in_cluster_add_with_a_wrong_token_is_refused(home, fake_kube_tls, service_account, capsys):
    service_account.write_text("not-the-token")
    assert cli(home, "cluster", "add", "bad", "--in-cluster") == 1
    assert capsys.readouterr().err.strip() == (
        "error: cluster 'bad' refused the credentials (401 Unauthorized) — the cluster was not added")
    assert clusters.all_clusters() == []
    assert "millrace-bad" not in namespaces(fake_kube_tls)


def test_in_cluster_add_outside_a_pod_says_why(home, monkeypatch, capsys):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    assert cli(home, "cluster", "add", "nopod", "--in-cluster") == 1
    assert "cluster 'nopod' cannot be used: Service host/port is not set." in capsys.readouterr().err
    assert clusters.all_clusters() == []
