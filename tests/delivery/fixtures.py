"""Pytest fixtures for delivery tests: registry, container tooling, base image, git server.

Import them into a conftest (`from tests.delivery.fixtures import *`). Registries and
git servers are per test (they start in ~0.2 s); the container storage and the busybox
base image are per session, because images are content-addressed and building the
base once is enough. Everything started here is stopped by its handle in teardown.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.delivery.chart_server import start_chart_server
from tests.delivery.containers import ContainersConfig, make_busybox
from tests.delivery.examples import example_2048, example_nginx_chart
from tests.delivery.git_server import GitServer, git
from tests.delivery.registry_server import RegistryServer, start_registry

__all__ = ["containers", "container_env", "busybox_image", "registry", "auth_registry", "tls_registry",
           "chart_server", "auth_chart_server", "git_server", "example_repos", "nginx_checkout", "ExampleRepos", "require_tools"]

REGISTRY_USER, REGISTRY_PASSWORD = "alice", "s3cret-pass"


def require_tools(*names: str) -> None:
    """Fail (not skip) when a tool is missing: CI must install it, a skip would hide that."""
    missing = [n for n in names if not shutil.which(n)]
    if missing:
        pytest.fail("missing tools: " + ", ".join(missing) + " (apt-get install docker-registry "
                    "buildah podman runc busybox-static apache2-utils nginx)", pytrace=False)


@pytest.fixture(scope="session")
def containers(tmp_path_factory) -> ContainersConfig:
    require_tools("buildah", "runc")
    config = ContainersConfig(tmp_path_factory.mktemp("containers"))
    yield config
    config.cleanup()


@pytest.fixture
def container_env(containers, monkeypatch):
    """This test's processes (the daemon, its tasks, the fake kubelet's builds) use the session's
    container storage and config. Not REGISTRY_*: docker-registry reads those as its own settings."""
    for key, value in containers.env.items():
        if not key.startswith("REGISTRY_"):
            monkeypatch.setenv(key, value)
    return containers


@pytest.fixture(scope="session")
def busybox_image(containers) -> str:
    require_tools("busybox")
    return make_busybox(containers)


def _registry(tmp_path, containers, name, **kw) -> RegistryServer:
    require_tools("docker-registry", "htpasswd", "openssl")
    server = start_registry(tmp_path / name, **kw)
    if not kw.get("tls"):
        containers.mark_insecure(server.host)
    return server


@pytest.fixture
def registry(tmp_path, containers):
    server = _registry(tmp_path, containers, "registry")
    yield server
    server.stop()


@pytest.fixture
def auth_registry(tmp_path, containers):
    server = _registry(tmp_path, containers, "auth-registry", username=REGISTRY_USER, password=REGISTRY_PASSWORD)
    yield server
    server.stop()


@pytest.fixture
def tls_registry(tmp_path, containers):
    server = _registry(tmp_path, containers, "tls-registry", username=REGISTRY_USER,
                       password=REGISTRY_PASSWORD, tls=True)
    yield server
    server.stop()


def _require_nginx() -> None:
    require_tools("openssl")
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):    # sbin: not on every user's PATH
        require_tools("nginx")


@pytest.fixture
def chart_server(tmp_path):
    """An HTTP chart repository (nginx with WebDAV PUT) at chart_server.url."""
    _require_nginx()
    server = start_chart_server(tmp_path / "chart-server")
    yield server
    server.stop()


@pytest.fixture
def auth_chart_server(tmp_path):
    """The same behind basic auth (REGISTRY_USER / REGISTRY_PASSWORD)."""
    _require_nginx()
    server = start_chart_server(tmp_path / "auth-chart-server", REGISTRY_USER, REGISTRY_PASSWORD)
    yield server
    server.stop()


@pytest.fixture
def git_server(tmp_path):
    server = GitServer(tmp_path / "git")
    yield server
    server.stop()


@dataclass
class ExampleRepos:
    server: GitServer
    registry: RegistryServer
    base_image: str
    jack_2048: str = "jack-2048"        # repository names on the git server
    nginx: str = "nginx-chart"


@pytest.fixture
def example_repos(git_server, registry, busybox_image) -> ExampleRepos:
    """The manual's examples 1 and 2 on branch master, pulling images from `registry`."""
    git_server.publish("jack-2048", example_2048(registry.host, busybox_image))
    git_server.publish("nginx-chart", example_nginx_chart(registry.host, busybox_image))
    return ExampleRepos(git_server, registry, busybox_image)


@pytest.fixture
def nginx_checkout(git_server, tmp_path):
    """A checkout of the manual's nginx chart example (the chart tests package it)."""
    git_server.publish("nginx-chart", example_nginx_chart("registry.test:5000", "localhost/busybox:latest"))
    target = tmp_path / "checkout"
    git("clone", "--quiet", "--branch", "master", git_server.url("nginx-chart"), str(target))
    return target
