"""Build & publish chart as an engine task: `plan()` for the daemon, `main()` for the process.

`plan()` needs the configured chart repository (`python run.py chart-repo set oci://…` or
`http(s)://…`, the latter an HTTP repository with an index, daemon.tasks.lib.chart_http)
and substitutes `${VAR}` in the chart name and version. The task runs as a durable local
process, `python -m daemon.tasks.build_chart`, which takes everything from the environment
(the run's variables arrive as JSON for the values.yaml substitution), then prepares,
packages and pushes the chart through daemon.tasks.lib.charts. It appends `CHART_REF=` and
`CHART_DIGEST=` to $MILLRACE_ENV; a failure's one-line message goes to $MILLRACE_REASON_FILE.
"""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from daemon.tasks import TaskPlan, TaskUnavailable
from daemon.tasks.build_image import python_env
from daemon.tasks.lib.registry import Registry
from models import registries
from models.variables import substitute

LAUNCHER = """#!/bin/sh
# Millrace build & publish chart: package the chart and push it to the chart repository.
exec "$MILLRACE_PYTHON" -m daemon.tasks.build_chart
"""
NO_REPOSITORY = ("no chart repository is configured: set one with "
                 "python run.py chart-repo set oci://HOST[:PORT]/PATH or http(s)://HOST[:PORT]/PATH [--registry NAME]")


def _repository(task: dict) -> tuple[str, Registry]:
    """The chart repository's URL and the registry settings (credentials, TLS) for its host."""
    repo = registries.chart_repository()
    if repo is None:
        raise TaskUnavailable(f"task '{task['name']}' needs a chart repository and {NO_REPOSITORY}")
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
    return {"MILLRACE_CHART_REPOSITORY": url, "MILLRACE_CHART_REGISTRY_URL": registry.url,
            "MILLRACE_CHART_REGISTRY_USERNAME": registry.username, "MILLRACE_CHART_REGISTRY_PASSWORD": registry.password,
            "MILLRACE_CHART_REGISTRY_INSECURE": "1" if registry.insecure else "",
            "MILLRACE_CHART_REGISTRY_CA": registry.ca_cert, **python_env()}


def repository_from_env(env, work: Path):
    """(the charts module, the ChartRepository) inside a chart task process. The module is
    imported here, after a private CA is in place: helm_python is Go, and its TLS reads
    SSL_CERT_FILE once, when the library loads."""
    if env.get("MILLRACE_CHART_REGISTRY_CA"):
        (work / "registry-ca.crt").write_text(env["MILLRACE_CHART_REGISTRY_CA"] + "\n")
        os.environ["SSL_CERT_FILE"] = str(work / "registry-ca.crt")
    from daemon.tasks.lib import charts
    registry = Registry(env["MILLRACE_CHART_REGISTRY_URL"], env.get("MILLRACE_CHART_REGISTRY_USERNAME", ""),
                        env.get("MILLRACE_CHART_REGISTRY_PASSWORD", ""), bool(env.get("MILLRACE_CHART_REGISTRY_INSECURE")),
                        env.get("MILLRACE_CHART_REGISTRY_CA", ""))
    url = env["MILLRACE_CHART_REPOSITORY"]
    if registries.is_http(url):
        from daemon.tasks.lib.chart_http import HttpChartRepository
        return charts, HttpChartRepository(url, registry)
    return charts, charts.ChartRepository(registry, url[len("oci://"):].split("/", 1)[1])


def plan(task: dict, values: dict, where: str) -> TaskPlan:
    url, registry = _repository(task)
    name = substitute(task["chart_name"], values, f"{where}.chart_name")
    version = substitute(task["chart_version"], values, f"{where}.chart_version")
    chart_dir = substitute(task["chart_dir"], values, f"{where}.chart_dir")
    env = {"MILLRACE_CHART_DIR": chart_dir, "MILLRACE_CHART_NAME": name, "MILLRACE_CHART_VERSION": version,
           "MILLRACE_CHART_VALUES_JSON": json.dumps({k: str(v) for k, v in values.items()}),
           **repository_env(url, registry)}
    return TaskPlan(script=LAUNCHER, env=env, secret_values=[registry.password] if registry.password else [],
                    notes=[f"packaging chart {name} {version} from {chart_dir}/ and publishing it to {url}"])


def main() -> int:
    env = os.environ
    work = Path(env["MILLRACE_TASK_DIR"]) / "chart-build"
    work.mkdir(parents=True, exist_ok=True)
    charts, repo = repository_from_env(env, work)
    name, version, chart_dir = env["MILLRACE_CHART_NAME"], env["MILLRACE_CHART_VERSION"], env["MILLRACE_CHART_DIR"]
    values = json.loads(env["MILLRACE_CHART_VALUES_JSON"])
    try:
        print(f"Preparing chart {name} from {chart_dir}/ (substituting ${{VAR}} in values.yaml)", flush=True)
        chart = charts.prepare_chart(Path(env["MILLRACE_WORKSPACE"]), chart_dir, values, work, name)
        archive = charts.package_chart(chart, version, work / "packages")
        print(f"Packaged {archive.name}; {'uploading' if registries.is_http(repo.root) else 'pushing'} it to "
              f"{repo.root}", flush=True)
        published = charts.publish_chart(archive, repo, work)
    except charts.ChartError as e:
        password = repo.registry.password
        reason = str(e).replace(password, "***") if password else str(e)
        Path(env["MILLRACE_REASON_FILE"]).write_text(reason + "\n")
        print(f"millrace: failed: {reason}", flush=True)
        return 1
    print(f"millrace: pushed chart {published.ref} {published.digest}", flush=True)
    with open(env["MILLRACE_ENV"], "a") as fh:
        fh.write(f"CHART_REF={published.ref}\nCHART_DIGEST={published.digest}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
