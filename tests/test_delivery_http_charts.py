"""HTTP chart repositories through the daemon: the manual's example 2 publishing chart `nginx`
6.0.1-alpha.<n> to nginx-with-WebDAV (basic auth, credentials set with the chart repository),
and a deploy chart task installing a version from that repository on the fake cluster."""
from __future__ import annotations

import json

import pytest
import yaml

from daemon.tasks.lib.chart_http import HttpChartRepository
from daemon.tasks.lib.charts import fetch_chart, render_chart
from daemon.tasks.lib.registry import Registry
from models import logs, pipelines, registries, releases, runs
from tests.conftest import pipeline_spec
from tests.delivery.fixtures import *  # noqa: F401,F403
from tests.delivery.fixtures import REGISTRY_PASSWORD, REGISTRY_USER
from tests.fakekube.fixture import fake_kube  # noqa: F401  (pytest fixture)
from tests.fakekube.millrace import make_daemon, register
from tests.test_delivery_e2e import build_task, chart_task, run_pipeline, source
from tests.test_deploy_chart import chart_files, deploy_task, finish, image_of, publish

slow = pytest.mark.slow


@slow
def test_example_2_publishes_the_run_numbered_chart_to_an_http_repository(
        home, daemon, container_env, example_repos, registry, auth_chart_server, tmp_path):
    registries.add("local", f"http://{registry.host}", "tester")
    registries.set_chart_repository(auth_chart_server.url, "tester", username=REGISTRY_USER, password=REGISTRY_PASSWORD)
    done, tasks = run_pipeline(daemon, pipeline_spec("nginx", source=source(example_repos.server, "nginx-chart"), stages=[
        {"name": "Build", "mode": "parallel", "tasks": [build_task(image="nginx", tag="6.0.1-alpha.${BUILD_ID}"),
                                                         chart_task()]}]))
    assert done.status == "succeeded", done.reason
    assert registry.tags("devops/nginx") == ["6.0.1-alpha.1"]
    index = yaml.safe_load(auth_chart_server.get("index.yaml").text)
    [entry] = index["entries"]["nginx"]
    ref = f"{auth_chart_server.url}/nginx-6.0.1-alpha.1.tgz"
    assert entry["version"] == "6.0.1-alpha.1" and entry["urls"] == [ref]
    assert json.loads(tasks["chart"].outputs_json) == {"CHART_REF": ref, "CHART_DIGEST": "sha256:" + entry["digest"]}
    log = logs.text(tasks["chart"].id)
    assert f"uploading it to {auth_chart_server.url}" in log and f"millrace: pushed chart {ref}" in log
    assert REGISTRY_PASSWORD not in log
    assert registries.default().name == "local"         # the chart repository's credentials are not the default
    repo = HttpChartRepository(auth_chart_server.url, Registry("http://" + auth_chart_server.url.split("/")[2],
                                                               REGISTRY_USER, REGISTRY_PASSWORD))
    archive = fetch_chart(repo, "nginx", "6.0.1-alpha.1", tmp_path / "fetched")
    deployment = next(doc for _, doc in render_chart(archive, "nginx", "web") if doc["kind"] == "Deployment")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == f"{registry.host}/devops/nginx:6.0.1-alpha.1"


@pytest.fixture
def kube_daemon(home, fake_kube):
    register(fake_kube)
    made = make_daemon()
    yield made
    made.shutdown()


@slow
def test_deploy_chart_installs_a_version_from_the_http_repository(home, kube_daemon, fake_kube, chart_server, tmp_path):
    registries.set_chart_repository(chart_server.url, "tester")
    repo = HttpChartRepository(chart_server.url, Registry("http://" + chart_server.url.split("/")[2]))
    publish(tmp_path, repo, "1.0.0", chart_files("registry.test:5000"))
    publish(tmp_path, repo, "1.1.0", chart_files("registry.test:5000"))
    p = pipelines.create(pipeline_spec("deploy", stages=[
        {"name": "Deploy", "mode": "serial", "tasks": [deploy_task(version="1.1.0", replicaCount="2")]}]), "tester")
    done = finish(kube_daemon, runs.enqueue_run(p, "manual", "tester").id)
    assert done.status == "succeeded", done.reason
    assert image_of(fake_kube) == ("registry.test:5000/devops/nginx:6.0.1-alpha.0", 2)
    [rev] = releases.history("nginx")
    assert (rev.status, rev.chart_version) == ("deployed", "1.1.0")
    p = pipelines.create(pipeline_spec("missing", stages=[
        {"name": "Deploy", "mode": "serial", "tasks": [deploy_task(version="9.9.9")]}]), "tester")
    done = finish(kube_daemon, runs.enqueue_run(p, "manual", "tester").id)
    assert done.status == "failed"
    assert done.reason == (f"task 'deploy' in stage 'Deploy' failed: chart nginx version 9.9.9 not found in "
                           f"{chart_server.url} (available: 1.1.0, 1.0.0)")
