"""The fake Kubernetes API server, exercised through the real `kubernetes` client.

If these pass, code that works against the fake speaks the same HTTP as it would
to a real API server: typed models deserialize, errors carry real Status bodies,
logs are text/plain, watches and log follows stream and end when they should.
"""
import json
import threading
import time

import pytest
import yaml
from kubernetes import client, watch
from kubernetes.client.rest import ApiException
from kubernetes.watch.watch import iter_resp_lines
from urllib3.exceptions import MaxRetryError, ProtocolError

from tests.fakekube.fixture import fake_kube  # noqa: F401  (pytest fixture)


def message(exc):
    return json.loads(exc.value.body)["message"]


def make_pod(name, labels=None, secret=None, image="alpine:3.20"):
    env = [client.V1EnvVar(name="TOKEN", value_from=client.V1EnvVarSource(
        secret_key_ref=client.V1SecretKeySelector(name=secret, key="TOKEN")))] if secret else None
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels=labels or {}),
        spec=client.V1PodSpec(restart_policy="Never", containers=[
            client.V1Container(name="main", image=image, command=["/bin/sh", "/millrace/run.sh"], env=env)]))


@pytest.fixture
def core(fake_kube):
    return client.CoreV1Api(fake_kube.api())


def test_version_and_namespaces(fake_kube, core):
    assert client.VersionApi(fake_kube.api()).get_code().git_version.startswith("v1.")
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="team-a")))
    assert core.read_namespace("team-a").metadata.name == "team-a"
    assert "team-a" in [n.metadata.name for n in core.list_namespace().items]
    core.create_namespaced_pod("team-a", make_pod("p"))
    core.delete_namespace("team-a")
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_pod("team-a", make_pod("q"))
    assert exc.value.status == 404 and 'namespaces "team-a" not found' in message(exc)
    assert fake_kube.pod_names("team-a") == []


def test_pod_create_get_list_by_label_and_conflict(fake_kube, core):
    ns = fake_kube.namespace
    created = core.create_namespaced_pod(ns, make_pod("build-1", {"millrace.dev/run": "1"}))
    core.create_namespaced_pod(ns, make_pod("build-2", {"millrace.dev/run": "2"}))
    assert created.status.phase == "Pending" and created.metadata.uid
    assert core.read_namespaced_pod("build-1", ns).spec.restart_policy == "Never"
    names = [p.metadata.name for p in core.list_namespaced_pod(ns, label_selector="millrace.dev/run=2").items]
    assert names == ["build-2"]
    both = core.list_namespaced_pod(ns, label_selector="millrace.dev/run in (1,2)").items
    assert len(both) == 2
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_pod(ns, make_pod("build-1"))
    assert exc.value.status == 409 and "already exists" in message(exc)
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_pod(ns, make_pod("Bad_Name"))
    assert exc.value.status == 422


def test_pod_lifecycle_events_and_status(fake_kube, core):
    ns = fake_kube.namespace
    core.create_namespaced_pod(ns, make_pod("p"))
    fake_kube.unschedulable("p")
    pod = core.read_namespaced_pod_status("p", ns)
    assert pod.status.conditions[0].reason == "Unschedulable"
    fake_kube.unschedulable("p")
    events = core.list_namespaced_event(ns, field_selector="involvedObject.name=p").items
    assert [(e.type, e.reason, e.count) for e in events] == [("Warning", "FailedScheduling", 2)]
    assert "0/5 nodes are available: 4 Insufficient memory" in events[0].message
    assert fake_kube.start_pod("p")
    pod = core.read_namespaced_pod("p", ns)
    assert pod.status.phase == "Running" and pod.status.container_statuses[0].state.running
    fake_kube.oom_kill("p")
    term = core.read_namespaced_pod("p", ns).status.container_statuses[0].state.terminated
    assert (term.exit_code, term.reason) == (137, "OOMKilled")
    reasons = [e.reason for e in core.list_namespaced_event(ns, field_selector="involvedObject.name=p").items]
    assert reasons == ["FailedScheduling", "Scheduled", "Pulling", "Pulled", "Created", "Started"]
    assert core.list_namespaced_event(ns, field_selector="involvedObject.name=other").items == []


def test_eviction_image_pull_and_missing_secret(fake_kube, core):
    ns = fake_kube.namespace
    for name in ("ev", "img", "sec"):
        core.create_namespaced_pod(ns, make_pod(name, secret="run-secret" if name == "sec" else None))
    fake_kube.evict("ev")
    status = core.read_namespaced_pod("ev", ns).status
    assert (status.phase, status.reason) == ("Failed", "Evicted") and "low on resource" in status.message
    fake_kube.image_pull_error("img", backoff=True)
    waiting = core.read_namespaced_pod("img", ns).status.container_statuses[0].state.waiting
    assert waiting.reason == "ImagePullBackOff" and "not found" in waiting.message
    assert fake_kube.start_pod("sec") is False
    waiting = core.read_namespaced_pod("sec", ns).status.container_statuses[0].state.waiting
    assert (waiting.reason, waiting.message) == ("CreateContainerConfigError", 'secret "run-secret" not found')


