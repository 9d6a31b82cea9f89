"""Build, publish, fetch and render Helm charts against a real OCI registry."""
from __future__ import annotations

import pytest

from daemon.tasks.lib.charts import (ChartError, ChartRepository, build_and_publish, fetch_chart,
                                 parameter_values, render_chart)
from daemon.tasks.lib.registry import Registry
from tests.delivery.fixtures import REGISTRY_PASSWORD, REGISTRY_USER
from tests.delivery.registry_server import free_port

HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"


def repo_of(server, **kw):
    return ChartRepository(Registry(server.host, insecure=True, **kw), "charts")


def publish(checkout, repo, tmp_path, version="6.0.1-alpha.7", name="nginx", chart_dir="nginx", build_id="7"):
    return build_and_publish(checkout, chart_dir, name, version, {"BUILD_ID": build_id}, repo, tmp_path / "task")


def kinds(manifests):
    return {doc["kind"]: doc for _, doc in manifests}


def test_parameters_become_typed_nested_values():
    assert parameter_values({"replicaCount": "3", "image.tag": "a,b", "service.type": "NodePort"}) == {
        "replicaCount": 3, "image": {"tag": "a,b"}, "service": {"type": "NodePort"}}


@pytest.mark.slow
def test_example_chart_is_published_with_substituted_values(nginx_checkout, registry, tmp_path):
    published = publish(nginx_checkout, repo_of(registry), tmp_path)
    assert published.ref == f"oci://{registry.host}/charts/nginx:6.0.1-alpha.7"
    assert registry.tags("charts/nginx") == ["6.0.1-alpha.7"]
    assert registry.manifest_digest("charts/nginx", "6.0.1-alpha.7") == published.digest
    assert registry.manifest("charts/nginx", "6.0.1-alpha.7")["config"]["mediaType"] == HELM_CONFIG
    assert "${BUILD_ID}" in (nginx_checkout / "nginx/values.yaml").read_text()   # the checkout is left alone

    archive = fetch_chart(repo_of(registry), "nginx", "6.0.1-alpha.7", tmp_path / "deploy")
    manifests = render_chart(archive, "nginx", "web")
    deployment = kinds(manifests)["Deployment"]
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == \
        "registry.test:5000/devops/nginx:6.0.1-alpha.7"
    assert [path for path, _ in manifests] == ["nginx/templates/deployment.yaml", "nginx/templates/service.yaml"]


@pytest.mark.slow
def test_render_applies_parameter_overrides(nginx_checkout, registry, tmp_path):
    publish(nginx_checkout, repo_of(registry), tmp_path, version="1.0.0")
    archive = fetch_chart(repo_of(registry), "nginx", "1.0.0", tmp_path / "deploy")
    docs = kinds(render_chart(archive, "shop", "web", {"replicaCount": "3", "image.tag": "hotfix"}))
    assert docs["Deployment"]["metadata"]["name"] == "shop"
    assert docs["Deployment"]["spec"]["replicas"] == 3
    assert docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]["image"].endswith("/nginx:hotfix")


@pytest.mark.slow
def test_chart_is_published_under_the_task_name(nginx_checkout, registry, tmp_path):
    published = publish(nginx_checkout, repo_of(registry), tmp_path, name="web-front", version="2.0.0")
    assert published.name == "web-front"
    assert registry.tags("charts/web-front") == ["2.0.0"]
    assert registry.tags("charts/nginx") == []


def test_directory_without_chart_yaml(nginx_checkout, tmp_path):
    repo = ChartRepository(Registry("127.0.0.1:1", insecure=True))
    with pytest.raises(ChartError, match=r"^chart directory 'nginx/templates' has no Chart\.yaml$"):
        publish(nginx_checkout, repo, tmp_path, chart_dir="nginx/templates")
    with pytest.raises(ChartError, match=r"^chart directory 'helm' not found in the checkout$"):
        publish(nginx_checkout, repo, tmp_path, chart_dir="helm")


def test_undefined_variable_and_bad_version_are_named(nginx_checkout, tmp_path):
    repo = ChartRepository(Registry("127.0.0.1:1", insecure=True))
    with pytest.raises(ChartError, match=r"^undefined variable \$\{BUILD_ID\} in nginx/values\.yaml$"):
        build_and_publish(nginx_checkout, "nginx", "nginx", "1.0.0", {}, repo, tmp_path / "t")
    with pytest.raises(ChartError, match=r"^chart version 'alpha-7' is not a semantic version"):
        publish(nginx_checkout, repo, tmp_path, version="alpha-7")


