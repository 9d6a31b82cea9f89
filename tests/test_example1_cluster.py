"""The manual's example 1 on a cluster, end to end through the daemon: its build & publish
image task runs as a kaniko pod on the fake cluster, whose kubelet plays kaniko with a
real `buildah bud` + `buildah push` (tests/fakekube/kubelet.py) against a real registry
with credentials; the deploy-YAML task then deploys the pushed image. What a user would
check: the tag in the registry (its HTTP API), the digest on the task run, the Deployment,
and the password nowhere but the Secret — no pod spec, log or database row.
"""
import base64
import json

import pytest
from kubernetes import client

from models import logs, pipelines, registries, runs
from models.tables import Run, TaskRun
from tests.conftest import pipeline_spec, script_task, tick_until
from tests.delivery.examples import example_2048
from tests.delivery.fixtures import *  # noqa: F401,F403
from tests.delivery.fixtures import REGISTRY_PASSWORD, REGISTRY_USER
from tests.fakekube.fixture import fake_kube  # noqa: F401  (pytest fixture)
from tests.fakekube.kubelet import AutoKubelet
from tests.fakekube.millrace import make_daemon, register
from tests.fakekube.routes import BY_KEY

pytestmark = pytest.mark.slow
KANIKO = "gcr.io/kaniko-project/executor:v1.23.2-debug"


@pytest.fixture
def cluster(home, fake_kube, tmp_path, container_env):
    """The fake as the default cluster, with a kubelet that runs every pod as soon as it is made."""
    register(fake_kube)
    kubelet = AutoKubelet(fake_kube, fake_kube.namespace, tmp_path / "kubelet")
    yield fake_kube
    kubelet.stop()


def base_image_in(server, containers, busybox_image, tmp_path) -> str:
    """The local busybox base, pushed where a kaniko pod can pull it: the test registry."""
    ref = f"{server.host}/library/busybox:latest"
    auth = tmp_path / "push-auth.json"
    token = base64.b64encode(f"{server.username}:{server.password}".encode()).decode() if server.username else ""
    auth.write_text(json.dumps({"auths": {server.host: {"auth": token}} if token else {}}))
    containers.run(["buildah", "push", "--tls-verify=false", "--authfile", str(auth), busybox_image,
                    f"docker://{ref}"], check=True)
    return ref


def run_pipeline(daemon, spec, timeout=240):
    run = runs.enqueue_run(pipelines.create(spec, "tester"), "manual", "tester")
    done = tick_until(daemon, lambda: (r := Run.get_by_id(run.id)).finished_at and r, timeout=timeout,
                      message="the run's end")
    return done, {t.name: t for t in TaskRun.select().where(TaskRun.run == done.id)}


@pytest.fixture
def daemon(cluster):
    made = make_daemon()
    yield made
    made.shutdown()


def example_1(git_server, host):
    return pipeline_spec("jack-2048", source={"repository": git_server.url("jack-2048"), "branch": "master"}, stages=[
        {"name": "Build", "mode": "serial", "tasks": [
            {"name": "image", "type": "build_image", "image": "jack-2048", "tag": "alpha-${BUILD_ID}",
             "workspace": "devops", "dockerfile": "Dockerfile"}]},
        {"name": "Deploy", "mode": "serial", "tasks": [
            {"name": "deploy", "type": "deploy_yaml", "file": "2048_env.yaml", "namespace": "game"},
            script_task("show", 'echo "deployed $IMAGE_REF at $IMAGE_DIGEST"')]}])