def test_log_is_text_with_timestamps_and_since(fake_kube, core):
    ns = fake_kube.namespace
    core.create_namespaced_pod(ns, make_pod("p"))
    with pytest.raises(ApiException) as exc:
        core.read_namespaced_pod_log("p", ns)
    assert exc.value.status == 400 and "is waiting to start: ContainerCreating" in message(exc)
    fake_kube.start_pod("p")
    fake_kube.log("p", "old line", at=1_700_000_000.5)
    fake_kube.log("p", "same second", at=1_700_000_010.25)
    fake_kube.log("p", "later", at=1_700_000_011.0)
    assert core.read_namespaced_pod_log("p", ns) == "old line\nsame second\nlater\n"
    stamped = core.read_namespaced_pod_log("p", ns, timestamps=True).splitlines()
    assert stamped[1] == "2023-11-14T22:13:30.25Z same second"
    assert stamped[2] == "2023-11-14T22:13:31Z later"
    # sinceTime is not in the generated client: send it by hand, as the executor does.
    api = core.api_client
    params = api.param_serialize("GET", "/api/v1/namespaces/{namespace}/pods/{name}/log",
                                 path_params={"namespace": ns, "name": "p"},
                                 query_params=[("sinceTime", "2023-11-14T22:13:30.9Z")],
                                 header_params={"Accept": "text/plain"}, auth_settings=["BearerToken"])
    resp = api.call_api(*params)
    resp.read()
    assert resp.getheader("Content-Type") == "text/plain"
    # Truncated to whole seconds, like the real server: the .25 line comes back too.
    assert resp.data.decode() == "same second\nlater\n"
    fake_kube.log("p", "now")
    assert core.read_namespaced_pod_log("p", ns, since_seconds=5) == "now\n"
    assert core.read_namespaced_pod_log("p", ns, tail_lines=2) == "later\nnow\n"


def test_log_follow_streams_until_container_ends(fake_kube, core):
    ns = fake_kube.namespace
    core.create_namespaced_pod(ns, make_pod("p"))
    fake_kube.start_pod("p")
    fake_kube.log("p", "first")

    def later():
        time.sleep(0.2)
        fake_kube.log("p", "second")
        time.sleep(0.2)
        fake_kube.finish_pod("p", exit_code=2)
    threading.Thread(target=later).start()
    resp = core.read_namespaced_pod_log("p", ns, follow=True, _preload_content=False)
    assert list(iter_resp_lines(resp)) == ["first", "second"]
    assert core.read_namespaced_pod("p", ns).status.phase == "Failed"


def test_watch_sees_changes_and_ends_at_timeout(fake_kube, core):
    ns = fake_kube.namespace
    core.create_namespaced_pod(ns, make_pod("p", {"app": "x"}))
    core.create_namespaced_pod(ns, make_pod("other", {"app": "y"}))
    threading.Timer(0.2, lambda: fake_kube.start_pod("p")).start()
    seen, ended = [], threading.Event()

    def read():
        for e in watch.Watch().stream(core.list_namespaced_pod, ns, label_selector="app=x", timeout_seconds=1):
            seen.append((e["type"], e["object"].metadata.name, e["object"].status.phase))
        ended.set()
    started = time.monotonic()
    threading.Thread(target=read, daemon=True).start()
    # The stream ends by itself (without the timeout it would run for the server's 30 minutes),
    # and not before its second is up — a lower bound, which a slow machine only makes safer.
    assert ended.wait(60), "the watch did not end at timeoutSeconds"
    assert time.monotonic() - started >= 0.9
    assert seen[0] == ("ADDED", "p", "Pending")
    assert ("MODIFIED", "p", "Running") in seen
    assert all(name == "p" for _, name, _ in seen)


def test_delete_with_grace_then_force(fake_kube, core):
    ns = fake_kube.namespace
    core.create_namespaced_pod(ns, make_pod("p"))
    fake_kube.start_pod("p")
    fake_kube.ignore_sigterm("p")
    core.delete_namespaced_pod("p", ns, grace_period_seconds=30)
    assert core.read_namespaced_pod("p", ns).metadata.deletion_timestamp is not None
    core.delete_namespaced_pod("p", ns, grace_period_seconds=0)
    with pytest.raises(ApiException) as exc:
        core.read_namespaced_pod("p", ns)
    assert exc.value.status == 404
    assert fake_kube.deletions == [("Pod", "p", 30), ("Pod", "p", 0)]


