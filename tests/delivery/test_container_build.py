"""Build & publish image against a real registry, with real buildah/podman builds."""
from __future__ import annotations

import pytest

from daemon.tasks.lib.container_build import BuildError, detect_builder, explain_failure, plan_build, run_build
from daemon.tasks.lib.registry import Registry
from tests.delivery.fixtures import REGISTRY_PASSWORD, REGISTRY_USER
from tests.delivery.git_server import git
from tests.delivery.registry_server import free_port


def checkout_of(repos, name, tmp_path):
    target = tmp_path / "checkout"
    git("clone", "--quiet", "--branch", "master", repos.server.url(name), str(target))
    return target


def dockerfile_checkout(tmp_path, text, files=None):
    target = tmp_path / "checkout"
    target.mkdir()
    (target / "Dockerfile").write_text(text)
    for rel, content in (files or {}).items():
        (target / rel).write_text(content)
    return target


def build(checkout, registry, tmp_path, containers, name="app", tag="1", **kw):
    plan = plan_build(checkout, kw.pop("dockerfile", "Dockerfile"), registry, "devops", name, tag,
                      tmp_path / "task", retry_delay="50ms", **kw)
    return run_build(plan, env=containers.env, timeout=300)


def test_no_builder_names_what_to_install():
    with pytest.raises(BuildError, match="looked for buildah, podman, docker on PATH.*install buildah or podman"):
        detect_builder(which=lambda name: None)
    assert detect_builder(which=lambda name: "/usr/bin/podman" if name == "podman" else None) == "podman"


def test_plan_keeps_user_values_out_of_the_script(tmp_path):
    checkout = tmp_path / "c"
    (checkout / "sub dir").mkdir(parents=True)
    registry = Registry("127.0.0.1:5000", username="bob", password="hunter2;rm -rf /")
    plan = plan_build(checkout, "sub dir/Dockerfile;echo pwned", registry, "devops", "jack-2048", "alpha-7",
                      tmp_path / "task", which=lambda name: "/usr/bin/" + name)
    assert plan.image == "127.0.0.1:5000/devops/jack-2048:alpha-7"
    for value in ("hunter2", "pwned", "jack-2048", "bob", "alpha-7"):
        assert value not in plan.script
    assert plan.env["MILLRACE_REGISTRY_PASSWORD"] == "hunter2;rm -rf /"
    assert plan.secret_values == ["hunter2;rm -rf /"]
    assert [s.name for s in plan.steps] == ["login", "build", "push"]


@pytest.mark.parametrize("workspace,name,tag,message", [
    ("devops", "Jack-2048", "1", "image name 'devops/Jack-2048' is not valid"),
    ("dev ops", "jack", "1", "image name 'dev ops/jack' is not valid"),
    ("devops", "jack", "alpha 1", "image tag 'alpha 1' is not valid"),
])
def test_plan_refuses_names_a_registry_would_reject(tmp_path, workspace, name, tag, message):
    with pytest.raises(BuildError, match=message):
        plan_build(tmp_path, "Dockerfile", Registry("r.test"), workspace, name, tag, tmp_path / "t",
                   which=lambda n: "/usr/bin/" + n)


def test_dockerfile_outside_the_checkout_is_refused(tmp_path):
    with pytest.raises(BuildError, match="Dockerfile path '../Dockerfile' points outside the checkout"):
        plan_build(tmp_path / "c", "../Dockerfile", Registry("r.test"), "devops", "a", "1", tmp_path / "t",
                   which=lambda n: "/usr/bin/" + n)


@pytest.mark.parametrize("output,message", [
    ("millrace: step build\n#5 [2/3] RUN make\nERROR: failed to solve: process \"/bin/sh -c make\" did not "
     "complete successfully: exit code: 2\n", "build step failed: RUN make (exit code: 2)"),
    ("millrace: step build\nERROR: failed to solve: nosuch:1: failed to resolve source metadata for "
     "docker.io/library/nosuch:1: docker.io/library/nosuch:1: not found\n", "base image docker.io/library/nosuch:1 not found (not found)"),
    ("millrace: step build\n/tmp/t/build-image.sh: 12: buildah: not found\n",
     "image builder missing on this machine: /tmp/t/build-image.sh: 12: buildah: not found"),
])
def test_failure_messages_from_other_builders_output(output, message):
    assert explain_failure(output) == message


slow = pytest.mark.slow


@slow
def test_example_2048_is_built_and_pushed_with_its_digest(example_repos, registry, containers, tmp_path):
    checkout = checkout_of(example_repos, "jack-2048", tmp_path)
    result = build(checkout, Registry(registry.host, insecure=True), tmp_path, containers,
                   name="jack-2048", tag="alpha-7")
    assert result.image == f"{registry.host}/devops/jack-2048:alpha-7"
    assert registry.tags("devops/jack-2048") == ["alpha-7"]
    assert result.digest == registry.manifest_digest("devops/jack-2048", "alpha-7")
    assert "STEP 3/5: RUN echo \"built for 2048\" > /www/build.txt" in result.output
    assert f"millrace: pushed {result.digest}" in result.output


