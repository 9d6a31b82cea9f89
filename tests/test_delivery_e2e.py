"""Delivery tasks through the daemon: the manual's examples with a real registry, a real git
server and real buildah/podman (PRODUCT.md §10), and their failures with their messages."""
from __future__ import annotations

import json

import pytest

from daemon.run_layout import workspace
from daemon.tasks.lib.charts import ChartRepository, fetch_chart, render_chart
from daemon.tasks.lib.registry import Registry
from models import daemon_state, logs, pipelines, registries, runs
from models.tables import TaskRun
from tests.delivery.examples import example_nginx_chart
from tests.conftest import FakeClock, pipeline_spec, run_until_done, script_task, tick_until
from tests.delivery.fixtures import *  # noqa: F401,F403
from tests.delivery.fixtures import REGISTRY_PASSWORD, REGISTRY_USER

slow = pytest.mark.slow


def build_task(name="image", image="jack-2048", tag="alpha-${BUILD_ID}", **extra):
    return {"name": name, "type": "build_image", "image": image, "tag": tag, "workspace": "devops",
            "dockerfile": "Dockerfile", **extra}


def chart_task(name="chart", chart_dir="nginx", version="6.0.1-alpha.${BUILD_ID}"):
    return {"name": name, "type": "build_chart", "chart_dir": chart_dir, "chart_name": "nginx",
            "chart_version": version}


def run_pipeline(daemon, spec, timeout=120):
    p = pipelines.create(spec, "tester")
    done = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id, timeout=timeout)
    return done, {t.name: t for t in TaskRun.select().where(TaskRun.run == done.id)}


def source(git_server, name):
    return {"repository": git_server.url(name), "branch": "master"}


@slow
def test_example_1_pushes_the_run_numbered_image_and_records_its_digest(home, daemon, container_env, example_repos,
                                                                         registry):
    registries.add("local", registry.host, "tester", insecure=True)
    done, tasks = run_pipeline(daemon, pipeline_spec("jack-2048", source=source(example_repos.server, "jack-2048"), stages=[
        {"name": "Build", "mode": "serial", "tasks": [build_task()]},
        {"name": "Deploy", "mode": "serial", "tasks": [script_task("show", 'echo "deploying $IMAGE_REF at $IMAGE_DIGEST"')]}]))
    assert done.status == "succeeded", done.reason
    assert registry.tags("devops/jack-2048") == [f"alpha-{done.number}"]
    digest = registry.manifest_digest("devops/jack-2048", f"alpha-{done.number}")
    outputs = json.loads(tasks["image"].outputs_json)
    assert outputs == {"IMAGE_DIGEST": digest, "IMAGE_REF": f"{registry.host}/devops/jack-2048:alpha-1"}
    log = logs.text(tasks["image"].id)
    assert f"building Dockerfile with buildah and pushing {registry.host}/devops/jack-2048:alpha-1" in log
    assert 'STEP 3/5: RUN echo "built for 2048" > /www/build.txt' in log
    assert f"millrace: pushed {digest}" in log
    assert f"deploying {registry.host}/devops/jack-2048:alpha-1 at {digest}" in logs.text(tasks["show"].id)


@slow
def test_example_2_image_and_chart_carry_the_run_number(home, daemon, container_env, example_repos, registry, tmp_path):
    registries.add("local", f"http://{registry.host}", "tester")
    registries.set_chart_repository(f"oci://{registry.host}/charts", "tester", "local")
    done, tasks = run_pipeline(daemon, pipeline_spec("nginx", source=source(example_repos.server, "nginx-chart"), stages=[
        {"name": "Build", "mode": "parallel", "tasks": [build_task(image="nginx", tag="6.0.1-alpha.${BUILD_ID}"),
                                                         chart_task()]}]))
    assert done.status == "succeeded", done.reason
    assert registry.tags("devops/nginx") == ["6.0.1-alpha.1"]
    assert registry.tags("charts/nginx") == ["6.0.1-alpha.1"]
    chart_digest = registry.manifest_digest("charts/nginx", "6.0.1-alpha.1")
    assert json.loads(tasks["chart"].outputs_json) == {
        "CHART_REF": f"oci://{registry.host}/charts/nginx:6.0.1-alpha.1", "CHART_DIGEST": chart_digest}
    assert f"millrace: pushed chart oci://{registry.host}/charts/nginx:6.0.1-alpha.1 {chart_digest}" in \
        logs.text(tasks["chart"].id)
    # what a later deploy would install: the published chart's values name the run's image
    archive = fetch_chart(ChartRepository(Registry(f"http://{registry.host}")), "nginx", "6.0.1-alpha.1", tmp_path)
    deployment = next(doc for _, doc in render_chart(archive, "nginx", "web") if doc["kind"] == "Deployment")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == f"{registry.host}/devops/nginx:6.0.1-alpha.1"


