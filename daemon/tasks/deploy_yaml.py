"""Deploy-YAML tasks: substitute `${VAR}` in a YAML file of the run's checkout and apply
every document in it to a cluster and namespace, then wait for the rollouts.

The plan (`on_this_machine`, in the daemon) resolves the cluster — the task's, else the
pipeline's, else the default (daemon.tasks.lib.deploy_target) — and returns a fixed
script that starts `python -m daemon.tasks.deploy_yaml` as a durable local process, so a
restarted daemon adopts it like any task. `main()` (through daemon.tasks.process)
reads the file from the daemon's own checkout of the run's pinned commit (the run's
workspace), substitutes only Millrace's variables (their names come in
MILLRACE_DEPLOY_VARIABLES, their values as environment), applies with server-side apply
and reports each resource. Any failure is one line in $MILLRACE_REASON_FILE.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from daemon.executors.base import LOCAL
from daemon.reasons import of_exception
from daemon.tasks import Context, TaskPlan, TaskType, TaskUnavailable, process, task_environment
from daemon.tasks.lib import paths
from daemon.tasks.lib.deploy_target import ROLLOUT_SECONDS, check_namespace, on_pipeline_cluster, target_cluster
from models import clusters, safe_yaml, task_types
from models.i18n import N_
from models.variables import UndefinedVariable, substitute

SCRIPT = 'exec "$MILLRACE_PYTHON" -m daemon.tasks.deploy_yaml\n'


def on_this_machine(ctx: Context) -> TaskPlan:
    task, values, where = on_pipeline_cluster(ctx.task, ctx.pipeline), ctx.values, ctx.where
    env, secrets = task_environment(task, values, where)
    file = substitute(task["file"], values, f"{where}.file")
    namespace = substitute(task["namespace"], values, f"{where}.namespace")
    name = substitute(task.get("cluster") or "", values, f"{where}.cluster")
    check_namespace(task, namespace)
    try:
        paths.lexical(file, "the YAML file")      # before the checkout exists; deploy() resolves it
    except paths.PathOutside as e:
        raise TaskUnavailable(N_("task '{task}': {error}", task=task["name"], error=of_exception(e))) from None
    row = target_cluster(task, name, "YAML")
    env.update({"MILLRACE_DEPLOY_CLUSTER": row.name, "MILLRACE_DEPLOY_NAMESPACE": namespace,
                "MILLRACE_DEPLOY_FILE": file, "MILLRACE_DEPLOY_VARIABLES": json.dumps(sorted(set(values) | set(env))),
                **process.python_env()})
    return TaskPlan(script=SCRIPT, env=env, secret_values=secrets,
                    notes=[f"applying {file} to namespace {namespace} on cluster '{row.name}' ({row.server})"])



TYPE = TaskType(task_types.DEPLOY_YAML, plans={LOCAL: on_this_machine})


def _substituted(text: str, file: str) -> str:
    names = json.loads(os.environ.get("MILLRACE_DEPLOY_VARIABLES", "[]"))
    values = {n: os.environ[n] for n in names if n in os.environ}
    try:
        return substitute(text, values)
    except UndefinedVariable as exc:
        line = next((i for i, l in enumerate(text.splitlines(), 1) if "${" + exc.name + "}" in l), "?")
        raise ValueError(f"{file} line {line}: undefined variable ${{{exc.name}}}") from None


def deploy(api, cluster: str, namespace: str, file: str, workspace: Path, say=print,
           rollout_seconds: float = ROLLOUT_SECONDS, cache_file=None) -> int:
    """Apply the file and wait for its rollouts; returns how many objects were applied."""
    from daemon.tasks.lib.yaml_apply import Applier, documents
    # resolved and kept in the checkout (a symlink to /etc/… is refused), at most the size cap
    data = paths.read_inside(workspace, file, "the YAML file", safe_yaml.MANIFEST_MAX_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{file} is not UTF-8 text") from None
    docs = documents(_substituted(text, file), file)
    applier = Applier(api, cluster, namespace, say=say, cache_file=cache_file)
    applier.ensure_namespace()
    applied = applier.apply(file, docs)
    applier.wait(applied, rollout_seconds)
    return len(applied)


def main() -> int:
    from daemon.kube.client import api_client
    from daemon.tasks.lib.yaml_apply import DeployError
    cluster, namespace, file = (os.environ[k] for k in ("MILLRACE_DEPLOY_CLUSTER", "MILLRACE_DEPLOY_NAMESPACE",
                                                        "MILLRACE_DEPLOY_FILE"))

    def apply() -> None:
        process.open_home()
        api = api_client(clusters.get(cluster))
        count = deploy(api, cluster, namespace, file, Path(os.environ.get("MILLRACE_WORKSPACE") or os.getcwd()),
                       say=process.say,
                       cache_file=str(Path(os.environ.get("MILLRACE_TASK_DIR", "/tmp")) / "discovery.json"))
        process.say(f"applied {count} object(s) from {file} to namespace {namespace} on cluster '{cluster}'")
    return process.main(apply, expected=(DeployError, ValueError, LookupError), cluster=cluster)


if __name__ == "__main__":
    sys.exit(main())