def test_example_1_builds_with_kaniko_on_the_cluster_and_deploys_the_pushed_image(
        home, cluster, daemon, auth_registry, git_server, containers, busybox_image, tmp_path):
    host = auth_registry.host
    git_server.publish("jack-2048", example_2048(host, base_image_in(auth_registry, containers, busybox_image, tmp_path)))
    registries.add("local", host, "tester", insecure=True, username=REGISTRY_USER, password=REGISTRY_PASSWORD)
    done, tasks = run_pipeline(daemon, example_1(git_server, host))
    log = logs.text(tasks["image"].id)
    assert done.status == "succeeded", (done.reason, log)
    n = done.number
    assert tasks["image"].executor == "kubernetes:test"
    assert auth_registry.tags("devops/jack-2048") == [f"alpha-{n}"]
    digest = auth_registry.manifest_digest("devops/jack-2048", f"alpha-{n}")
    assert json.loads(tasks["image"].outputs_json) == {"IMAGE_DIGEST": digest,
                                                      "IMAGE_REF": f"{host}/devops/jack-2048:alpha-{n}"}
    assert f"building Dockerfile with kaniko ({KANIKO}) on cluster 'test' and pushing {host}/devops/jack-2048:alpha-{n}" \
        in log
    assert 'RUN echo "built for 2048" > /www/build.txt' in log and f"millrace: pushed {digest}" in log
    assert f"deployed {host}/devops/jack-2048:alpha-{n} at {digest}" in logs.text(tasks["show"].id)
    deployment = client.AppsV1Api(cluster.api()).read_namespaced_deployment("jack-2048", "game")
    assert deployment.spec.template.spec.containers[0].image == f"{host}/devops/jack-2048:alpha-{n}"

    # The build pod ran kaniko with the registry's config mounted from the Secret …
    pods = [obj for _, _, key, obj in cluster.store.history if key == "pods"]
    build = next(p for p in pods if p["metadata"]["name"] == json.loads(tasks["image"].handle_json)["pod"])
    main = build["spec"]["containers"][0]
    assert main["image"] == KANIKO and main["args"][:2] == ["/kaniko/executor", "--dockerfile"]
    assert {"name": "docker-config", "mountPath": "/kaniko/.docker", "readOnly": True} in main["volumeMounts"]
    # … and the password (or its base64 token) is in no pod spec, log or database row; nothing is left behind.
    token = base64.b64encode(f"{REGISTRY_USER}:{REGISTRY_PASSWORD}".encode()).decode()
    for secret in (REGISTRY_PASSWORD, token):
        assert not any(secret in json.dumps(p) for p in pods)
        assert not any(secret in logs.text(t.id) for t in tasks.values())
        assert not any(secret.encode() in f.read_bytes() for f in home.glob("millrace.db*"))
    assert cluster.pod_names(cluster.namespace) == [] and not cluster.store.list(BY_KEY["secrets"], cluster.namespace)


def test_a_refused_push_and_a_failed_step_on_the_cluster_fail_with_their_reasons(
        cluster, daemon, auth_registry, git_server, containers, busybox_image, tmp_path):
    base = base_image_in(auth_registry, containers, busybox_image, tmp_path)
    git_server.publish("broken", {"Dockerfile": f"FROM {base}\nRUN echo one\nRUN ls /no-such-dir\n",
                                  "refused/Dockerfile": "FROM scratch\nCOPY Dockerfile /Dockerfile\n"})
    registries.add("good", auth_registry.host, "tester", insecure=True, username=REGISTRY_USER,
                   password=REGISTRY_PASSWORD)
    registries.add("wrong", auth_registry.host, "tester", insecure=True, username=REGISTRY_USER, password="wrong-pass")
    done, tasks = run_pipeline(daemon, pipeline_spec("broken", source={"repository": git_server.url("broken"), "branch": "master"},
                                        stages=[{"name": "Build", "mode": "parallel", "tasks": [
        {"name": "step", "type": "build_image", "image": "broken", "tag": "1", "workspace": "devops", "registry": "good"},
        {"name": "refused", "type": "build_image", "image": "refused", "tag": "1", "workspace": "devops",
         "registry": "wrong", "context": "refused", "dockerfile": "refused/Dockerfile"}]}]))
    assert done.status == "failed"
    # the stand-in is buildah, which numbers its steps; kaniko's log gives "RUN ls /no-such-dir (exit status 1)"
    assert tasks["step"].reason.startswith("build step failed: ") and "RUN ls /no-such-dir" in tasks["step"].reason
    assert "No such file or directory" in logs.text(tasks["step"].id)
    assert tasks["refused"].reason == f"registry {auth_registry.host} refused the credentials of user '{REGISTRY_USER}'"
    assert "wrong-pass" not in logs.text(tasks["refused"].id)
    assert auth_registry.tags("devops/broken") == [] and auth_registry.tags("devops/refused") == []
