"""Deploy chart tasks against the fake cluster and a real registry: the manual's example 2
end to end through the daemon (image, chart, release `nginx`; an upgrade; a rollback from
the CLI), a missing chart version, pruning, render and cluster faults, and the release
history's rules (Helm's install order, rollbacks only of deployed revisions)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from kubernetes import client

from daemon.tasks.lib.charts import ChartError, ChartRepository, build_and_publish
from daemon.tasks.lib.registry import Registry
from daemon.tasks.lib.release_manifests import arrange
from models import logs, pipelines, registries, releases, runs
from models.tables import PipelineVersion, Run, TaskRun
from tests.conftest import pipeline_spec, tick_until
from tests.delivery.examples import example_nginx_chart
from tests.delivery.fixtures import *  # noqa: F401,F403
from tests.fakekube.fixture import fake_kube  # noqa: F401  (pytest fixture)
from tests.fakekube.kubelet import AutoKubelet
from tests.fakekube.millrace import make_daemon, register, task_of

ROOT = Path(__file__).resolve().parent.parent
slow = pytest.mark.slow


@pytest.fixture
def kube_daemon(home, fake_kube, tmp_path):
    register(fake_kube)
    kubelet = AutoKubelet(fake_kube, fake_kube.namespace, tmp_path / "kubelet")   # runs the image build's kaniko pod
    made = make_daemon()
    yield made
    made.shutdown()
    kubelet.stop()


@pytest.fixture
def container_env(containers, monkeypatch):
    for key, value in containers.env.items():
        if not key.startswith("REGISTRY_"):
            monkeypatch.setenv(key, value)
    return containers


def finish(daemon, run_id, timeout=120):
    return tick_until(daemon, lambda: (r := Run.get_by_id(run_id)).finished_at and r, timeout=timeout,
                      message=f"the end of run {run_id}")


def cli(home, *args):
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "--home", str(home), "--as", "tester", *args],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    return done.returncode, done.stdout + done.stderr


def deploy_task(version="6.0.1-alpha.${BUILD_ID}", **parameters):
    return {"name": "deploy", "type": "deploy_chart", "release": "nginx", "chart": "nginx", "chart_version": version,
            "namespace": "web", "parameters": parameters}


def image_of(fake_kube, name="nginx", namespace="web"):
    deployment = client.AppsV1Api(fake_kube.api()).read_namespaced_deployment(name, namespace)
    return deployment.spec.template.spec.containers[0].image, deployment.spec.replicas


def use_registry(registry):
    registries.add("local", f"http://{registry.host}", "tester")
    registries.set_chart_repository(f"oci://{registry.host}/charts", "tester", "local")
    return ChartRepository(Registry(f"http://{registry.host}"))


def publish(tmp_path, repo, version, files):
    """Publish a chart made of `files` (paths under nginx/) straight to the repository."""
    root = tmp_path / f"src-{version}"
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return build_and_publish(root, "nginx", "nginx", version, {"BUILD_ID": "0"}, repo, tmp_path / f"work-{version}")


CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  greeting: hello
"""


def chart_files(registry_host, extra=None):
    files = example_nginx_chart(registry_host, "localhost/busybox:latest")
    files = {k: v for k, v in files.items() if k.startswith("nginx/")}
    files["nginx/values.yaml"] = files["nginx/values.yaml"].replace("${BUILD_ID}", "0")
    files.update(extra or {})
    return files