@slow
def test_example_3_script_logs_in_inside_its_image_with_secrets_masked(home, daemon, container_env, busybox_image,
                                                                       auth_registry):
    daemon_state.set_setting("container_runtime", "podman", "tester")
    daemon_state.set_setting("container_network", "host", "tester")     # the test registry is on 127.0.0.1
    script = "\n".join([
        'echo "logging in to $REGISTRY as $REGISTRY_USER with password $REGISTRY_PASSWORD"',
        'auth=$(printf "%s:%s" "$REGISTRY_USER" "$REGISTRY_PASSWORD" | base64)',
        'wget -q -O /dev/null --header "Authorization: Basic $auth" "http://$REGISTRY/v2/" && echo "Login Succeeded"',
        '[ -e /etc/debian_version ] && echo "on the host" || echo "inside the image"',
        'echo made-inside > from-container.txt',
        'echo "LOGGED_IN=$REGISTRY_USER" >> "$MILLRACE_ENV"'])
    done, tasks = run_pipeline(daemon, pipeline_spec("tools", stages=[{"name": "Login", "mode": "serial", "tasks": [
        script_task("login", script, tag="latest", env=[
            {"name": "REGISTRY", "value": auth_registry.host}, {"name": "REGISTRY_USER", "value": REGISTRY_USER},
            {"name": "REGISTRY_PASSWORD", "value": REGISTRY_PASSWORD, "secret": True}])]}]))
    log = logs.text(tasks["login"].id)
    assert done.status == "succeeded", (done.reason, log)
    assert f"logging in to {auth_registry.host} as {REGISTRY_USER} with password ***" in log
    assert "Login Succeeded" in log and "inside the image" in log
    assert REGISTRY_PASSWORD not in log
    assert "running in image busybox:latest with podman (network: host)" in log
    assert "no container runtime is configured" not in log
    assert json.loads(tasks["login"].outputs_json) == {"LOGGED_IN": REGISTRY_USER}
    assert (workspace(done.id) / "from-container.txt").read_text() == "made-inside\n"


@slow
def test_failed_build_step_fails_the_run_with_the_step(home, daemon, container_env, git_server, registry, busybox_image):
    git_server.publish("broken", {"Dockerfile": f"FROM {busybox_image}\nRUN echo one\nRUN ls /no-such-dir\n"})
    registries.add("local", registry.host, "tester", insecure=True)
    done, tasks = run_pipeline(daemon, pipeline_spec("broken", source=source(git_server, "broken"), stages=[
        {"name": "Build", "mode": "serial", "tasks": [build_task(image="broken")]}]))
    assert done.status == "failed"
    assert done.reason == "task 'image' in stage 'Build' failed: build step failed: STEP 3/3: RUN ls /no-such-dir (exit status 1)"
    assert "No such file or directory" in logs.text(tasks["image"].id)
    assert registry.tags("devops/broken") == []


@slow
def test_refused_push_fails_the_run_naming_the_registry(home, daemon, container_env, example_repos, auth_registry):
    registries.add("no-login", auth_registry.host, "tester", insecure=True)
    registries.add("wrong", auth_registry.host, "tester", insecure=True, username=REGISTRY_USER, password="wrong-pass")
    done, tasks = run_pipeline(daemon, pipeline_spec("refused", source=source(example_repos.server, "jack-2048"), stages=[
        {"name": "Build", "mode": "parallel", "tasks": [build_task("anonymous", registry="no-login"),
                                                         build_task("wrong", registry="wrong")]}]))
    assert done.status == "failed"
    assert tasks["anonymous"].reason == f"registry {auth_registry.host} requires credentials and none are configured"
    assert tasks["wrong"].reason == f"registry {auth_registry.host} refused the credentials of user 'alice'"
    assert "wrong-pass" not in logs.text(tasks["wrong"].id)
    assert auth_registry.tags("devops/jack-2048") == []


@slow
def test_missing_chart_directory_fails_the_run(home, daemon, example_repos, registry):
    registries.add("local", registry.host, "tester", insecure=True)
    registries.set_chart_repository(f"oci://{registry.host}/charts", "tester")
    done, tasks = run_pipeline(daemon, pipeline_spec("nochart", source=source(example_repos.server, "jack-2048"), stages=[
        {"name": "Publish", "mode": "serial", "tasks": [chart_task(chart_dir="charts/nginx")]}]))
    assert done.status == "failed"
    assert done.reason == "task 'chart' in stage 'Publish' failed: chart directory 'charts/nginx' not found in the checkout"
    assert registry.tags("charts/nginx") == []


def test_delivery_tasks_without_settings_say_what_to_configure(home, daemon):
    done, tasks = run_pipeline(daemon, pipeline_spec("unset", stages=[
        {"name": "A", "mode": "parallel", "tasks": [build_task(), chart_task(),
                                                     {"name": "deploy", "type": "deploy_chart", "release": "nginx",
                                                      "chart": "nginx", "chart_version": "6.0.1-alpha.${BUILD_ID}",
                                                      "namespace": "web"}]}]))
    assert done.status == "failed"
    assert tasks["image"].reason.startswith("task 'image' is a build & publish image task and no container registry "
                                            "is configured to push to: add one on the Settings page (/settings), or "
                                            "with python run.py registry add")
    no_repository = ("no chart repository is configured: set one on the Settings page (/settings), or with python "
                     "run.py chart-repo set oci://HOST[:PORT]/PATH or http(s)://HOST[:PORT]/PATH [--registry NAME]")
    assert tasks["chart"].reason == f"task 'chart' needs a chart repository and {no_repository}"
    assert tasks["deploy"].reason == f"task 'deploy' needs a chart repository and {no_repository}"
    assert "no container registry is configured" in logs.text(tasks["image"].id)


