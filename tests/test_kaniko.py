"""Build & publish image on a cluster, without building: the plan a kaniko pod is made from,
the Pod and Secret the Kubernetes executor creates for it (kaniko's argv, the credentials
only in the Secret, mounted at /kaniko/.docker/config.json), the wrapper handing kaniko's
argv to the script, and failures explained from samples of kaniko's own output (no real
kaniko runs here; tests/test_example1_cluster.py builds for real through a stand-in)."""
import base64
import json
import subprocess

import pytest
from kubernetes import client

from daemon.executors.base import Launch
from daemon.executors.kubernetes import spec as kube_spec
from daemon.executors.kubernetes.executor import KubernetesExecutor
from daemon.executors.kubernetes.options import KubeOptions
from daemon.tasks import TaskUnavailable
from daemon.tasks.lib import kaniko
from models import daemon_state, registries
from tests.fakekube.fixture import fake_kube  # noqa: F401  (pytest fixture)

PASSWORD = "kaniko-s3cret"
CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
VALUES = {"BUILD_ID": "7", "MILLRACE_WORKSPACE": "/nonexistent/ws"}


def build_task(**extra):
    return {"name": "image", "type": "build_image", "image": "jack-2048", "tag": "alpha-${BUILD_ID}",
            "workspace": "devops", "dockerfile": "docker/Dockerfile", **extra}


def launch_of(plan, tmp_path):
    own = {"BUILD_ID": "7", **plan.env}
    return Launch(task_run_id=9, run_id=4, run_number=7, pipeline_name="jack-2048", task_name="image",
                  task_type="build_image", script=plan.script, env={"PATH": "/usr/bin:/bin", **own}, task_env=own,
                  secret_values=plan.secret_values, workspace=tmp_path / "ws", task_dir=tmp_path / "task",
                  image=plan.image, source={"repository": "http://git.example/jack-2048.git", "branch": "master"},
                  shape_pod=plan.shape_pod, explain=plan.explain)


def test_plan_names_the_image_and_builder_and_keeps_the_password_in_secret_values(home):
    registries.add("secure", "https://registry.example:5000", "tester", username="alice", password=PASSWORD,
                   ca_cert=CA)
    plan = kaniko.plan(build_task(), VALUES, "stages[0].tasks[0]", "prod")
    assert plan.image == "gcr.io/kaniko-project/executor:v1.23.2-debug"
    assert plan.notes == ["building docker/Dockerfile with kaniko (gcr.io/kaniko-project/executor:v1.23.2-debug) "
                          "on cluster 'prod' and pushing registry.example:5000/devops/jack-2048:alpha-7"]
    config = json.loads(plan.env[kaniko.CONFIG_ENV])
    token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    assert config == {"auths": {"registry.example:5000": {"auth": token}}}
    assert set(plan.secret_values) == {PASSWORD, token, plan.env[kaniko.CONFIG_ENV]}
    assert not any(PASSWORD in v for k, v in plan.env.items() if k != kaniko.CONFIG_ENV)
    daemon_state.set_setting("kaniko_image", "mirror.example/kaniko:v1.23.2-debug", "tester")
    assert kaniko.plan(build_task(), VALUES, "w").image == "mirror.example/kaniko:v1.23.2-debug"
    with pytest.raises(ValueError, match="kaniko_image must name an image"):
        daemon_state.set_setting("kaniko_image", " ", "tester")


@pytest.mark.parametrize("extra, message", [
    ({"tag": "alpha ${BUILD_ID}"}, "task 'image': image tag 'alpha 7' is not valid"),
    ({"dockerfile": "../Dockerfile"}, "task 'image': Dockerfile path '../Dockerfile' points outside the checkout"),
    ({"context": "/etc"}, "task 'image': build context '/etc' points outside the checkout"),
    ({"registry": "nope"}, "task 'image' pushes to registry 'nope', which is not configured"),
])
def test_plan_refuses_what_can_never_work(home, extra, message):
    registries.add("local", "127.0.0.1:5000", "tester", insecure=True)
    with pytest.raises(TaskUnavailable) as err:
        kaniko.plan(build_task(**extra), VALUES, "w")
    assert str(err.value).startswith(message)


