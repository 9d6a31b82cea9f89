"""Run-script tasks: the user's script, run in the task's image, in the run's workspace.

With a local container runtime configured (`python run.py settings container_runtime
podman`) the script runs inside its image (daemon.tasks.lib.local_container). Without one
the local executor runs the script on the host; the log says so once, naming the image
that was not used.
"""
from __future__ import annotations

from daemon.tasks import TaskPlan, task_environment
from daemon.tasks.lib import local_container
from models import daemon_state
from models.variables import substitute


def plan(task: dict, values: dict, where: str) -> TaskPlan:
    env, secrets = task_environment(task, values, where)
    image = substitute(task["image"], values, f"{where}.image")
    tag = substitute(task.get("tag") or "latest", values, f"{where}.tag")
    host = TaskPlan(script=task["script"], env=env, secret_values=secrets, image=f"{image}:{tag}")
    runtime = daemon_state.get_setting("container_runtime").strip()
    if runtime in ("", "none"):
        return host
    return local_container.plan(task, host, host.image, values, runtime,
                                daemon_state.get_setting("container_network").strip())
