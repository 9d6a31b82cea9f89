"""Deploy-YAML tasks against the fake cluster: the manual's 2048 example end to end
(Deployment, Service and Ingress applied with ${BUILD_ID} substituted, rollout
followed), and the failures a user must be able to read: bad YAML, an unknown kind,
the API server's refusal, an undefined variable, a rollout that does not finish.
"""
import pytest
from kubernetes import client

from models import logs, pipelines, runs
from models.tables import Run
from tests.conftest import pipeline_spec, tick_until
from tests.fakekube.fixture import fake_kube  # noqa: F401  (pytest fixture)
from tests.fakekube.millrace import make_daemon, register, task_of

GAME_2048 = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: game-2048
  labels: {app: game-2048}
spec:
  replicas: 2
  selector:
    matchLabels: {app: game-2048}
  template:
    metadata:
      labels: {app: game-2048}
    spec:
      containers:
      - name: game
        image: ${REGISTRY}/devops/jack-2048:alpha-${BUILD_ID}
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: game-2048
spec:
  selector: {app: game-2048}
  ports:
  - port: 80
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: game-2048
  annotations:
    millrace.dev/build: "${BUILD_ID}"
spec:
  rules:
  - host: 2048.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: game-2048, port: {number: 80}}
"""


def deploy_pipeline(repo, file="2048_env.yaml"):
    return pipelines.create(pipeline_spec("game", source={"repository": repo.url, "branch": "master"},
                                          parameters={"REGISTRY": "registry.example:5000"}, stages=[
        {"name": "Deploy", "mode": "serial", "tasks": [
            {"name": "deploy", "type": "deploy_yaml", "file": file, "namespace": "game"}]}]), "tester")


@pytest.fixture
def daemon(home, fake_kube):
    register(fake_kube)
    made = make_daemon()
    yield made
    made.shutdown()


def finish(daemon, run):
    return tick_until(daemon, lambda: (r := Run.get_by_id(run.id)).finished_at and r, timeout=120, message="the run's end")


def test_the_2048_example_deploys_with_the_build_id_substituted(home, repo, fake_kube, daemon):
    repo.commit({"2048_env.yaml": GAME_2048}, "deploy files")
    repo.push("master")
    p = deploy_pipeline(repo)
    assert finish(daemon, runs.enqueue_run(p, "manual", "tester")).status == "succeeded"    # run 1 …
    run = runs.enqueue_run(p, "manual", "tester")                                           # … then run 2
    done = finish(daemon, run)
    assert done.status == "succeeded", done.reason
    apps, core = client.AppsV1Api(fake_kube.api()), client.CoreV1Api(fake_kube.api())
    deployment = apps.read_namespaced_deployment("game-2048", "game")
    assert deployment.spec.template.spec.containers[0].image == "registry.example:5000/devops/jack-2048:alpha-2"
    assert [m.manager for m in deployment.metadata.managed_fields] == ["millrace"]
    assert core.read_namespaced_service("game-2048", "game").spec.ports[0].port == 80
    ingress = client.NetworkingV1Api(fake_kube.api()).read_namespaced_ingress("game-2048", "game")
    assert ingress.metadata.annotations["millrace.dev/build"] == "2"
    text = logs.text(task_of(run.id, "deploy").id, timestamps=False).splitlines()
    assert text[0] == f"[millrace] applying 2048_env.yaml to namespace game on cluster 'test' ({fake_kube.url})"
    assert text[1:] == ["[1/3] Deployment game-2048: configured (apps/v1, namespace game)",
                        "[2/3] Service game-2048: unchanged (v1, namespace game)",
                        "[3/3] Ingress game-2048: configured (networking.k8s.io/v1, namespace game)",
                        "Deployment game-2048: rolled out (2/2 ready, 2/2 updated)",
                        "applied 3 object(s) from 2048_env.yaml to namespace game on cluster 'test'"]
    first = logs.text(task_of(run.id - 1, "deploy").id, timestamps=False)
    assert "namespace game created" in first and "[1/3] Deployment game-2048: created" in first


@pytest.mark.parametrize("content, reason", [
    (GAME_2048 + "---\nkind: [unclosed\n",      # the parser stops at the end of the file, after line 45
     "2048_env.yaml document 4: not valid YAML at line 46, column 1: did not find expected ',' or ']'"),   # libyaml's words
    ("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
     "2048_env.yaml document 1: unknown kind Widget (apiVersion example.com/v1): cluster 'test' does not serve it"),
    ("apiVersion: v1\nkind: Service\nmetadata: {name: Bad_Name}\n",
     "2048_env.yaml document 1 (Service Bad_Name): the API server refused it: Service \"Bad_Name\" is invalid"),
    ("---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {v: '${NOPE}'}\n",
     "2048_env.yaml line 6: undefined variable ${NOPE}"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: elsewhere}\n",
     "2048_env.yaml document 1 (ConfigMap c): its namespace elsewhere is not the task's namespace game"),
], ids=["bad-yaml", "unknown-kind", "api-refusal", "undefined-variable", "other-namespace"])
def test_a_bad_file_fails_the_task_naming_the_document(home, repo, fake_kube, daemon, content, reason):
    repo.commit({"2048_env.yaml": content}, "deploy files")
    repo.push("master")
    done = finish(daemon, runs.enqueue_run(deploy_pipeline(repo), "manual", "tester"))
    assert done.status == "failed"
    assert done.reason.startswith(f"task 'deploy' in stage 'Deploy' failed: {reason}"), done.reason


def test_a_rollout_that_never_finishes_fails_with_what_is_missing(home, fake_kube, tmp_path):
    from daemon.tasks.deploy_yaml import deploy
    from daemon.tasks.lib.yaml_apply import DeployError
    fake_kube.auto_rollout = False
    (tmp_path / "d.yaml").write_text(GAME_2048.replace("${REGISTRY}", "r").replace("${BUILD_ID}", "1"))
    said = []
    with pytest.raises(DeployError) as err:
        deploy(fake_kube.api(), "test", "game", "d.yaml", tmp_path, say=said.append, rollout_seconds=1.5)
    assert str(err.value) == ("rollout not finished within 1.5 seconds: Deployment game-2048 "
                              "(0/2 ready, 0/2 updated)")
    assert "Deployment game-2048: rolling out (0/2 ready, 0/2 updated)" in said
    fake_kube.set_rollout("Deployment", "game-2048", "game", complete=True)
    deploy(fake_kube.api(), "test", "game", "d.yaml", tmp_path, say=said.append, rollout_seconds=5)
    assert said[-1] == "Deployment game-2048: rolled out (2/2 ready, 2/2 updated)"


def test_a_deploy_with_no_cluster_says_how_to_add_one(home, repo):
    from tests.fakekube.millrace import make_daemon as plain
    repo.commit({"2048_env.yaml": GAME_2048}, "deploy files")
    repo.push("master")
    daemon = plain()
    try:
        done = finish(daemon, runs.enqueue_run(deploy_pipeline(repo), "manual", "tester"))
    finally:
        daemon.shutdown()
    assert done.status == "failed"
    assert ("names no cluster and no cluster is the default: register one and make it the default on the Clusters "
            "page (/clusters), or with python run.py cluster add NAME") in done.reason