@slow
def test_example_2_deploys_release_nginx_upgrades_it_and_rolls_back_from_the_cli(
        home, kube_daemon, fake_kube, container_env, example_repos, registry):
    use_registry(registry)
    p = pipelines.create(pipeline_spec(
        "nginx", source={"repository": example_repos.server.url("nginx-chart"), "branch": "master"},
        parameters={"REPLICAS": "1"}, stages=[
            {"name": "Build", "mode": "parallel", "tasks": [
                {"name": "image", "type": "build_image", "image": "nginx", "tag": "6.0.1-alpha.${BUILD_ID}",
                 "workspace": "devops"},
                {"name": "chart", "type": "build_chart", "chart_dir": "nginx", "chart_name": "nginx",
                 "chart_version": "6.0.1-alpha.${BUILD_ID}"}]},
            {"name": "Deploy", "mode": "serial", "tasks": [deploy_task(replicaCount="${REPLICAS}")]}]), "tester")
    first = finish(kube_daemon, runs.enqueue_run(p, "manual", "tester").id)
    assert first.status == "succeeded", first.reason
    assert image_of(fake_kube) == (f"{registry.host}/devops/nginx:6.0.1-alpha.1", 1)
    assert registry.tags("devops/nginx") == ["6.0.1-alpha.1"] and registry.tags("charts/nginx") == ["6.0.1-alpha.1"]
    [rev1] = releases.history("nginx")
    assert (rev1.revision, rev1.status, rev1.chart_version, rev1.values, rev1.run_id, rev1.description) == (
        1, "deployed", "6.0.1-alpha.1", {"replicaCount": "1"}, first.id, "install")
    log = logs.text(task_of(first.id, "deploy").id, timestamps=False)
    assert (f"[millrace] deploying release nginx: chart nginx 6.0.1-alpha.1 from oci://{registry.host}/charts to "
            f"namespace web on cluster 'test' ({fake_kube.url})") in log
    assert "[1/2] Service nginx: created (v1, namespace web) from nginx/templates/service.yaml" in log
    assert "[2/2] Deployment nginx: created (apps/v1, namespace web) from nginx/templates/deployment.yaml" in log
    assert "Deployment nginx: rolled out (1/1 ready, 1/1 updated)" in log
    assert json.loads(task_of(first.id, "deploy").outputs_json) == {"RELEASE_REVISION": "1"}
    labels = client.CoreV1Api(fake_kube.api()).read_namespaced_service("nginx", "web").metadata.labels
    assert labels["millrace.dev/release"] == "nginx" and labels["app.kubernetes.io/instance"] == "nginx"

    second = finish(kube_daemon, runs.enqueue_run(p, "manual", "tester", parameters={"REPLICAS": "2"}).id)
    assert second.status == "succeeded", second.reason
    assert image_of(fake_kube) == (f"{registry.host}/devops/nginx:6.0.1-alpha.2", 2)
    assert [(r.revision, r.status, r.description) for r in releases.history("nginx")] == [
        (2, "deployed", "upgrade"), (1, "superseded", "install")]

    code, out = cli(home, "release", "rollback", "nginx", "1")
    assert code == 0, out
    rollback = Run.select().where(Run.cause == "rollback").get()
    assert f"queued nginx#{rollback.number}: release nginx goes back to revision 1" in out
    done = finish(kube_daemon, rollback.id)
    assert done.status == "succeeded", done.reason
    assert image_of(fake_kube) == (f"{registry.host}/devops/nginx:6.0.1-alpha.1", 1)
    rev3 = releases.history("nginx")[0]
    assert (rev3.revision, rev3.status, rev3.chart_version, rev3.values, rev3.rollback_of, rev3.run_id) == (
        3, "deployed", "6.0.1-alpha.1", {"replicaCount": "1"}, 1, rollback.id)
    assert [t.name for t in TaskRun.select().where(TaskRun.run == rollback.id)] == ["roll back nginx"]
    assert pipelines.current_version(pipelines.get("nginx")).id != rollback.version_id    # the pipeline is unchanged
    assert sorted(registry.tags("devops/nginx")) == ["6.0.1-alpha.1", "6.0.1-alpha.2"]   # nothing was rebuilt

    code, out = cli(home, "release", "history", "nginx")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].split() == ["REVISION", "STATUS", "CHART", "VERSION", "VALUES", "RUN", "DEPLOYED", "DESCRIPTION"]
    assert lines[1].split()[:6] == ["3", "deployed", "nginx", "6.0.1-alpha.1", "replicaCount=1", f"nginx#{done.number}"]
    assert lines[1].endswith("rollback to 1") and lines[3].split()[:2] == ["1", "superseded"]
    code, out = cli(home, "releases", "--cluster", "test")
    assert code == 0 and out.splitlines()[1].split()[:6] == ["nginx", "test", "web", "3", "deployed", "nginx"], out


@slow
def test_a_missing_chart_version_fails_naming_the_versions_that_exist(home, kube_daemon, registry, tmp_path):
    repo = use_registry(registry)
    publish(tmp_path, repo, "1.0.0", chart_files(registry.host))
    publish(tmp_path, repo, "1.1.0", chart_files(registry.host))
    p = pipelines.create(pipeline_spec("missing", stages=[
        {"name": "Deploy", "mode": "serial", "tasks": [deploy_task(version="9.9.9")]}]), "tester")
    done = finish(kube_daemon, runs.enqueue_run(p, "manual", "tester").id)
    assert done.status == "failed"
    assert done.reason == (f"task 'deploy' in stage 'Deploy' failed: chart nginx version 9.9.9 not found in "
                           f"oci://{registry.host}/charts (available: 1.1.0, 1.0.0)")
    assert releases.ReleaseRevision.select().count() == 0          # nothing was deployed: no revision