@slow
def test_podman_builds_and_pushes_too(example_repos, registry, containers, tmp_path):
    checkout = checkout_of(example_repos, "nginx-chart", tmp_path)
    result = build(checkout, Registry("http://" + registry.host), tmp_path, containers,
                   name="nginx", tag="6.0.1-alpha.3", builder="podman")
    assert registry.tags("devops/nginx") == ["6.0.1-alpha.3"]
    assert result.digest == registry.manifest_digest("devops/nginx", "6.0.1-alpha.3")


@slow
def test_missing_dockerfile_says_so(registry, containers, tmp_path):
    checkout = dockerfile_checkout(tmp_path, "FROM scratch\n")
    with pytest.raises(BuildError, match=r"^Dockerfile docker/Dockerfile not found in the checkout$"):
        build(checkout, Registry(registry.host, insecure=True), tmp_path, containers, dockerfile="docker/Dockerfile")


@slow
def test_missing_base_image_is_named(registry, containers, tmp_path):
    checkout = dockerfile_checkout(tmp_path, f"FROM {registry.host}/base/nosuch:1\nRUN true\n")
    with pytest.raises(BuildError) as err:
        build(checkout, Registry(registry.host, insecure=True), tmp_path, containers)
    assert str(err.value) == f"base image {registry.host}/base/nosuch:1 not found (manifest unknown)"
    assert registry.tags("devops/app") == []


@slow
def test_failing_build_step_is_named_and_nothing_is_pushed(registry, containers, busybox_image, tmp_path):
    checkout = dockerfile_checkout(tmp_path, f"FROM {busybox_image}\nRUN echo one\nRUN ls /no-such-dir\nRUN echo three\n")
    with pytest.raises(BuildError) as err:
        build(checkout, Registry(registry.host, insecure=True), tmp_path, containers)
    assert str(err.value) == "build step failed: STEP 3/4: RUN ls /no-such-dir (exit status 1)"
    assert "No such file or directory" in err.value.output
    assert registry.tags("devops/app") == []


@slow
def test_unreachable_registry(containers, busybox_image, tmp_path):
    checkout = dockerfile_checkout(tmp_path, f"FROM {busybox_image}\n")
    host = f"127.0.0.1:{free_port()}"
    with pytest.raises(BuildError, match=rf"^registry {host} unreachable \(connection refused\)$"):
        build(checkout, Registry(host, insecure=True), tmp_path, containers)


@slow
def test_refused_and_missing_credentials(auth_registry, containers, busybox_image, tmp_path):
    checkout = dockerfile_checkout(tmp_path, f"FROM {busybox_image}\n")
    wrong = Registry(auth_registry.host, insecure=True, username=REGISTRY_USER, password="wrong")
    with pytest.raises(BuildError, match=rf"^registry {auth_registry.host} refused the credentials of user 'alice'$"):
        build(checkout, wrong, tmp_path, containers)
    with pytest.raises(BuildError, match=rf"^registry {auth_registry.host} requires credentials and none are configured$"):
        build(checkout, Registry(auth_registry.host, insecure=True), tmp_path, containers)
    assert auth_registry.tags("devops/app") == []


@slow
def test_push_with_credentials_and_a_private_ca(tls_registry, containers, busybox_image, tmp_path):
    checkout = dockerfile_checkout(tmp_path, f"FROM {busybox_image}\nCOPY a.txt /a.txt\n", {"a.txt": "a\n"})
    settings = Registry(tls_registry.host, username=REGISTRY_USER, password=REGISTRY_PASSWORD,
                        ca_cert=tls_registry.ca_cert.read_text())
    result = build(checkout, settings, tmp_path, containers, tag="v1")
    assert result.digest == tls_registry.manifest_digest("devops/app", "v1")
    assert REGISTRY_PASSWORD not in result.output and REGISTRY_PASSWORD not in (tmp_path / "task/build-image.sh").read_text()
    assert not (tmp_path / "task/registry-auth.json").exists()


@slow
def test_tls_mismatches(registry, tls_registry, containers, busybox_image, tmp_path):
    checkout = dockerfile_checkout(tmp_path, f"FROM {busybox_image}\n")
    with pytest.raises(BuildError, match=rf"^TLS mismatch: registry {registry.host} speaks plain HTTP but is not "
                                         r"marked insecure \(plain HTTP\) in its settings$"):
        build(checkout, Registry(registry.host), tmp_path, containers)
    untrusted = Registry(tls_registry.host, username=REGISTRY_USER, password=REGISTRY_PASSWORD)
    with pytest.raises(BuildError, match=rf"^TLS mismatch: the certificate of registry {tls_registry.host} is not "
                                         r"trusted \(certificate signed by unknown authority\)"):
        build(checkout, untrusted, tmp_path, containers)