def test_a_named_registry_that_does_not_exist_and_a_bad_tag(home, daemon):
    registries.add("local", "127.0.0.1:5000", "tester", insecure=True)
    done, tasks = run_pipeline(daemon, pipeline_spec("bad", stages=[{"name": "A", "mode": "parallel", "tasks": [
        build_task("named", registry="elsewhere"), build_task("badtag", tag="alpha ${BUILD_ID}")]}]))
    assert tasks["named"].reason == ("task 'named' pushes to registry 'elsewhere', which is not configured: "
                                     "no registry named 'elsewhere' (configured: local)")
    assert tasks["badtag"].reason.startswith("task 'badtag': image tag 'alpha 1' is not valid")


def test_a_container_runtime_that_cannot_be_used_is_named(home, daemon, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    for runtime, message in (("lxc", "the container_runtime setting is 'lxc', which Millrace cannot use"),
                             ("docker", "the container_runtime setting is 'docker' but docker is not installed")):
        daemon_state.set_setting("container_runtime", runtime, "tester")
        done, tasks = run_pipeline(daemon, pipeline_spec(f"rt-{runtime}", stages=[
            {"name": "A", "mode": "serial", "tasks": [script_task("s", "echo hi")]}]))
        assert done.status == "failed"
        assert tasks["s"].reason.startswith(f"task 's' cannot run in its image: {message}")


@slow
def test_stopping_a_task_in_its_image_stops_the_container(home, daemon, container_env, busybox_image):
    daemon_state.set_setting("container_runtime", "podman", "tester")
    p = pipelines.create(pipeline_spec("sleepy", stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("sleep", 'echo started; sleep 300', tag="latest")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    tick_until(daemon, lambda: "started" in logs.text(TaskRun.get(TaskRun.run == run.id).id),
               message="the container's first line")
    assert container_env.run(["podman", "ps", "--format", "{{.Names}}"]).stdout.startswith("millrace-")
    runs.request_stop(run, "alice")
    # The daemon's clock stands still from here: the grace period (10 s) never ends, so no KILL
    # is ever sent. The run can only stop because TERM reached `sleep` in the container (through
    # its init, --init): that is what this test checks, without timing anything.
    done = run_until_done(daemon, run.id, clock=FakeClock())
    assert done.status == "stopped"
    assert container_env.run(["podman", "ps", "--all", "--format", "{{.Names}}"]).stdout.strip() == ""


@slow
def test_an_image_that_cannot_be_pulled_fails_the_task_with_its_name(home, daemon, container_env, registry):
    daemon_state.set_setting("container_runtime", "podman", "tester")
    image = f"{registry.host}/tools/nosuch"
    done, tasks = run_pipeline(daemon, pipeline_spec("nopull", stages=[{"name": "S", "mode": "serial", "tasks": [
        {**script_task("use", "echo never"), "image": image, "tag": "1"}]}]))
    assert done.status == "failed"
    assert tasks["use"].reason.startswith(f"image {image}:1 could not be pulled with podman: ")
    assert "manifest unknown" in tasks["use"].reason
    assert "never" not in logs.text(tasks["use"].id)


@slow
def test_a_tls_registry_with_a_private_ca_and_credentials_takes_image_and_chart(home, daemon, container_env, git_server,
                                                                                  busybox_image, tls_registry):
    git_server.publish("nginx-chart", example_nginx_chart(tls_registry.host, busybox_image))
    registries.add("secure", tls_registry.host, "tester", username=REGISTRY_USER, password=REGISTRY_PASSWORD,
                   ca_cert=tls_registry.ca_cert.read_text())
    registries.set_chart_repository(f"oci://{tls_registry.host}/charts", "tester")
    done, tasks = run_pipeline(daemon, pipeline_spec("secure", source=source(git_server, "nginx-chart"), stages=[
        {"name": "Build", "mode": "parallel", "tasks": [build_task(image="nginx", tag="v${BUILD_ID}"), chart_task()]}]))
    assert done.status == "succeeded", done.reason
    assert tls_registry.tags("devops/nginx") == ["v1"]
    assert tls_registry.tags("charts/nginx") == ["6.0.1-alpha.1"]
    for task in tasks.values():
        assert REGISTRY_PASSWORD not in logs.text(task.id)
    registries.add("untrusted", tls_registry.host, "tester", username=REGISTRY_USER, password=REGISTRY_PASSWORD)
    registries.set_chart_repository(f"oci://{tls_registry.host}/charts", "tester", "untrusted")
    done, tasks = run_pipeline(daemon, pipeline_spec("untrusted", source=source(git_server, "nginx-chart"), stages=[
        {"name": "Build", "mode": "serial", "tasks": [chart_task()]}]))
    assert tasks["chart"].reason.startswith(f"TLS mismatch: the certificate of registry {tls_registry.host} is not trusted")
