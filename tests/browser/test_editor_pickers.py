"""The editor's pickers in a real browser against the real dashboard and CLI (issue 12):
the cluster of a deploy task and the registry of a build-image task are chosen from what is
registered; namespaces, chart names and versions are free text with suggestions (a chart
built earlier in the same definition among them, and the charts of the chart repository with
the versions of the chart typed, newest first); a deploy task with no usable cluster is
refused at save, on its cluster field, naming the Clusters page. The cluster lives on the
fake Kubernetes API server and is removed again at the end, like test_settings.py's.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.support.ui import Select

from daemon.tasks.lib.chart_http import HttpChartRepository
from daemon.tasks.lib.charts import build_and_publish
from daemon.tasks.lib.registry import Registry
from dashboard.editor import ids as eid
from tests.delivery.chart_server import start_chart_server
from tests.delivery.examples import example_nginx_chart
from tests.delivery.fixtures import require_tools
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


@pytest.fixture
def chart_repository(millrace, tmp_path):
    """A real HTTP chart repository (nginx) holding app-chart 1.0.0 and 1.1.0 and web-chart 0.3.0, set as
    Millrace's (it stays set, unreachable once stopped: the editor then notes it cannot be read)."""
    require_tools("nginx", "openssl")
    server = start_chart_server(tmp_path / "chart-server")
    source = tmp_path / "chart-src"
    for path, text in example_nginx_chart("registry.test:5000", "busybox").items():
        if path.startswith("nginx/"):
            (source / path).parent.mkdir(parents=True, exist_ok=True)
            (source / path).write_text(text)
    repo = HttpChartRepository(server.url, Registry(server.url.rsplit("/", 1)[0]))
    for name, version in (("app-chart", "1.0.0"), ("app-chart", "1.1.0"), ("web-chart", "0.3.0")):
        build_and_publish(source, "nginx", name, version, {"BUILD_ID": "1"}, repo, tmp_path / f"work-{name}-{version}")
    millrace.cli("chart-repo", "set", server.url)
    yield server
    server.stop()


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


def test_the_chart_pickers_offer_the_chart_repository(millrace, chrome, chart_repository):
    millrace.apply(DELIVERY.replace("name: delivery", "name: delivery-charts"))
    ed = Editor(chrome, f"{millrace.url}/pipelines/{stored(millrace, 'delivery-charts')[0]}/edit")
    ed.wait_stages(["Build", "Deploy"])
    ed.click_node("task-1-1")                                                   # deploy chart
    chart, version = "stages[1].tasks[1].chart", "stages[1].tasks[1].chart_version"
    wait_for(lambda: {"app-chart", "web-chart"} <= set(suggested(ed, chart) or []),
             message="the repository's charts suggested")
    assert suggested(ed, version)[:3] == ["1.1.0", "1.0.0", "1.0.${BUILD_ID}"]      # newest first, then the built one
    ed.type(chart, "web-chart")
    wait_for(lambda: (suggested(ed, version) or [])[:1] == ["0.3.0"], message="web-chart's versions suggested")
    assert "1.1.0" not in suggested(ed, version)
    ed.type(version, "0.3.0-local")                                              # free text stays allowed
    assert ed.el(eid.field(version)).get_attribute("value") == "0.3.0-local"