@slow
def test_objects_removed_from_the_chart_are_pruned_and_others_are_left(home, fake_kube, registry, tmp_path):
    from daemon.tasks.deploy_chart import deploy
    repo = use_registry(registry)
    register(fake_kube)
    publish(tmp_path, repo, "1.0.0", chart_files(registry.host, {"nginx/templates/configmap.yaml": CONFIGMAP}))
    publish(tmp_path, repo, "2.0.0", chart_files(registry.host))
    core = client.CoreV1Api(fake_kube.api())
    said = []
    kw = dict(release="nginx", chart="nginx", values={}, cluster="test", namespace="web", say=said.append)
    first = deploy(fake_kube.api(), repo, version="1.0.0", work=tmp_path / "d1", **kw)
    assert [r[1] for r in first.resources] == ["ConfigMap", "Service", "Deployment"]      # Helm's install order
    assert core.read_namespaced_config_map("nginx-settings", "web").data == {"greeting": "hello"}
    core.create_namespaced_config_map("web", {"metadata": {"name": "not-ours"}, "data": {"k": "v"}})
    second = deploy(fake_kube.api(), repo, version="2.0.0", work=tmp_path / "d2", **kw)
    assert (second.revision, second.description) == (2, "upgrade")
    assert "ConfigMap nginx-settings: pruned (no longer in the chart)" in said
    names = [c.metadata.name for c in core.list_namespaced_config_map("web").items]
    assert "nginx-settings" not in names and "not-ours" in names
    assert client.AppsV1Api(fake_kube.api()).read_namespaced_deployment("nginx", "web").spec.replicas == 1


@slow
def test_render_errors_and_cluster_faults_say_what_happened(home, fake_kube, registry, tmp_path):
    from daemon.tasks.deploy_chart import deploy
    from daemon.tasks.lib.yaml_apply import DeployError
    repo = use_registry(registry)
    register(fake_kube)
    broken = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ .Values.nope.deeper }}\n"
    publish(tmp_path, repo, "1.0.0", chart_files(registry.host, {"nginx/templates/broken.yaml": broken}))
    publish(tmp_path, repo, "2.0.0", chart_files(registry.host))
    kw = dict(release="nginx", chart="nginx", values={}, cluster="test", namespace="web", say=lambda line: None)
    with pytest.raises(ChartError) as err:
        deploy(fake_kube.api(), repo, version="1.0.0", work=tmp_path / "d1", **kw)
    assert str(err.value).startswith("chart nginx failed to render: nginx/templates/broken.yaml line 6: ")
    assert "nil pointer evaluating interface {}.deeper" in str(err.value)
    fake_kube.fail_next("PATCH", "deployments.apps", status=403, message='deployments.apps "nginx" is forbidden')
    with pytest.raises(DeployError) as err:
        deploy(fake_kube.api(), repo, version="2.0.0", work=tmp_path / "d2", **kw)
    assert "nginx/templates/deployment.yaml document 1 (Deployment nginx): the API server refused it: " \
           'deployments.apps "nginx" is forbidden' in str(err.value)
    [failed] = releases.history("nginx")
    assert (failed.revision, failed.status, failed.chart_version) == (1, "failed", "2.0.0")
    assert "forbidden" in failed.reason
    with pytest.raises(ValueError, match="revision 1 of release 'nginx' failed to deploy"):
        releases.request_rollback("nginx", 1, "tester")


def test_a_deploy_without_a_cluster_or_with_a_bad_release_name_says_what_to_fix(home, daemon):
    from tests.conftest import run_until_done
    registries.add("local", "127.0.0.1:5999", "tester", insecure=True)
    registries.set_chart_repository("oci://127.0.0.1:5999/charts", "tester")
    p = pipelines.create(pipeline_spec("nocluster", stages=[{"name": "Deploy", "mode": "parallel", "tasks": [
        deploy_task(), {**deploy_task(), "name": "bad", "release": "Nginx_1"}]}]), "tester")
    done = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id)
    reasons = {t.name: t.reason for t in TaskRun.select().where(TaskRun.run == done.id)}
    assert reasons["deploy"] == ("task 'deploy' deploys a chart but names no cluster and no cluster is the default: "
                                 "register one and make it the default on the Clusters page (/clusters), or with "
                                 "python run.py cluster add NAME --kubeconfig FILE --default")
    assert reasons["bad"].startswith("task 'bad': release name 'Nginx_1' is not valid")


