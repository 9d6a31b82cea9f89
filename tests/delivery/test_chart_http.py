"""Publish, fetch and render Helm charts through an HTTP chart repository (nginx with WebDAV PUT)."""
from __future__ import annotations

import hashlib

import pytest
import yaml

from daemon.tasks.lib.chart_http import HttpChartRepository, chart_versions
from daemon.tasks.lib.charts import ChartError, build_and_publish, fetch_chart, render_chart
from daemon.tasks.lib.registry import Registry
from tests.delivery.fixtures import REGISTRY_PASSWORD, REGISTRY_USER
from tests.delivery.registry_server import free_port


def repo_of(server, **kw):
    return HttpChartRepository(server.url, Registry(server.url.rsplit("/", 1)[0], **kw))


def publish(checkout, repo, tmp_path, version, build_id="7"):
    return build_and_publish(checkout, "nginx", "nginx", version, {"BUILD_ID": build_id}, repo, tmp_path / f"task-{version}")


def test_two_versions_are_indexed_and_one_is_fetched_and_rendered(nginx_checkout, chart_server, tmp_path):
    repo = repo_of(chart_server)
    first = publish(nginx_checkout, repo, tmp_path, "6.0.1-alpha.7")
    second = publish(nginx_checkout, repo, tmp_path, "6.0.1-alpha.8", build_id="8")
    assert first.ref == f"{chart_server.url}/nginx-6.0.1-alpha.7.tgz"
    index = yaml.safe_load(chart_server.file("index.yaml").read_text())
    assert index["apiVersion"] == "v1"
    entries = {e["version"]: e for e in index["entries"]["nginx"]}
    assert set(entries) == {"6.0.1-alpha.7", "6.0.1-alpha.8"}
    for published in (first, second):
        entry = entries[published.version]
        body = chart_server.file(f"nginx-{published.version}.tgz").read_bytes()
        assert published.digest == "sha256:" + hashlib.sha256(body).hexdigest()
        assert entry["digest"] == hashlib.sha256(body).hexdigest()
        assert entry["urls"] == [published.ref] and entry["name"] == "nginx" and entry["created"]
        assert entry["appVersion"] and "description" in entry
    assert sorted(chart_versions(repo, "nginx", tmp_path / "list")) == ["6.0.1-alpha.7", "6.0.1-alpha.8"]

    archive = fetch_chart(repo, "nginx", "6.0.1-alpha.7", tmp_path / "deploy")
    deployment = next(doc for _, doc in render_chart(archive, "nginx", "web") if doc["kind"] == "Deployment")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == \
        "registry.test:5000/devops/nginx:6.0.1-alpha.7"

    republished = publish(nginx_checkout, repo, tmp_path, "6.0.1-alpha.7", build_id="9")     # replaces its entry
    index = yaml.safe_load(chart_server.file("index.yaml").read_text())
    assert sorted(e["version"] for e in index["entries"]["nginx"]) == ["6.0.1-alpha.7", "6.0.1-alpha.8"]
    assert next(e for e in index["entries"]["nginx"] if e["version"] == "6.0.1-alpha.7")["digest"] == \
        republished.digest.removeprefix("sha256:")


def test_a_missing_version_lists_the_others_and_a_bad_digest_is_refused(nginx_checkout, chart_server, tmp_path):
    repo = repo_of(chart_server)
    with pytest.raises(ChartError, match=rf"^chart nginx version 1\.0\.0 not found in {chart_server.url} "
                                         r"\(no versions published\)$"):
        fetch_chart(repo, "nginx", "1.0.0", tmp_path / "deploy")
    publish(nginx_checkout, repo, tmp_path, "6.0.1-alpha.7")
    publish(nginx_checkout, repo, tmp_path, "6.0.1-alpha.8")
    with pytest.raises(ChartError, match=rf"^chart nginx version 9\.9\.9 not found in {chart_server.url} "
                                         r"\(available: 6\.0\.1-alpha\.8, 6\.0\.1-alpha\.7\)$"):
        fetch_chart(repo, "nginx", "9.9.9", tmp_path / "deploy")
    chart_server.file("nginx-6.0.1-alpha.8.tgz").write_bytes(b"tampered")
    with pytest.raises(ChartError, match=r"^chart nginx 6\.0\.1-alpha\.8 from .* does not match the digest in its index"):
        fetch_chart(repo, "nginx", "6.0.1-alpha.8", tmp_path / "deploy")


def test_basic_auth_accepted_refused_and_missing(nginx_checkout, auth_chart_server, tmp_path):
    good = repo_of(auth_chart_server, username=REGISTRY_USER, password=REGISTRY_PASSWORD)
    publish(nginx_checkout, good, tmp_path, "1.0.0")
    assert fetch_chart(good, "nginx", "1.0.0", tmp_path / "deploy").is_file()
    host = auth_chart_server.url.split("/")[2]
    with pytest.raises(ChartError, match=rf"^chart repository {host} refused the credentials of user 'alice'$"):
        publish(nginx_checkout, repo_of(auth_chart_server, username=REGISTRY_USER, password="nope"), tmp_path, "1.0.1")
    with pytest.raises(ChartError, match=rf"^chart repository {host} requires credentials and none are configured$"):
        publish(nginx_checkout, repo_of(auth_chart_server), tmp_path, "1.0.2")
    assert auth_chart_server.get("nginx-1.0.1.tgz").status_code == 404


def test_an_unreachable_repository_is_named(nginx_checkout, tmp_path):
    host = f"127.0.0.1:{free_port()}"
    repo = HttpChartRepository(f"http://{host}/charts", Registry(f"http://{host}"))
    with pytest.raises(ChartError, match=rf"^chart repository {host} unreachable \(connection refused\)$"):
        publish(nginx_checkout, repo, tmp_path, "1.0.0")