def test_the_pod_runs_kaniko_with_its_argv_and_the_credentials_only_in_the_secret(home, fake_kube, tmp_path):
    registries.add("secure", "https://registry.example:5000", "tester", username="alice", password=PASSWORD,
                   ca_cert=CA)
    plan = kaniko.plan(build_task(context="docker"), VALUES, "w", "prod")
    executor = KubernetesExecutor(fake_kube.api(), fake_kube.namespace, "prod",
                                  options=KubeOptions(watch=False, sleep=lambda s: None))
    handle = executor.start(launch_of(plan, tmp_path))
    assert handle["explain"] == "kaniko"
    pod = fake_kube.pod(handle["pod"])
    main = pod["spec"]["containers"][0]
    assert main["image"] == "gcr.io/kaniko-project/executor:v1.23.2-debug"
    assert main["command"] == ["/bin/sh", "/millrace/task/run.sh", "/millrace/task", "/millrace/out"]
    assert main["args"] == [
        "/kaniko/executor", "--dockerfile", "/workspace/docker/Dockerfile", "--context", "dir:///workspace/docker",
        "--destination", "registry.example:5000/devops/jack-2048:alpha-7", "--digest-file", "/millrace/out/image-digest",
        "--push-retry", "2", "--registry-certificate", "registry.example:5000=/millrace/task/registry-ca.crt"]
    assert {"name": "docker-config", "mountPath": "/kaniko/.docker", "readOnly": True} in main["volumeMounts"]
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert volumes["docker-config"]["secret"] == {"secretName": handle["pod"], "defaultMode": 0o400,
                                                  "items": [{"key": "docker-config.json", "path": "config.json"}]}
    assert {"key": "registry-ca.crt", "path": "registry-ca.crt"} in volumes["task"]["secret"]["items"]
    env = {e["name"]: e.get("value") for e in main["env"]}
    assert env["MILLRACE_IMAGE"] == "registry.example:5000/devops/jack-2048:alpha-7"
    assert kaniko.CONFIG_ENV not in env and kaniko.CA_ENV not in env
    token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    text = json.dumps(pod)
    assert PASSWORD not in text and token not in text and "auths" not in text
    assert pod["spec"]["initContainers"][0]["name"] == "checkout"       # the checkout comes into /workspace
    secret = client.CoreV1Api(fake_kube.api()).read_namespaced_secret(handle["pod"], fake_kube.namespace)
    data = {k: base64.b64decode(v).decode() for k, v in secret.data.items()}
    assert set(data) == {"run.sh", "checkout.sh", "script", "source.repository", "docker-config.json",
                         "registry-ca.crt"}
    assert json.loads(data["docker-config.json"]) == {"auths": {"registry.example:5000": {"auth": token}}}
    assert data["registry-ca.crt"] == CA and data["script"] == kaniko.SCRIPT


@pytest.mark.parametrize("url, insecure, flags", [
    ("127.0.0.1:5000", True, ["--insecure", "--insecure-registry", "127.0.0.1:5000"]),
    ("https://registry.example", True, ["--skip-tls-verify", "--skip-tls-verify-registry", "registry.example"]),
    ("registry.example", False, []),
])
def test_insecure_registries_get_kanikos_flags_and_no_credentials_no_config(home, url, insecure, flags):
    registries.add("r", url, "tester", insecure=insecure)
    plan = kaniko.plan(build_task(), VALUES, "w")
    args = kaniko.executor_args(plan.env)
    assert args[args.index("--push-retry") + 2:] == flags
    pod = {"spec": {"containers": [{"env": [], "volumeMounts": []}], "volumes": []}}
    secret = {"metadata": {"name": "p"}, "stringData": {}}
    kaniko.shape(pod, secret, plan.env)
    assert pod["spec"]["volumes"] == [] and secret["stringData"] == {} and plan.secret_values == []