@pytest.mark.slow
def test_missing_chart_version_lists_what_exists(nginx_checkout, registry, tmp_path):
    publish(nginx_checkout, repo_of(registry), tmp_path)
    root = f"oci://{registry.host}/charts"
    with pytest.raises(ChartError, match=rf"^chart nginx version 9\.9\.9 not found in {root} \(available: 6\.0\.1-alpha\.7\)$"):
        fetch_chart(repo_of(registry), "nginx", "9.9.9", tmp_path / "deploy")
    with pytest.raises(ChartError, match=rf"^chart redis version 1\.0\.0 not found in {root} \(no versions published\)$"):
        fetch_chart(repo_of(registry), "redis", "1.0.0", tmp_path / "deploy")


def test_render_errors_name_file_and_line(nginx_checkout, tmp_path):
    chart = nginx_checkout / "nginx"
    (chart / "templates/config.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ .Values.missing.key }}\n")
    with pytest.raises(ChartError) as err:
        render_chart(chart, "nginx", "web")
    assert str(err.value) == ("chart nginx failed to render: nginx/templates/config.yaml line 6: "
                              "nil pointer evaluating interface {}.key")
    (chart / "templates/config.yaml").write_text("data:\n  b: {{ if }}\n")
    with pytest.raises(ChartError, match=r"^chart nginx failed to render: nginx/templates/config\.yaml line 2: "
                                         r"missing value for if$"):
        render_chart(chart, "nginx", "web")
    (chart / "templates/config.yaml").write_text("data:\n  b: 1\n c: 2\n")
    with pytest.raises(ChartError, match=r"^chart nginx rendered invalid YAML: nginx/templates/config\.yaml line 3"):
        render_chart(chart, "nginx", "web")


@pytest.mark.slow
def test_credentials_accepted_refused_and_missing(nginx_checkout, auth_registry, tmp_path):
    good = repo_of(auth_registry, username=REGISTRY_USER, password=REGISTRY_PASSWORD)
    assert publish(nginx_checkout, good, tmp_path).digest == auth_registry.manifest_digest("charts/nginx", "6.0.1-alpha.7")
    wrong = repo_of(auth_registry, username=REGISTRY_USER, password="nope")
    with pytest.raises(ChartError, match=rf"^registry {auth_registry.host} refused the credentials of user 'alice'$"):
        publish(nginx_checkout, wrong, tmp_path, version="1.0.1")
    with pytest.raises(ChartError, match=rf"^registry {auth_registry.host} requires credentials and none are configured$"):
        publish(nginx_checkout, repo_of(auth_registry), tmp_path, version="1.0.2")
    assert auth_registry.tags("charts/nginx") == ["6.0.1-alpha.7"]


@pytest.mark.slow
def test_unreachable_registry_and_tls_mismatch(nginx_checkout, registry, tmp_path):
    host = f"127.0.0.1:{free_port()}"
    with pytest.raises(ChartError, match=rf"^registry {host} unreachable \(connection refused\)$"):
        publish(nginx_checkout, ChartRepository(Registry(host, insecure=True)), tmp_path)
    with pytest.raises(ChartError, match=rf"^TLS mismatch: registry {registry.host} speaks plain HTTP"):
        publish(nginx_checkout, ChartRepository(Registry(registry.host)), tmp_path)


@pytest.mark.slow
def test_https_registry_untrusted_then_insecure(nginx_checkout, tls_registry, tmp_path):
    creds = {"username": REGISTRY_USER, "password": REGISTRY_PASSWORD}
    with pytest.raises(ChartError, match=rf"^TLS mismatch: the certificate of registry {tls_registry.host} is not "
                                         r"trusted \(certificate signed by unknown authority\)"):
        publish(nginx_checkout, ChartRepository(Registry(tls_registry.host, **creds)), tmp_path)
    skip_verify = ChartRepository(Registry("https://" + tls_registry.host, insecure=True, **creds))
    publish(nginx_checkout, skip_verify, tmp_path)
    assert tls_registry.tags("charts/nginx") == ["6.0.1-alpha.7"]
