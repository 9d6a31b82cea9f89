"""Each delivery fixture does what it claims, checked from the outside like a user would."""
from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.delivery.fixtures import REGISTRY_PASSWORD, REGISTRY_USER
from tests.delivery.git_server import GIT_ENV, git

pytestmark = pytest.mark.slow


def test_registry_answers_and_stores_a_pushed_image(registry, containers, busybox_image):
    assert registry.request("/v2/")[0] == 200
    ref = f"{registry.host}/base/busybox:1"
    containers.run(["buildah", "tag", busybox_image, ref], check=True)
    push = containers.run(["buildah", "push", "--digestfile", str(registry.root / "digest"), ref])
    assert push.returncode == 0, push.stderr
    assert registry.tags("base/busybox") == ["1"]
    assert registry.manifest_digest("base/busybox", "1") == (registry.root / "digest").read_text().strip()


def test_registry_stops_by_pid(tmp_path):
    from tests.delivery.registry_server import start_registry
    server = start_registry(tmp_path / "r")
    server.stop()
    assert server.proc.poll() is not None
    with pytest.raises(OSError):
        server.request("/v2/")


def test_auth_registry_refuses_anonymous_and_accepts_its_user(auth_registry):
    assert auth_registry.request("/v2/", auth=False)[0] == 401
    assert auth_registry.request("/v2/")[0] == 200
    auth_registry.password = "wrong"
    assert auth_registry.request("/v2/")[0] == 401


def test_tls_registry_serves_https_with_its_own_certificate(tls_registry):
    assert tls_registry.url.startswith("https://")
    assert tls_registry.request("/v2/")[0] == 200
    assert tls_registry.username == REGISTRY_USER and tls_registry.password == REGISTRY_PASSWORD


def test_busybox_base_image_runs_a_command(containers, busybox_image):
    run = containers.run(["podman", "run", "--rm", "--network", "none", busybox_image,
                          "sh", "-c", "echo hello from $(basename $(readlink /bin/ls))"], timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "hello from busybox"


def test_git_server_clones_and_accepts_pushes_over_http(git_server, tmp_path):
    sha = git_server.publish("demo", {"README.md": "hello\n"})
    clone = tmp_path / "clone"
    git("clone", "--quiet", "--branch", "master", git_server.url("demo"), str(clone))
    assert (clone / "README.md").read_text() == "hello\n"
    assert git("rev-parse", "HEAD", cwd=clone).strip() == sha
    (clone / "NEW.md").write_text("pushed\n")
    git("add", "NEW.md", cwd=clone)
    git("commit", "--quiet", "-m", "over http", cwd=clone)
    git("push", "--quiet", "origin", "master", cwd=clone)
    assert "NEW.md" in git("ls-tree", "--name-only", "master", cwd=git_server.root / "demo.git")


def test_git_server_reports_a_missing_branch_like_a_forge(git_server, tmp_path):
    git_server.publish("demo", {"README.md": "hello\n"})
    result = subprocess.run(["git", "clone", "--branch", "gone", git_server.url("demo"), str(tmp_path / "c")],
                            env={**GIT_ENV, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert result.returncode == 128
    assert "Remote branch gone not found in upstream origin" in result.stderr


def test_example_2048_builds_on_the_local_base_and_deploys_with_build_id(example_repos, containers, tmp_path):
    clone = tmp_path / "2048"
    git("clone", "--quiet", "--branch", "master", example_repos.server.url("jack-2048"), str(clone))
    assert (clone / "Dockerfile").read_text().startswith(f"FROM {example_repos.base_image}\n")
    docs = list(yaml.safe_load_all((clone / "2048_env.yaml").read_text()))
    assert [d["kind"] for d in docs] == ["Deployment", "Service", "Ingress"]
    image = docs[0]["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == f"{example_repos.registry.host}/devops/jack-2048:alpha-${{BUILD_ID}}"
    build = containers.run(["buildah", "bud", "--isolation", "chroot", "--quiet", "-t", "localhost/t2048:1",
                            "-f", str(clone / "Dockerfile"), str(clone)], timeout=120)
    assert build.returncode == 0, build.stderr
    run = containers.run(["podman", "run", "--rm", "--network", "none", "localhost/t2048:1",
                          "cat", "/www/index.html", "/www/build.txt"], timeout=60)
    assert "<h1>2048</h1>" in run.stdout and "built for 2048" in run.stdout


def test_example_nginx_chart_has_a_chart_with_build_id_in_its_values(example_repos, tmp_path):
    clone = tmp_path / "nginx"
    git("clone", "--quiet", example_repos.server.file_url("nginx-chart"), str(clone))
    assert (clone / "Dockerfile").is_file()
    assert yaml.safe_load((clone / "nginx/Chart.yaml").read_text())["name"] == "nginx"
    values = yaml.safe_load((clone / "nginx/values.yaml").read_text())
    assert values["image"]["tag"] == "6.0.1-alpha.${BUILD_ID}"
    assert values["image"]["repository"] == f"{example_repos.registry.host}/devops/nginx"
    assert {p.name for p in (clone / "nginx/templates").iterdir()} >= {"deployment.yaml", "service.yaml"}
