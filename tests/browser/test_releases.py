"""The releases page in headless Chromium: a chart release deployed twice by a real daemon
to the fake cluster from a real registry shows its history; "roll back to this revision",
confirmed, queues the rollback run, and revision 3 appears with revision 1's chart version
and values while the Deployment goes back.

This test has its own data directory, dashboard and daemon: it registers a default
cluster, which would move the shared session's script tasks onto it.
"""
from __future__ import annotations

import urllib.request

import pytest
from kubernetes import client
from selenium.webdriver.common.by import By

from daemon.tasks.lib.charts import ChartRepository, build_and_publish
from daemon.tasks.lib.registry import Registry
from dashboard import ids
from tests.browser.conftest import TESTER, TESTER_PASSWORD, Millrace, free_port, screenshot, sign_in
from tests.conftest import wait_for
from tests.browser.pages import Page
from tests.delivery.examples import example_nginx_chart
from tests.delivery.fixtures import require_tools
from tests.delivery.registry_server import start_registry
from tests.fakekube.fixture import fake_kube  # noqa: F401  (pytest fixture)

pytestmark = pytest.mark.slow

PIPELINE = """
name: web
parameters:
  CHART_VERSION: 1.0.0
  REPLICAS: "1"
stages:
- name: Deploy
  tasks:
  - name: deploy
    type: deploy_chart
    release: nginx
    chart: nginx
    chart_version: ${CHART_VERSION}
    namespace: web
    parameters:
      replicaCount: ${REPLICAS}
"""


@pytest.fixture
def registry(tmp_path):
    require_tools("docker-registry")
    server = start_registry(tmp_path / "registry")
    yield server
    server.stop()


@pytest.fixture
def own_millrace(tmp_path, fake_kube, registry):
    """A fresh Millrace (dashboard + daemon) with the registry, chart repository and fake cluster set."""
    app = Millrace(tmp_path / "home", free_port())
    app.home.mkdir()
    app.cli("migrate")
    app.cli("user", "add", TESTER, "--admin", "--password-stdin", "--no-forced-change", stdin=TESTER_PASSWORD)
    app.cli("registry", "add", "local", "--url", f"http://{registry.host}")
    app.cli("chart-repo", "set", f"oci://{registry.host}/charts", "--registry", "local")
    app.cli("cluster", "add", "test", "--kubeconfig", fake_kube.kubeconfig_path, "--default")
    app.apply(PIPELINE)
    try:
        app.start("dashboard", "--port", str(app.port), log_name="dashboard.log")
        app.start("daemon", log_name="daemon.log")

        def alive():
            with urllib.request.urlopen(app.url + "/api/health", timeout=2) as response:
                return b'"running"' in response.read()
        wait_for(alive, interval=0.2, message="the dashboard and the daemon's first heartbeat")
        yield app
    finally:
        app.stop_all()


def publish(tmp_path, registry, version):
    source = tmp_path / "chart-src"
    for path, text in example_nginx_chart(registry.host, "busybox").items():
        if path.startswith("nginx/"):
            (source / path).parent.mkdir(parents=True, exist_ok=True)
            (source / path).write_text(text)
    repo = ChartRepository(Registry(f"http://{registry.host}"))
    build_and_publish(source, "nginx", "nginx", version, {"BUILD_ID": version}, repo, tmp_path / f"work-{version}")


def replicas(fake_kube) -> int:
    return client.AppsV1Api(fake_kube.api()).read_namespaced_deployment("nginx", "web").spec.replicas


def revision_row(n: int) -> str:
    return f'.release-card[data-release="nginx"] tr[data-revision="{n}"]'


def test_release_history_and_rollback_from_the_dashboard(own_millrace, chrome, fake_kube, registry, tmp_path):
    publish(tmp_path, registry, "1.0.0")
    publish(tmp_path, registry, "2.0.0")
    own_millrace.cli("run", "web", "--wait")
    own_millrace.cli("run", "web", "--param", "CHART_VERSION=2.0.0", "--param", "REPLICAS=3", "--wait")
    assert replicas(fake_kube) == 3

    sign_in(chrome, own_millrace.url)            # its own data directory: its own users and cookie
    page = Page(chrome, own_millrace.url)
    page.open("/pipelines")
    page.click("a.nav-link[href='/releases']")
    card = page.wait_text('.release-card[data-release="nginx"]', "cluster test, namespace web (revision 2 deployed)")
    assert "nginx 2.0.0" in page.text_of(revision_row(2)) and "replicaCount=3" in page.text_of(revision_row(2))
    assert "superseded" in page.text_of(revision_row(1)) and "replicaCount=1" in page.text_of(revision_row(1))
    assert "web#1" in page.text_of(revision_row(1)) and "install" in page.text_of(revision_row(1))
    assert not page.all(f'{revision_row(2)} button[data-action="rollback"]'), card   # the deployed one: no rollback

    page.click(f'{revision_row(1)} button[data-action="rollback"]')
    body = page.wait_text(f"#{ids.RELEASE_DIALOG_BODY}", "to revision 1?")
    assert "Chart nginx 1.0.0 is deployed again with replicaCount=1" in body
    page.click(f"#{ids.RELEASE_DIALOG_CONFIRM}")
    page.wait_text(f"#{ids.RELEASES_FEEDBACK}", "Queued web#3: release nginx goes back to revision 1.")
    wait_for(lambda: not page.all(f".modal.show #{ids.RELEASE_DIALOG_CONFIRM}"), message="the dialog to close")

    row = page.wait_text(revision_row(3), "deployed", timeout=60)
    assert "nginx 1.0.0" in row and "replicaCount=1" in row and "rollback to 1" in row and "web#3" in row
    page.wait_text('.release-card[data-release="nginx"]', "(revision 3 deployed)")
    assert "superseded" in page.text_of(revision_row(2))
    assert replicas(fake_kube) == 1
    screenshot(chrome, "releases")
    chrome.find_element(By.CSS_SELECTOR, f'{revision_row(3)} a[href$="/runs/3"]').click()
    page.wait_text("#_pages_content", "rollback of release nginx to revision 1")
