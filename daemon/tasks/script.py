"""Run-script tasks: the user's script, run in the task's image, in the run's workspace.

Without a container runtime the local executor runs the script on the host; the log says
so once, naming the image that was not used.
"""
from __future__ import annotations

from daemon.tasks import TaskPlan, task_environment
from models.variables import substitute


def plan(task: dict, values: dict, where: str) -> TaskPlan:
    env, secrets = task_environment(task, values, where)
    image = substitute(task["image"], values, f"{where}.image")
    tag = substitute(task.get("tag") or "latest", values, f"{where}.tag")
    return TaskPlan(script=task["script"], env=env, secret_values=secrets, image=f"{image}:{tag}")
