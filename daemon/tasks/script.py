"""Run-script tasks: the user's script, run in the task's image, in the run's workspace.

On a cluster (`on_cluster`) the script runs as written, in the task's image, as the pod's
main container. On this machine (`on_this_machine`): with a local container runtime
configured (`python run.py settings container_runtime podman`) the script runs inside its
image (daemon.tasks.lib.local_container); without one the local executor runs the script
on the host, and the log says so once, naming the image that was not used.
"""
from __future__ import annotations

from daemon.executors.base import KUBERNETES, LOCAL
from daemon.tasks import Context, TaskPlan, TaskType, task_environment
from daemon.tasks.lib import local_container
from models import daemon_state, task_types
from models.variables import substitute


def on_cluster(ctx: Context) -> TaskPlan:
    """The script as written, in the task's own image."""
    task, values, where = ctx.task, ctx.values, ctx.where
    env, secrets = task_environment(task, values, where)
    image = substitute(task["image"], values, f"{where}.image")
    tag = substitute(task.get("tag") or "latest", values, f"{where}.tag")
    return TaskPlan(script=task["script"], env=env, secret_values=secrets, image=f"{image}:{tag}")


def on_this_machine(ctx: Context) -> TaskPlan:
    host = on_cluster(ctx)
    runtime = daemon_state.get_setting("container_runtime").strip()
    if runtime in ("", "none"):
        return host
    return local_container.plan(ctx.task, host, host.image, ctx.values, runtime,
                                daemon_state.get_setting("container_network").strip())


TYPE = TaskType(task_types.SCRIPT, plans={LOCAL: on_this_machine, KUBERNETES: on_cluster})