def test_objects_go_in_helm_install_order_without_hooks():
    manifests = [("c/templates/a.yaml", {"kind": "Deployment", "metadata": {"name": "d"}}),
                 ("c/templates/b.yaml", {"kind": "Widget", "metadata": {"name": "w"}}),
                 ("c/templates/b.yaml", {"kind": "Service", "metadata": {"name": "s", "labels": {"x": "1"}}}),
                 ("c/templates/tests/t.yaml", {"kind": "Pod", "metadata": {
                     "name": "t", "annotations": {"helm.sh/hook": "test"}}}),
                 ("c/templates/z.yaml", {"kind": "Namespace", "metadata": {"name": "n"}})]
    ordered, hooks = arrange(manifests, "web", "prod")
    assert [(t, n, d["kind"]) for t, n, d in ordered] == [
        ("c/templates/z.yaml", 1, "Namespace"), ("c/templates/b.yaml", 2, "Service"),
        ("c/templates/a.yaml", 1, "Deployment"), ("c/templates/b.yaml", 1, "Widget")]
    assert ordered[1][2]["metadata"]["labels"] == {"x": "1", "millrace.dev/release": "web",
                                                   "millrace.dev/release-namespace": "prod"}
    assert hooks == ["Pod t (c/templates/tests/t.yaml: helm.sh/hook test)"]


def test_a_rollback_queues_a_run_with_that_revisions_chart_and_values(home):
    p = pipelines.create(pipeline_spec("web", parameters={"TAG": "x"}, timeout_minutes=30, stages=[
        {"name": "Deploy", "mode": "serial", "tasks": [deploy_task(**{"image.tag": "${TAG}"})]}]), "tester")
    deployed_by = runs.enqueue_run(p, "manual", "tester")
    for values in ({"image.tag": "one ${literal}"}, {"image.tag": "two"}):
        releases.record("nginx", "test", "web", chart="nginx", chart_version="1.0.0", values=values,
                        status="deployed", run_id=deployed_by.id, resources=[["v1", "Service", "nginx"]])
    with pytest.raises(LookupError, match=r"release 'nginx' has no revision 7 \(revisions: 1, 2\)"):
        releases.request_rollback("nginx", 7, "tester")
    run = releases.request_rollback("nginx", 1, "alice")
    assert (run.cause, run.cause_detail, run.triggered_by, run.status) == (
        "rollback", "of release nginx to revision 1", "alice", "queued")
    spec = pipelines.definition(PipelineVersion.get_by_id(run.version_id))
    [task] = spec["stages"][0]["tasks"]
    assert (task["chart_version"], task["parameters"], task["cluster"], spec["timeout_minutes"]) == (
        "1.0.0", {"image.tag": "one $${literal}"}, "test", 30)
    assert task["env"] == [{"name": "MILLRACE_ROLLBACK_OF", "value": "1", "secret": False}]
    assert pipelines.current_version(p).id == deployed_by.version_id      # the pipeline's own version stays
    releases.record("nginx", "other", "web", chart="nginx", chart_version="1.0.0", values={}, status="deployed",
                    run_id=deployed_by.id, resources=[])
    with pytest.raises(LookupError, match=r"several places \(other/web, test/web\)"):
        releases.history("nginx")
    assert [r.revision for r in releases.history("nginx", cluster="test")] == [2, 1]


def test_the_releases_page_offers_rollback_only_to_earlier_deployed_revisions(home):
    from dashboard import ids
    from dashboard.app import create_app
    create_app()            # pages register themselves with an app
    from dashboard.pages import releases as page
    p = pipelines.create(pipeline_spec("web", stages=[
        {"name": "Deploy", "mode": "serial", "tasks": [deploy_task()]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    for status, reason in (("deployed", ""), ("deployed", ""), ("failed", "rollout not finished within 300 seconds")):
        releases.record("nginx", "test", "web", chart="nginx", chart_version="1.0.0", values={"a": "1"},
                        status=status, run_id=run.id, resources=[], reason=reason)
    releases.record("nginx", "test", "staging", chart="nginx", chart_version="2.0.0", values={}, status="deployed",
                    run_id=None, resources=[])
    assert [r["namespace"] for r in page.snapshot()] == ["staging", "web"]
    [web] = page.snapshot(page.EVERY, "web")
    assert web["current"] == 2 and [r["status"] for r in web["revisions"]] == ["failed", "deployed", "superseded"]
    assert web["revisions"][0]["reason"] == "rollout not finished within 300 seconds"
    assert web["revisions"][2]["run"] == {"label": "web#1", "href": f"/pipelines/{p.id}/runs/1"}

    def rollback_buttons(component):
        found = []
        if isinstance(getattr(component, "id", None), dict) and component.id.get("type") == ids.RELEASE_ROLLBACK:
            found.append(component.id["revision"])
        children = getattr(component, "children", None)
        for child in children if isinstance(children, list) else [children] if children is not None else []:
            found += rollback_buttons(child)
        return found
    assert rollback_buttons(page.release_card(web)) == [web["revisions"][2]["id"]]     # revision 1 only
