"""Starting one task: take a slot (or wait visibly), build its plan and environment,
hand it to the executor, record the handle.

A task that cannot be built (undefined variable at run time, a task type this
installation cannot run, an unreadable secret, a code source account needing
re-authorisation) fails with that message in its log.
"""
from __future__ import annotations

import json
import os
import time

from daemon import disk, faults, git_credentials, reasons, run_layout, shipping, tasks
from daemon.executors.base import KUBERNETES, Launch, kind_of
from daemon.tasks import TaskPlan, TaskUnavailable
from models import i18n, runs
from models.db import write_transaction
from models.secrets import SecretError
from models.status import Status
from models.variables import UndefinedVariable, dynamic_secrets


START_BUDGET_SECONDS = 0.05


class TaskStarter:
    def __init__(self, executors):
        self.executors = executors
        self._host_noted = set()
        self.paused = None           # set by the daemon while new starts are paused (a full disk)
        self.deferred = False
        self._deadline = None

    def begin_tick(self) -> None:
        """Starts share a budget per tick, so a burst of ready tasks never holds one tick for
        seconds (running tasks' logs and exits wait meanwhile); the rest start next tick."""
        self.deferred, self._deadline = False, None

    def start(self, run, spec, task, now, slots, masker) -> None:
        if self._deadline is not None and time.perf_counter() > self._deadline:
            self.deferred = True
            return
        if self._adopt(task, now, slots):
            return
        if self.paused or not slots.take():
            reason = self.paused or slots.describe()
            if task.status != Status.WAITING or task.reason != i18n.english(reason):
                runs.set_status(task, Status.WAITING, reason, now=now)
            return
        executor_name = tasks.placement(spec, task.task_type)
        values = run_layout.variables(run, spec)
        try:
            plan = self._plan(run, spec, task, executor_name, values)
            credential = self._pod_credential(spec, executor_name, plan)
        except (TaskUnavailable, UndefinedVariable, SecretError, git_credentials.CredentialUnavailable) as exc:
            slots.release()
            reason = reasons.masked(masker, reasons.of_exception(exc))   # it may quote a substituted value
            shipping.note(task, i18n.english(reason), now)      # the log is text: English
            runs.set_status(task, Status.FAILED, reason, started_at=now, now=now)
            return
        executor = self.executors[executor_name]
        launch = self._launch(run, spec, task, plan, values, credential)
        task_dir = launch.task_dir
        masker.add(plan.secret_values)
        for line in plan.notes:
            shipping.note(task, masker(line), now)
        if plan.image and executor_name == "local" and run.id not in self._host_noted:
            self._host_noted.add(run.id)      # once per run, on its first task that names an image
            shipping.note(task, f"running on this machine's shell: no container runtime is configured, "
                                f"so images (here {plan.image}) are not used", now)
        try:
            task_dir.mkdir(parents=True, exist_ok=True)
            handle = executor.start(launch)
        except OSError as exc:     # e.g. a full disk or an unwritable workspace: the task's failure, not the run's
            slots.release()
            reason = reasons.masked(masker, reasons.could_not_start(exc, disk.is_disk_full(exc)))
            shipping.note(task, i18n.english(reason), now)
            runs.set_status(task, Status.FAILED, reason, started_at=now, now=now)
            return
        faults.point("task.before_record")
        if self._deadline is None:         # the first start of the tick always happens
            self._deadline = time.perf_counter() + START_BUDGET_SECONDS
        with write_transaction():
            runs.set_status(task, Status.RUNNING, None if task.status == Status.PENDING else "",
                            started_at=now, executor=executor_name, handle_json=json.dumps(handle), now=now)

    @staticmethod
    def _launch(run, spec, task, plan, values, credential) -> Launch:
        task_dir = run_layout.task_dir(task)
        task_env = {k: str(v) for k, v in values.items()}
        task_env.update(plan.env)
        task_env.update({"MILLRACE_ENV": str(task_dir / "millrace.env"), "MILLRACE_TASK_DIR": str(task_dir),
                         "MILLRACE_REASON_FILE": str(task_dir / "reason")})
        env = dict(os.environ, **task_env)     # like a CI agent: the machine's environment, then the task's
        source = spec.get("source") and {**spec["source"], "repository": values["MILLRACE_REPOSITORY"],
                                         "commit": run.commit_sha, "credential": credential}
        return Launch(
            task_run_id=task.id, run_id=run.id, run_number=run.number, pipeline_name=run.pipeline.name,
            task_name=task.name, task_type=task.task_type, script=plan.script, env=env,
            secret_values=plan.secret_values + dynamic_secrets(run), workspace=run_layout.workspace(run.id),
            task_dir=task_dir, image=plan.image, attempt=task.attempt, task_env=task_env,
            shape_pod=plan.shape_pod, explain=plan.explain,
            timeout_seconds=60 * (spec["timeout_minutes"] or run_layout.NO_TIMEOUT_LIMIT_MINUTES),
            scheduling_timeout_seconds=60 * spec.get("scheduling_timeout_minutes", 60),
            resources=(run_layout.task_spec(spec, task) or {}).get("resources") or {},
            source=source or None)

    def _adopt(self, task, now, slots) -> bool:
        """A task whose process a daemon started and died before recording is adopted at once
        — before waiting for a slot or a pause, since it runs already (and holds a slot)."""
        if task.handle_json:
            return False
        handle = self.executors["local"].find_started(run_layout.task_dir(task))
        if handle is None:
            return False
        slots.busy += 1
        with write_transaction():
            runs.set_status(task, Status.RUNNING, "", started_at=task.started_at or now, executor="local",
                            handle_json=json.dumps(handle), now=now)
        return True

    @staticmethod
    def _pod_credential(spec, executor_name, plan) -> dict:
        """A pod checks the code out itself (its init container): with an account, it needs the
        token, fetched now (refreshed if need be) and masked like the task's secrets."""
        if kind_of(executor_name) != KUBERNETES or not spec.get("source"):
            return {}
        credential = git_credentials.for_source(spec["source"])
        if credential:
            plan.secret_values.append(credential["MILLRACE_GIT_TOKEN"])
        return credential

    def _plan(self, run, spec, task, executor_name, values) -> TaskPlan:
        return tasks.plan(spec, task.stage_run.position, task.position, values, run.commit_sha, executor_name)
