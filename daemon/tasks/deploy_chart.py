"""Deploy chart as an engine task: its plan for the daemon, `main()` for the process.

Installs or upgrades release `<name>` the way Argo CD does: pull the chart version from the
chart repository (one published earlier in the same run too: `${VAR}` in the version is
substituted), render it with the parameter overrides, server-side apply the objects in
Helm's install order through daemon.tasks.lib.yaml_apply, prune the release's objects the chart
no longer has, wait for the rollouts and record the revision (models.releases). It runs
as a durable local process, `python -m daemon.tasks.deploy_chart`, every value from the
environment; it appends `RELEASE_REVISION=` to $MILLRACE_ENV, and a failure's one line
goes to $MILLRACE_REASON_FILE.
"""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from daemon.executors.base import LOCAL
from daemon.tasks import Context, TaskPlan, TaskType, TaskUnavailable, process, task_environment
from daemon.tasks.lib.chart_repo import repository, repository_env, repository_from_env
from daemon.tasks.lib.deploy_target import ROLLOUT_SECONDS, check_namespace, on_pipeline_cluster, target_cluster
from models import clusters, releases, task_types
from models.variables import substitute
from models.i18n import N_

RELEASE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")    # Helm's rule
SCRIPT = 'exec "$MILLRACE_PYTHON" -m daemon.tasks.deploy_chart\n'


def on_this_machine(ctx: Context) -> TaskPlan:
    task, values, where = on_pipeline_cluster(ctx.task, ctx.pipeline), ctx.values, ctx.where
    url, registry = repository(task)
    env, secrets = task_environment(task, values, where)
    release = substitute(task["release"], values, f"{where}.release")
    chart = substitute(task["chart"], values, f"{where}.chart")
    version = substitute(task["chart_version"], values, f"{where}.chart_version")
    namespace = substitute(task["namespace"], values, f"{where}.namespace")
    parameters = {
        k: substitute(v, values, f"{where}.parameters.{k}") for k, v in (task.get("parameters") or {}).items()
    }
    if not RELEASE.match(release) or len(release) > 53:
        raise TaskUnavailable(N_("task '{task}': release name {release} is not valid (lowercase letters, digits, "
                                 "'-' and '.', at most 53)", task=task["name"], release=repr(release)))
    check_namespace(task, namespace)
    row = target_cluster(task, substitute(task.get("cluster") or "", values, f"{where}.cluster"), N_("a chart"))
    env.update({"MILLRACE_RELEASE": release, "MILLRACE_CHART_NAME": chart, "MILLRACE_CHART_VERSION": version,
                "MILLRACE_RELEASE_VALUES_JSON": json.dumps(parameters), "MILLRACE_DEPLOY_CLUSTER": row.name,
                "MILLRACE_DEPLOY_NAMESPACE": namespace, **repository_env(url, registry)})
    if registry.password:
        secrets.append(registry.password)
    what = f"rolling back release {release} to revision {env[releases.ROLLBACK_ENV]}" \
        if env.get(releases.ROLLBACK_ENV) else f"deploying release {release}"
    return TaskPlan(script=SCRIPT, env=env, secret_values=secrets,
                    notes=[f"{what}: chart {chart} {version} from {url} to namespace {namespace} "
                           f"on cluster '{row.name}' ({row.server})"])


TYPE = TaskType(task_types.DEPLOY_CHART, plans={LOCAL: on_this_machine})


