"""What the editor's chart pickers read from the chart repository (models/chart_listing.py):
a real HTTP repository (nginx with WebDAV PUT, charts published by the chart tasks' own code)
and a real OCI registry (distribution's catalog and tags list); an unreachable or unreadable
repository gives a reason, never an exception."""
from __future__ import annotations

import pytest

from daemon.tasks.lib.chart_http import HttpChartRepository, read_index
from daemon.tasks.lib.charts import ChartError, ChartRepository, build_and_publish
from daemon.tasks.lib.registry import Registry
from models import chart_listing, registries
from tests.delivery.fixtures import REGISTRY_PASSWORD, REGISTRY_USER
from tests.delivery.registry_server import free_port


@pytest.fixture(autouse=True)
def fresh_cache():
    chart_listing._cache.clear()
    yield
    chart_listing._cache.clear()


def publish(checkout, repo, tmp_path, name, version):
    build_and_publish(checkout, "nginx", name, version, {"BUILD_ID": "1"}, repo, tmp_path / f"work-{name}-{version}")


def test_an_http_repository_lists_its_charts_and_versions_newest_first(home, nginx_checkout, chart_server, tmp_path):
    repo = HttpChartRepository(chart_server.url, Registry(chart_server.url.rsplit("/", 1)[0]))
    for name, version in (("nginx", "1.9.0"), ("nginx", "1.10.0-rc.1"), ("nginx", "1.10.0"), ("web", "0.1.0")):
        publish(nginx_checkout, repo, tmp_path, name, version)
    registries.set_chart_repository(chart_server.url, "tester")
    found = chart_listing.listing()
    assert found.problem is None and found.charts == ["nginx", "web"]
    assert chart_listing.versions("nginx") == (["1.10.0", "1.10.0-rc.1", "1.9.0"], None)
    assert chart_listing.versions("unknown") == ([], None)


def test_an_http_repository_behind_basic_auth_needs_its_credentials(home, nginx_checkout, auth_chart_server, tmp_path):
    registries.set_chart_repository(auth_chart_server.url, "tester", username=REGISTRY_USER, password=REGISTRY_PASSWORD)
    repo = HttpChartRepository(auth_chart_server.url, Registry(auth_chart_server.url.rsplit("/", 1)[0], REGISTRY_USER,
                                                               REGISTRY_PASSWORD))
    publish(nginx_checkout, repo, tmp_path, "nginx", "2.0.0")
    assert chart_listing.listing().versions == {"nginx": ["2.0.0"]}
    chart_listing._cache.clear()
    registries.set_chart_repository(auth_chart_server.url, "tester")         # no credentials any more
    registries.remove(registries.CHART_CREDENTIALS, "tester")
    found = chart_listing.listing()
    assert found.charts == [] and "HTTP 401" in str(found.problem) and auth_chart_server.url in str(found.problem)


def test_an_unreachable_or_unreadable_repository_says_why(home, chart_server):
    url = f"http://127.0.0.1:{free_port()}/charts"
    registries.set_chart_repository(url, "tester")
    found = chart_listing.listing()
    assert str(found.problem) == f"the chart repository {url} could not be read (connection refused)"
    assert chart_listing.versions("nginx") == ([], found.problem)

    chart_server.file("index.yaml").parent.mkdir(parents=True, exist_ok=True)
    chart_server.file("index.yaml").write_text("- a list, not an index\n")
    registries.set_chart_repository(chart_server.url, "tester")
    problem = str(chart_listing.listing().problem)
    assert "index.yaml is not a chart repository index (not a mapping)" in problem
    repo = HttpChartRepository(chart_server.url, Registry(chart_server.url.rsplit("/", 1)[0]))
    with pytest.raises(ChartError, match=r"index\.yaml is not a chart repository index \(not a mapping\)"):
        read_index(repo, chart_server.root / "work")                         # the chart tasks read it the same way


def test_an_oci_repository_lists_charts_from_the_catalog_and_versions_from_tags(home, nginx_checkout, registry,
                                                                                tmp_path):
    repo = ChartRepository(Registry(f"http://{registry.host}"), "charts")
    publish(nginx_checkout, repo, tmp_path, "nginx", "1.0.0")
    publish(nginx_checkout, repo, tmp_path, "nginx", "1.2.0+build.5")        # helm tags it 1.2.0_build.5
    registries.add("local", f"http://{registry.host}", "tester")
    registries.set_chart_repository(f"oci://{registry.host}/charts", "tester", "local")
    found = chart_listing.listing()
    assert found.problem is None and found.charts == ["nginx"]
    assert chart_listing.versions("nginx") == (["1.2.0+build.5", "1.0.0"], None)
    assert chart_listing.versions("absent") == ([], None)
