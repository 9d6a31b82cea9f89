"""The chart repository a chart task uses, and how a chart task process learns it.

`repository(task)` is the configured chart repository's URL and the registry settings
(credentials, TLS) for its host; `repository_env()` hands both to a task process as
environment, and `repository_from_env()`, in that process, makes the repository object
(OCI: daemon.tasks.lib.charts.ChartRepository; HTTP with an index: chart_http's).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from daemon.tasks import TaskUnavailable
from daemon.tasks.lib.registry import Registry
from daemon.tasks.process import python_env
from models import registries
from models.i18n import N_
from models.page_names import SETTINGS_PAGE

NO_REPOSITORY = N_("no chart repository is configured: set one on {page}, or with python run.py chart-repo set "
                   "oci://HOST[:PORT]/PATH or http(s)://HOST[:PORT]/PATH [--registry NAME]", page=SETTINGS_PAGE)


def repository(task: dict) -> tuple[str, Registry]:
    """The chart repository's URL and the registry settings (credentials, TLS) for its host."""
    repo = registries.chart_repository()
    if repo is None:
        raise TaskUnavailable(N_("task '{task}' needs a chart repository and {problem}", task=task["name"],
                                 problem=NO_REPOSITORY))
    host = repo.url.split("://", 1)[1].split("/")[0]
    row = registries.chart_registry(repo)
    # an HTTP repository's own URL says http or https; an OCI one takes the registry's scheme
    scheme = repo.url.split("/")[0] + "//" if registries.is_http(repo.url) else \
        re.match(r"^([a-z]+://)?", row.url).group(0) if row is not None else ""
    if row is None:
        return repo.url, Registry(scheme + host)
    return repo.url, Registry(scheme + host, row.username, row.password, bool(row.insecure), row.ca_cert)


def repository_env(url: str, registry: Registry) -> dict:
    """How a chart task process learns its repository (read back by `repository_from_env`)."""
    return {
        "MILLRACE_CHART_REPOSITORY": url,
        "MILLRACE_CHART_REGISTRY_URL": registry.url,
        "MILLRACE_CHART_REGISTRY_USERNAME": registry.username,
        "MILLRACE_CHART_REGISTRY_PASSWORD": registry.password,
        "MILLRACE_CHART_REGISTRY_INSECURE": "1" if registry.insecure else "",
        "MILLRACE_CHART_REGISTRY_CA": registry.ca_cert,
        **python_env(),
    }


def repository_from_env(env, work: Path):
    """(the charts module, the ChartRepository) inside a chart task process. The module is
    imported here, after a private CA is in place: helm_python is Go, and its TLS reads
    SSL_CERT_FILE once, when the library loads."""
    if env.get("MILLRACE_CHART_REGISTRY_CA"):
        (work / "registry-ca.crt").write_text(env["MILLRACE_CHART_REGISTRY_CA"] + "\n")
        os.environ["SSL_CERT_FILE"] = str(work / "registry-ca.crt")
    from daemon.tasks.lib import charts
    registry = Registry(
        env["MILLRACE_CHART_REGISTRY_URL"],
        env.get("MILLRACE_CHART_REGISTRY_USERNAME", ""),
        env.get("MILLRACE_CHART_REGISTRY_PASSWORD", ""),
        bool(env.get("MILLRACE_CHART_REGISTRY_INSECURE")),
        env.get("MILLRACE_CHART_REGISTRY_CA", ""),
    )
    url = env["MILLRACE_CHART_REPOSITORY"]
    if registries.is_http(url):
        from daemon.tasks.lib.chart_http import HttpChartRepository
        return charts, HttpChartRepository(url, registry)
    return charts, charts.ChartRepository(registry, url[len("oci://"):].split("/", 1)[1])