def deploy(api, repo, *, release: str, chart: str, version: str, values: dict, cluster: str, namespace: str,
           work: Path, run_id: int | None = None, rollback_of: int | None = None, say=print,
           rollout_seconds: float = ROLLOUT_SECONDS, cache_file=None) -> releases.ReleaseRevision:
    """Fetch, render, apply, prune, wait; record the revision (also when the cluster part fails)."""
    from daemon.tasks.lib import charts
    from daemon.tasks.lib.release_manifests import arrange, prune
    from daemon.tasks.lib.yaml_apply import Applier
    say(f"fetching chart {chart} {version} from {repo.root}")
    archive = charts.fetch_chart(repo, chart, version, work)
    revision = releases.next_revision(release, cluster, namespace)
    objects, hooks = arrange(charts.render_chart(archive, release, namespace, values, revision), release, namespace)
    for hook in hooks:
        say(f"skipped hook {hook}: Millrace does not run chart hooks")
    if not objects:
        raise charts.ChartError(f"chart {chart} {version} rendered no Kubernetes object")
    say(f"rendered {len(objects)} object(s) for revision {revision}"
        + (f" with {', '.join(f'{k}={v}' for k, v in values.items())}" if values else ""))
    applier = Applier(api, cluster, namespace, say=say, cache_file=cache_file)
    applied = [[d["apiVersion"], d["kind"], d["metadata"]["name"]] for _, _, d in objects]
    previous = [r for rev in releases.ReleaseRevision.select().where(
        (releases.ReleaseRevision.release == release) & (releases.ReleaseRevision.cluster == cluster)
        & (releases.ReleaseRevision.namespace == namespace)) for r in rev.resources]
    facts = dict(chart=chart, chart_version=version, values=values, run_id=run_id, rollback_of=rollback_of,
                 resources=applied)
    try:
        applier.ensure_namespace()
        done = []
        for i, (template, number, doc) in enumerate(objects, start=1):
            applier.say = _numbered(say, i, len(objects), template)
            done += applier.apply(template, [(number, doc)])
        applier.say = say
        prune(applier.dynamic, release, namespace, applied, previous + applied, say=say)
        applier.wait(done, rollout_seconds)
    except Exception as exc:
        releases.record(release, cluster, namespace, status="failed", reason=_reason(exc, cluster), **facts)
        raise
    return releases.record(release, cluster, namespace, status="deployed", **facts)


def _numbered(say, i: int, total: int, template: str):
    """The applier numbers documents within a template; the log numbers them within the release."""
    return lambda line: say(re.sub(r"^\[\d+/\d+\]", f"[{i}/{total}]", line) + f" from {template}")


def _reason(exc: Exception, cluster: str) -> str:
    """The reason a failed revision records: the cluster's answer, or the error's own text."""
    from daemon.kube.client import describe, is_api_error
    return str(describe(exc, cluster)) if is_api_error(exc) else str(exc)


def main() -> int:
    env = os.environ
    work = process.work_dir("chart-deploy")
    charts, repo = repository_from_env(env, work)
    from daemon.kube.client import api_client
    from daemon.tasks.lib.yaml_apply import DeployError
    from models import runs

    release, cluster, namespace = (
        env["MILLRACE_RELEASE"],
        env["MILLRACE_DEPLOY_CLUSTER"],
        env["MILLRACE_DEPLOY_NAMESPACE"],
    )
    rollback_of = int(env[releases.ROLLBACK_ENV]) if env.get(releases.ROLLBACK_ENV) else None

    def install() -> None:
        process.open_home()
        run = runs.get_run(env["MILLRACE_RUN"])
        api = api_client(clusters.get(cluster))
        rev = deploy(
            api,
            repo,
            release=release,
            chart=env["MILLRACE_CHART_NAME"],
            version=env["MILLRACE_CHART_VERSION"],
            values=json.loads(env["MILLRACE_RELEASE_VALUES_JSON"]),
            cluster=cluster,
            namespace=namespace,
            work=work,
            run_id=run.id,
            rollback_of=rollback_of,
            say=process.say,
            cache_file=str(work / "discovery.json"),
        )
        process.say(f"release {release} revision {rev.revision} deployed ({rev.description}): chart {rev.chart} "
                    f"{rev.chart_version} in namespace {namespace} on cluster '{cluster}'")
        process.outputs(RELEASE_REVISION=rev.revision)
    return process.main(install, expected=(charts.ChartError, DeployError, ValueError, LookupError), cluster=cluster,
                        secrets=[repo.registry.password])


if __name__ == "__main__":
    sys.exit(main())
