"""The editor's pickers in a real browser against the real dashboard and CLI (issue 12):
the cluster of a deploy task and the registry of a build-image task are chosen from what is
registered; namespaces, chart names and versions are free text with suggestions (a chart
built earlier in the same definition among them); a deploy task with no usable cluster is
refused at save, on its cluster field, naming the Clusters page. The cluster lives on the
fake Kubernetes API server and is removed again at the end, like test_settings.py's.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.support.ui import Select

from dashboard.editor import ids as eid
from tests.browser.test_editor import Editor, stored
from tests.conftest import wait_for
from tests.fakekube.fixture import fake_kube  # noqa: F401  (pytest fixture)

pytestmark = pytest.mark.slow

DELIVERY = """
name: delivery
stages:
- name: Build
  tasks:
  - name: image
    type: build_image
    image: app
    tag: "1.0"
    workspace: team
  - name: chart
    type: build_chart
    chart_dir: chart
    chart_name: app-chart
    chart_version: 1.0.${BUILD_ID}
- name: Deploy
  tasks:
  - name: manifests
    type: deploy_yaml
    file: k8s/app.yaml
    namespace: web
  - name: release
    type: deploy_chart
    release: app
    chart: app-chart
    chart_version: 1.0.${BUILD_ID}
    namespace: web
"""
GHOST = """
name: ghost-deploy
stages:
- name: Deploy
  tasks:
  - name: manifests
    type: deploy_yaml
    file: k8s/app.yaml
    namespace: web
    cluster: ghost
"""


@pytest.fixture
def staging(millrace, fake_kube):
    millrace.cli("cluster", "add", "staging", "--kubeconfig", str(Path(fake_kube.kubeconfig_path)))
    millrace.cli("registry", "add", "hub", "--url", "registry.example.com")
    yield "staging"
    millrace.cli("cluster", "remove", "staging", "--yes")
    millrace.cli("registry", "remove", "hub")


def options(ed, path):
    return [o.get_attribute("value") for o in Select(ed.el(eid.field(path))).options]


def suggested(ed, path):
    return ed.d.execute_script("const i = arguments[0]; return i.list ? [...i.list.options].map(o => o.value) : null;",
                               ed.el(eid.field(path)))


def test_pickers_offer_what_is_registered(millrace, chrome, staging):
    millrace.apply(DELIVERY)
    ed = Editor(chrome, f"{millrace.url}/pipelines/{stored(millrace, 'delivery')[0]}/edit")
    ed.wait_stages(["Build", "Deploy"])
    ed.click_node("task-0-0")                                                   # build & publish image
    wait_for(lambda: "hub" in options(ed, "stages[0].tasks[0].registry"), message="the registered registry")
    ed.click_node("task-1-0")                                                   # deploy YAML
    wait_for(lambda: "staging" in options(ed, "stages[1].tasks[0].cluster"), message="the registered cluster")
    wait_for(lambda: "millrace-staging" in (suggested(ed, "stages[1].tasks[0].namespace") or []),
             message="the cluster's namespace suggested")
    wait_for(lambda: Select(ed.el(eid.field("stages[1].tasks[0].cluster"))).select_by_value("staging") or True,
             message="choosing staging")
    ed.click_node("task-1-1")                                                   # deploy chart
    wait_for(lambda: "app-chart" in (suggested(ed, "stages[1].tasks[1].chart") or []),
             message="the chart built earlier suggested")
    assert "1.0.${BUILD_ID}" in suggested(ed, "stages[1].tasks[1].chart_version")
    assert "staging" in options(ed, "stages[1].tasks[1].cluster")
    ed.el(eid.SAVE).click()
    wait_for(lambda: stored(millrace, "delivery")[1] == 2, message="version 2")
    assert stored(millrace, "delivery")[2]["stages"][1]["tasks"][0]["cluster"] == "staging"


def test_a_deploy_task_with_no_usable_cluster_is_refused_at_save(millrace, chrome):
    millrace.apply(GHOST)
    ed = Editor(chrome, f"{millrace.url}/pipelines/{stored(millrace, 'ghost-deploy')[0]}/edit")
    ed.wait_stages(["Deploy"])
    ed.type("description", "try to save")
    ed.el(eid.SAVE).click()
    wait_for(lambda: "Clusters page (/clusters)" in ed.el(eid.PROBLEMS).text, message="the refusal")
    assert "cluster 'ghost' is not registered" in ed.el(eid.PROBLEMS).text
    ed.click_node("task-0-0")
    wait_for(lambda: ed.el(eid.field("stages[0].tasks[0].file")), message="the task form")
    wait_for(lambda: "Clusters page" in ed.el(eid.feedback("stages[0].tasks[0].cluster")).text,
             message="the message on the cluster field")
    assert "ghost (not registered)" in [o.text for o in Select(ed.el(eid.field("stages[0].tasks[0].cluster"))).options]
    assert stored(millrace, "ghost-deploy")[1] == 1                              # nothing stored
