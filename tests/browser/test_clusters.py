"""The clusters page in headless Chromium against a real dashboard, a real daemon and the
fake Kubernetes API server: add a cluster from a pasted kubeconfig, see the daemon check
it (health, API server, version, namespace created), see refused credentials, make the
default, remove it with the warning that names the pipelines using it.

This module runs its own daemon and stops it at the end, so later modules still start
from "no daemon is running".
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import ids
from tests.browser.conftest import screenshot
from tests.conftest import wait_for
from tests.browser.pages import Page
from tests.fakekube.fixture import fake_kube  # noqa: F401  (pytest fixture)

pytestmark = pytest.mark.slow

USER = """
name: on-fake
cluster: fake
stages:
- name: S
  tasks:
  - name: t
    type: script
    image: busybox
    script: echo hi
"""


@pytest.fixture
def own_daemon(millrace):
    proc = millrace.start("daemon", log_name="daemon-clusters.log")
    yield proc
    proc.terminate()
    proc.wait(timeout=60)
    millrace.procs.remove(proc)


def row(name: str) -> str:
    return f'tr[data-cluster="{name}"]'


def test_add_a_cluster_from_a_pasted_kubeconfig_and_watch_its_health(millrace, chrome, fake_kube, own_daemon):
    page = Page(chrome, millrace.url)
    millrace.apply(USER)
    page.open("/clusters", ready=f"#{ids.CLUSTER_ADD}")
    page.fill(ids.CLUSTER_NAME, "fake")
    page.by_id(ids.CLUSTER_KUBECONFIG).send_keys(Path(fake_kube.kubeconfig_path).read_text())
    page.click(f"#{ids.CLUSTER_ADD}")
    page.wait_text(f"#{ids.CLUSTERS_FEEDBACK}", "Cluster 'fake' added")
    page.wait_text(row("fake"), "healthy")      # the daemon checked it
    shown = page.text_of(row("fake"))
    assert fake_kube.url in shown and "v1.31.0-fakekube" in shown and "millrace-fake" in shown
    assert "default" in page.text_of(f"{row('fake')} .cluster-default") and "on-fake" in shown
    assert "millrace-fake" in [n["metadata"]["name"] for n in fake_kube.store.list(namespaces(), None)]
    assert page.by_id(ids.CLUSTER_KUBECONFIG).get_attribute("value") == ""    # never rendered back
    screenshot(page.driver, "clusters")

    fake_kube.revoke_token()
    # `cluster check` records the health at once (the daemon's next check comes within 30 s); it
    # exits 1 for an unhealthy cluster, which millrace.cli would take for a failure.
    subprocess.run([*cli_args(millrace), "cluster", "check", "fake"], capture_output=True, timeout=60)
    page.wait_text(row("fake"), "refused")
    assert "refused the credentials (401 Unauthorized)" in page.text_of(row("fake"))

    page.click(f'{row("fake")} button[data-action="remove"]')
    page.wait_text(f"#{ids.CLUSTER_DIALOG_BODY}", "Used by 1 pipeline(s): on-fake")
    page.click(f"#{ids.CLUSTER_DIALOG_CONFIRM}")
    page.wait_text(f"#{ids.CLUSTERS_FEEDBACK}", "Cluster 'fake' removed.")
    wait_for(lambda: not page.all(row("fake")), message="the row to go")
    page.wait_text(".clusters-local-only", "No Kubernetes cluster is registered")


def test_a_kubeconfig_that_is_not_one_is_refused_with_the_reason(millrace, chrome):
    page = Page(chrome, millrace.url)
    page.open("/clusters", ready=f"#{ids.CLUSTER_ADD}")
    page.fill(ids.CLUSTER_NAME, "broken")
    page.by_id(ids.CLUSTER_KUBECONFIG).send_keys("hello: world\n")
    page.click(f"#{ids.CLUSTER_ADD}")
    page.wait_text(f"#{ids.CLUSTERS_FEEDBACK}", "this is not a kubeconfig")
    assert not page.all(row("broken"))


def namespaces():
    from tests.fakekube.routes import BY_KEY
    return BY_KEY["namespaces"]


def cli_args(millrace) -> list[str]:
    from tests.browser.conftest import RUN_PY
    return [sys.executable, str(RUN_PY), "--home", str(millrace.home), "--as", "tester"]