def test_docker_hub_credentials_use_the_key_kaniko_looks_up(home):
    registries.add("hub", "docker.io", "tester", username="bob", password=PASSWORD)
    config = json.loads(kaniko.plan(build_task(), VALUES, "w").env[kaniko.CONFIG_ENV])
    assert list(config["auths"]) == ["https://index.docker.io/v1/"]


def test_the_wrapper_hands_the_pods_args_to_the_script(tmp_path):
    task, out = tmp_path / "task", tmp_path / "out"
    task.mkdir()
    out.mkdir()
    (task / "run.sh").write_text(kube_spec.WRAPPER)
    (task / "script").write_text('printf "<%s>" "$@"; echo; echo "DONE=$#" >> "$MILLRACE_ENV"\n')
    proc = subprocess.run(["/bin/sh", str(task / "run.sh"), str(task), str(out), "/kaniko/executor", "--a b", ""],
                          env={"PATH": "/usr/bin:/bin", "MILLRACE_POD_UID": "u1"}, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["</kaniko/executor><--a b><>", "::millrace-env u1::", "DONE=3",
                                        "::millrace-reason u1::", "::millrace-end u1::"]


HEAD = "millrace: registry 127.0.0.1:5000\nmillrace: user alice\nmillrace: image 127.0.0.1:5000/devops/app:1\n" \
       "millrace: step build\n"


@pytest.mark.parametrize("log, reason", [
    ("\x1b[36mINFO\x1b[0m[0000] Retrieving image manifest 127.0.0.1:5000/library/busybox:latest\n"
     'error checking push permissions -- make sure you entered the correct tag name, and that you are authenticated '
     'correctly, and try again: checking push permission for "127.0.0.1:5000/devops/app:1": POST '
     "http://127.0.0.1:5000/v2/devops/app/blobs/uploads/: UNAUTHORIZED: authentication required; "
     "[map[Action:push Class: Name:devops/app Type:repository]]\n",
     "registry 127.0.0.1:5000 refused the credentials of user 'alice'"),
    ("\x1b[36mINFO\x1b[0m[0001] RUN echo one\n\x1b[36mINFO\x1b[0m[0001] Running: [/bin/sh -c echo one]\none\n"
     "\x1b[36mINFO\x1b[0m[0001] RUN ls /no-such-dir\n\x1b[36mINFO\x1b[0m[0001] Cmd: /bin/sh\n"
     "ls: /no-such-dir: No such file or directory\n"
     "error building image: error building stage: failed to execute command: waiting for process to exit: "
     "exit status 1\n",
     "build step failed: RUN ls /no-such-dir (exit status 1)"),
    ('time="2024-05-01T10:00:00Z" level=info msg="RUN false"\n'
     "error building image: error building stage: failed to execute command: waiting for process to exit: "
     "exit status 1\n",
     "build step failed: RUN false (exit status 1)"),
    ("INFO[0000] Retrieving image manifest 127.0.0.1:5000/library/nosuch:1\n"
     "INFO[0000] Retrieving image 127.0.0.1:5000/library/nosuch:1 from registry 127.0.0.1:5000\n"
     "error building image: unable to complete operation after 0 attempts, last error: GET "
     "http://127.0.0.1:5000/v2/library/nosuch/manifests/1: MANIFEST_UNKNOWN: manifest unknown; map[Tag:1]\n",
     "base image 127.0.0.1:5000/library/nosuch:1 not found (manifest unknown)"),
    ('error checking push permissions -- make sure you entered the correct tag name, and that you are authenticated '
     'correctly, and try again: checking push permission for "127.0.0.1:5000/devops/app:1": Get '
     '"https://127.0.0.1:5000/v2/": http: server gave HTTP response to HTTPS client\n',
     "TLS mismatch: registry 127.0.0.1:5000 speaks plain HTTP but is not marked insecure (plain HTTP) in its settings"),
    ("error pushing image: failed to push to destination 127.0.0.1:5000/devops/app:1: Put "
     '"http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused\n',
     "registry 127.0.0.1:5000 unreachable (connection refused)"),
    ("millrace: error: Dockerfile docker/Dockerfile not found in the checkout\n",
     "Dockerfile docker/Dockerfile not found in the checkout"),
    # the test stand-in builds with buildah: its errors read as on the local path
    ("STEP 1/2: FROM 127.0.0.1:5000/library/busybox:latest\nSTEP 2/2: RUN false\n"
     'error building at STEP "RUN false": error while running runtime: exit status 1\n'
     'Error: error building at STEP "RUN false": error while running runtime: exit status 1\n',
     "build step failed: STEP 2/2: RUN false (error while running runtime: exit status 1)"),
    ("Error: pushing image \"127.0.0.1:5000/devops/app:1\": authentication required\n",
     "registry 127.0.0.1:5000 refused the credentials of user 'alice'"),
], ids=["push-refused", "run-failed", "run-failed-text-format", "base-not-found", "tls-mismatch", "unreachable",
        "no-dockerfile", "standin-run-failed", "standin-push-refused"])
def test_a_failed_build_is_explained_from_the_log(log, reason):
    assert kaniko.explain(HEAD + log) == reason


def run_script(tmp_path, argv, dockerfile="Dockerfile"):
    """The pod's wrapper and kaniko script, here, with `argv` standing in for kaniko's command line."""
    task, out, ws = tmp_path / "task", tmp_path / "out", tmp_path / "ws"
    for d in (task, out, ws):
        d.mkdir(exist_ok=True)
    (task / "run.sh").write_text(kube_spec.WRAPPER)
    (task / "script").write_text(kaniko.SCRIPT)
    (ws / "Dockerfile").write_text("FROM scratch\n")
    env = {"PATH": "/usr/bin:/bin", "MILLRACE_POD_UID": "u1", "MILLRACE_REGISTRY": "r.example",
           "MILLRACE_REGISTRY_USERNAME": "", "MILLRACE_IMAGE": "r.example/devops/app:1",
           "MILLRACE_DOCKERFILE_PATH": dockerfile}
    return subprocess.run(["/bin/sh", str(task / "run.sh"), str(task), str(out), *argv], cwd=ws, env=env,
                          capture_output=True, text=True)


def test_the_script_reports_the_digest_kaniko_wrote_through_millrace_env(tmp_path):
    digest = "sha256:" + "ab" * 32
    writes = ["/bin/sh", "-c", 'echo "building $1"; printf %s "$2" > "$0"', str(tmp_path / "out" / "image-digest"),
              "--destination", digest]
    proc = run_script(tmp_path, writes)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:5] == ["millrace: registry r.example", "millrace: image r.example/devops/app:1",
                         "millrace: step build", "building --destination", f"millrace: pushed {digest}"]
    assert lines[5:8] == ["::millrace-env u1::", f"IMAGE_DIGEST={digest}", "IMAGE_REF=r.example/devops/app:1"]
    failed = run_script(tmp_path, ["/bin/sh", "-c", "echo 'error building image: boom'; exit 7"])
    assert failed.returncode == 7 and "millrace: pushed" not in failed.stdout
    no_digest = run_script(tmp_path, ["/bin/sh", "-c", ": > \"$0\"", str(tmp_path / "out" / "image-digest")])
    assert no_digest.returncode == 1
    assert "millrace: error: the image was pushed but its digest could not be read" in no_digest.stderr
    missing = run_script(tmp_path, ["/bin/false"], dockerfile="docker/Dockerfile")
    assert missing.returncode == 3
    assert kaniko.explain(missing.stdout + missing.stderr) == "Dockerfile docker/Dockerfile not found in the checkout"