def test_secrets_and_configmaps(fake_kube, core):
    ns = fake_kube.namespace
    core.create_namespaced_secret(ns, client.V1Secret(metadata=client.V1ObjectMeta(name="s"),
                                                      string_data={"TOKEN": "hunter2"}))
    assert core.read_namespaced_secret("s", ns).data == {"TOKEN": "aHVudGVyMg=="}
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c"),
                                                             data={"run.sh": "echo hi\n"}))
    assert core.read_namespaced_config_map("c", ns).data["run.sh"] == "echo hi\n"
    core.delete_namespaced_secret("s", ns)
    core.delete_namespaced_config_map("c", ns)
    with pytest.raises(ApiException) as exc:
        core.read_namespaced_secret("s", ns)
    assert exc.value.status == 404 and 'secrets "s" not found' in message(exc)


DEPLOYMENT = yaml.safe_load("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {build: "41"}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "registry/2048:41"}]}
""")


def test_server_side_apply_and_rollout(fake_kube):
    ns, api = fake_kube.namespace, fake_kube.api()
    apps = client.AppsV1Api(api)
    fake_kube.auto_rollout = False
    apps.patch_namespaced_deployment("web", ns, DEPLOYMENT, field_manager="millrace",
                                     _content_type="application/apply-patch+yaml")
    dep = apps.read_namespaced_deployment("web", ns)
    assert dep.spec.replicas == 2 and not dep.status.ready_replicas
    fake_kube.set_rollout("Deployment", "web", ns, complete=True)
    dep = apps.read_namespaced_deployment_status("web", ns)
    assert dep.status.ready_replicas == 2 and dep.status.observed_generation == 1
    changed = {**DEPLOYMENT, "metadata": {"name": "web", "labels": {"build": "42"}},
               "spec": {**DEPLOYMENT["spec"], "replicas": 3}}
    apps.patch_namespaced_deployment("web", ns, changed, field_manager="millrace", _content_type="application/apply-patch+yaml")
    dep = apps.read_namespaced_deployment("web", ns)
    assert (dep.metadata.labels["build"], dep.metadata.generation, dep.status.ready_replicas) == ("42", 2, 0)
    with pytest.raises(ApiException) as exc:
        apps.patch_namespaced_deployment("web", ns, DEPLOYMENT, _content_type="application/apply-patch+yaml")
    assert exc.value.status == 400 and "fieldManager" in message(exc)
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}
    core = client.CoreV1Api(api)
    core.patch_namespaced_service("web", ns, svc, field_manager="millrace",
                                  _content_type="application/apply-patch+yaml")
    assert core.read_namespaced_service("web", ns).spec.cluster_ip
    ing = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
           "spec": {"rules": [{"host": "2048.example", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                    "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}
    net = client.NetworkingV1Api(api)
    net.patch_namespaced_ingress("web", ns, ing, field_manager="millrace", _content_type="application/apply-patch+yaml")
    assert [i.metadata.name for i in net.list_namespaced_ingress(ns).items] == ["web"]
    apps.delete_namespaced_deployment("web", ns)
    assert apps.list_namespaced_deployment(ns).items == []


def test_bad_token_is_401(fake_kube, tmp_path):
    from tests.fakekube.fixture import api_client
    core = client.CoreV1Api(api_client(fake_kube.kubeconfig(tmp_path / "bad", token="wrong")))
    with pytest.raises(ApiException) as exc:
        core.list_namespace()
    assert exc.value.status == 401 and exc.value.reason == "Unauthorized"


def test_injected_failures_and_request_counts(fake_kube, core):
    ns = fake_kube.namespace
    fake_kube.fail_next("POST", "pods", status=500)
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_pod(ns, make_pod("p"))
    assert exc.value.status == 500 and fake_kube.pod_names(ns) == []
    fake_kube.fail_next("POST", "pods", status=500, after=True)
    with pytest.raises(ApiException):
        core.create_namespaced_pod(ns, make_pod("p"))
    assert fake_kube.pod_names(ns) == ["p"]   # created although the answer said otherwise
    # A dropped connection: urllib3 retries reads by itself, but never a POST.
    fake_kube.fail_next("GET", "pods", status=None)
    assert core.read_namespaced_pod("p", ns).metadata.name == "p"
    fake_kube.fail_next("POST", "pods", status=None)
    with pytest.raises(ProtocolError):
        core.create_namespaced_pod(ns, make_pod("q"), _request_timeout=2)
    assert fake_kube.count(verb="create", resource="pods") == 3
    assert fake_kube.count(method="GET", path=f"/api/v1/namespaces/{ns}/pods/p") == 2


def test_stopped_server_refuses_connections_until_restarted(fake_kube, core):
    core.list_namespace()   # leaves a keep-alive connection in the client's pool
    fake_kube.stop()
    with pytest.raises(MaxRetryError):
        core.list_namespace(_request_timeout=2)
    fake_kube.start()
    assert core.list_namespace().items
