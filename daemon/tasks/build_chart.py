"""Build & publish chart as an engine task: its plan for the daemon, `main()` for the process.

The plan (`on_this_machine`: it runs on the daemon's machine) needs the configured chart
repository (`python run.py chart-repo set oci://…` or `http(s)://…`, the latter an HTTP
repository with an index, daemon.tasks.lib.chart_http; daemon.tasks.lib.chart_repo finds
it) and substitutes `${VAR}` in the chart name and version. The task runs as a durable local
process, `python -m daemon.tasks.build_chart`, which takes everything from the environment
(the run's variables arrive as JSON for the values.yaml substitution), then prepares,
packages and pushes the chart through daemon.tasks.lib.charts. It appends `CHART_REF=` and
`CHART_DIGEST=` to $MILLRACE_ENV; a failure's one-line message goes to $MILLRACE_REASON_FILE.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from daemon.executors.base import LOCAL
from daemon.tasks import Context, TaskPlan, TaskType, process
from daemon.tasks.lib.chart_repo import repository, repository_env, repository_from_env
from models import registries, task_types
from models.variables import substitute

LAUNCHER = """#!/bin/sh
# Millrace build & publish chart: package the chart and push it to the chart repository.
exec "$MILLRACE_PYTHON" -m daemon.tasks.build_chart
"""


def on_this_machine(ctx: Context) -> TaskPlan:
    task, values, where = ctx.task, ctx.values, ctx.where
    url, registry = repository(task)
    name = substitute(task["chart_name"], values, f"{where}.chart_name")
    version = substitute(task["chart_version"], values, f"{where}.chart_version")
    chart_dir = substitute(task["chart_dir"], values, f"{where}.chart_dir")
    env = {"MILLRACE_CHART_DIR": chart_dir, "MILLRACE_CHART_NAME": name, "MILLRACE_CHART_VERSION": version,
           "MILLRACE_CHART_VALUES_JSON": json.dumps({k: str(v) for k, v in values.items()}),
           **repository_env(url, registry)}
    return TaskPlan(script=LAUNCHER, env=env, secret_values=[registry.password] if registry.password else [],
                    notes=[f"packaging chart {name} {version} from {chart_dir}/ and publishing it to {url}"])


TYPE = TaskType(task_types.BUILD_CHART, plans={LOCAL: on_this_machine})


def main() -> int:
    env = os.environ
    work = process.work_dir("chart-build")
    charts, repo = repository_from_env(env, work)
    name, version, chart_dir = env["MILLRACE_CHART_NAME"], env["MILLRACE_CHART_VERSION"], env["MILLRACE_CHART_DIR"]
    values = json.loads(env["MILLRACE_CHART_VALUES_JSON"])

    def build() -> None:
        process.say(f"Preparing chart {name} from {chart_dir}/ (substituting ${{VAR}} in values.yaml)")
        chart = charts.prepare_chart(Path(env["MILLRACE_WORKSPACE"]), chart_dir, values, work, name)
        archive = charts.package_chart(chart, version, work / "packages")
        process.say(f"Packaged {archive.name}; {'uploading' if registries.is_http(repo.root) else 'pushing'} it to "
                    f"{repo.root}")
        published = charts.publish_chart(archive, repo, work)
        process.say(f"millrace: pushed chart {published.ref} {published.digest}")
        process.outputs(CHART_REF=published.ref, CHART_DIGEST=published.digest)
    return process.main(build, expected=(charts.ChartError,), secrets=[repo.registry.password])


if __name__ == "__main__":
    sys.exit(main())
