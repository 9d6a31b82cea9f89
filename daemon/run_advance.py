"""Moving one active run forward by one step: poll its tasks, ship their logs, account
its time, enforce stop and timeout, start what the planner says is ready, finish it.

Deadlines are data: execution and waiting seconds are added up from stored timestamps
on every tick, so a daemon restart never resets a timeout, and time spent waiting
(for a task slot or cluster resources) does not count toward it.
"""
from __future__ import annotations

import json

from daemon import planner, prepare, shipping
from daemon.task_start import TaskStarter
from models import registries, runs
from models.db import write_transaction
from models.secrets import Masker, unseal
from models.status import Status
from models.tables import Run, StageRun, TaskRun
from models.variables import parse_dynamic

TIMEOUT_ACTOR = "millrace (timeout)"
NO_TIMEOUT_LIMIT_MINUTES = 14 * 24 * 60
STOP_GRACE_SECONDS = 10
ACCOUNT_WRITE_SECONDS = 1.0
_ACTIVE = (Status.RUNNING.value, Status.WAITING.value)


class RunAdvancer:
    def __init__(self, executors):
        self.executors = executors
        self.starter = TaskStarter(executors)
        self._cache = {}     # run id -> (spec, masker): parsed once per run, not per tick
        self.running_handles = []   # (executor name, handle) of tasks seen running this tick

    def advance(self, run: Run, now, slots) -> None:
        spec, masker = self._spec_and_masker(run)
        tasks = list(TaskRun.select(TaskRun, StageRun).join(StageRun)
                     .where(TaskRun.run == run.id).order_by(StageRun.position, TaskRun.position))
        for task in tasks:
            if task.status in _ACTIVE and task.handle_json:
                self._poll(run, task, now, masker, slots)
        stages = self._stages(run, tasks)
        self._account(run, tasks, now)
        if run.stop_requested_at is None and run.execution_seconds > 60 * (spec["timeout_minutes"] or NO_TIMEOUT_LIMIT_MINUTES):
            Run.update(stop_requested_at=now, stop_requested_by=TIMEOUT_ACTOR).where(Run.id == run.id).execute()
            run.stop_requested_at, run.stop_requested_by = now, TIMEOUT_ACTOR
        if run.stop_requested_at is not None:
            self._stop(run, spec, tasks, now, slots)
        else:
            self._plan(run, spec, tasks, stages, now, slots, masker)
        self._update_stages(stages, now)
        self.running_handles.extend((t.executor, json.loads(t.handle_json)) for t in tasks
                                    if t.status == Status.RUNNING.value and t.handle_json)
        if run.status not in _ACTIVE:
            self._cache.pop(run.id, None)

    def _spec_and_masker(self, run):
        if run.id not in self._cache:
            spec = prepare.spec_of(run)
            secrets = [unseal(e["encrypted"]) for s in spec["stages"] for t in s["tasks"]
                       for e in t.get("env", []) if e.get("secret")]
            # Registry passwords reach build tasks too: mask them wherever they might surface.
            secrets += [r.password for r in registries.all_registries() if r.password_sealed]
            self._cache[run.id] = (spec, Masker(secrets))
        return self._cache[run.id]

    def _poll(self, run, task, now, masker, slots) -> None:
        executor = self.executors[task.executor]
        handle = json.loads(task.handle_json)
        result = executor.poll(handle)
        # Ship after polling: once the task is seen ended, this read takes everything it wrote.
        shipping.ship(executor, task, handle, masker, now)
        if result.state == "running" and task.status == Status.WAITING.value:
            runs.set_status(task, Status.RUNNING)
        elif result.state == "waiting" and (task.status != Status.WAITING.value or task.reason != result.reason):
            shipping.note(task, f"waiting: {result.reason}", now)
            runs.set_status(task, Status.WAITING, result.reason)
        elif result.state in ("exited", "failed"):
            self._finish_task(run, task, executor, handle, result, now)
            executor.cleanup(handle)
            slots.release()

    def _finish_task(self, run, task, executor, handle, result, now) -> None:
        if task.stop_sent_at is not None:
            timed_out = run.stop_requested_by == TIMEOUT_ACTOR
            runs.set_status(task, Status.TIMED_OUT if timed_out else Status.STOPPED,
                            "pipeline timeout" if timed_out else f"stopped by {run.stop_requested_by}",
                            exit_code=result.exit_code, finished_at=now)
        elif result.state == "exited" and result.exit_code == 0:
            dynamic = parse_dynamic(executor.read_outputs_file(handle))
            with write_transaction():
                if dynamic:
                    merged = json.loads(Run.get_by_id(run.id).dynamic_json) | dynamic
                    Run.update(dynamic_json=json.dumps(merged), **({"commit_sha": dynamic["MILLRACE_COMMIT_SHA"]}
                               if "MILLRACE_COMMIT_SHA" in dynamic else {})).where(Run.id == run.id).execute()
                    run.dynamic_json = json.dumps(merged)
                    run.commit_sha = dynamic.get("MILLRACE_COMMIT_SHA", run.commit_sha)
                runs.set_status(task, Status.SUCCEEDED, exit_code=0, finished_at=now, outputs_json=json.dumps(dynamic))
        else:
            reason = executor.read_reason(handle) or result.reason or f"exit code {result.exit_code}"
            runs.set_status(task, Status.FAILED, reason, exit_code=result.exit_code, finished_at=now)

    def _account(self, run, tasks, now) -> None:
        """Add the time since the stored `accounted_at` to execution or waiting seconds.

        The sum is stored at most once a second (and whenever the status changes or the
        run ends): until then every tick recomputes it from the same stored pair, so
        skipping a write loses nothing."""
        last = run.accounted_at or run.started_at or now
        delta = max(0.0, (now - last).total_seconds())      # a clock step backwards adds nothing
        statuses = {t.status for t in tasks}
        all_waiting = Status.WAITING.value in statuses and Status.RUNNING.value not in statuses
        if all_waiting:
            run.waiting_seconds += delta
        else:
            run.execution_seconds += delta
        status = Status.WAITING.value if all_waiting else Status.RUNNING.value
        run.accounted_at = now
        if status == run.status and delta < ACCOUNT_WRITE_SECONDS:
            return
        with write_transaction():
            Run.update(status=status, **self.accounting(run)).where(Run.id == run.id).execute()
            for task in tasks:
                if task.status == Status.WAITING.value:
                    task.waiting_seconds += delta
                    TaskRun.update(waiting_seconds=task.waiting_seconds).where(TaskRun.id == task.id).execute()
        run.status = status

    @staticmethod
    def accounting(run) -> dict:
        return {"execution_seconds": run.execution_seconds, "waiting_seconds": run.waiting_seconds,
                "accounted_at": run.accounted_at}

    def _stop(self, run, spec, tasks, now, slots) -> None:
        timed_out = run.stop_requested_by == TIMEOUT_ACTOR
        final = Status.TIMED_OUT if timed_out else Status.STOPPED
        minutes = spec["timeout_minutes"] or NO_TIMEOUT_LIMIT_MINUTES
        reason = f"timed out after {minutes} minutes of execution" if timed_out else f"stopped by {run.stop_requested_by}"
        for task in tasks:
            if task.status == Status.PENDING.value:
                runs.set_status(task, Status.SKIPPED)
            elif task.status in _ACTIVE and not task.handle_json:
                runs.set_status(task, final, reason, finished_at=now)
            elif task.status in _ACTIVE:
                handle = json.loads(task.handle_json)
                if task.stop_sent_at is None:
                    self.executors[task.executor].stop(handle)
                    TaskRun.update(stop_sent_at=now).where(TaskRun.id == task.id).execute()
                    task.stop_sent_at = now
                    shipping.note(task, f"stopping: {reason}", now)
                elif (now - task.stop_sent_at).total_seconds() >= STOP_GRACE_SECONDS:
                    self.executors[task.executor].stop(handle, force=True)
        if not any(t.status in _ACTIVE for t in tasks):
            runs.set_status(run, final, reason, finished_at=now, **self.accounting(run))

    @staticmethod
    def _stages(run, tasks):
        """[(stage run, its task runs)] in order, empty stages included."""
        members = {}
        for task in tasks:
            members.setdefault(task.stage_run_id, []).append(task)
        return [(stage, members.get(stage.id, []))
                for stage in StageRun.select().where(StageRun.run == run.id).order_by(StageRun.position)]

    def _plan(self, run, spec, tasks, stages, now, slots, masker) -> None:
        states = [planner.StageState(sr.id, sr.mode, tuple(planner.TaskState(t.id, t.status) for t in ts))
                  for sr, ts in stages]
        decision = planner.plan(states)
        by_id = {t.id: t for t in tasks}
        ready = list(decision.start) + [t.id for t in tasks if t.status == Status.WAITING.value and not t.handle_json]
        for task_id in ready:
            self.starter.start(run, spec, by_id[task_id], now, slots, masker)
        for task_id in decision.skip:
            runs.set_status(by_id[task_id], Status.SKIPPED)
        if decision.outcome == Status.SUCCEEDED.value:
            runs.set_status(run, Status.SUCCEEDED, finished_at=now, **self.accounting(run))
        elif decision.outcome == Status.FAILED.value:
            failed = next(t for t in tasks if t.status in (Status.FAILED.value, Status.TIMED_OUT.value, Status.STOPPED.value))
            reason = failed.reason if failed.task_type == "checkout" else \
                f"task '{failed.name}' in stage '{failed.stage_run.name}' failed: {failed.reason}"
            runs.set_status(run, Status.FAILED, reason, finished_at=now, **self.accounting(run))

    def _update_stages(self, stages, now) -> None:
        for stage, members in stages:
            state = planner.StageState(stage.id, stage.mode, tuple(planner.TaskState(t.id, t.status) for t in members))
            status = planner.stage_status(state)
            if status == stage.status:
                continue
            fields = {"status": status}
            if stage.started_at is None and status != Status.PENDING.value:
                fields["started_at"] = min((t.started_at for t in members if t.started_at), default=now)
            if status in (Status.SUCCEEDED.value, Status.FAILED.value, Status.STOPPED.value,
                          Status.TIMED_OUT.value, Status.SKIPPED.value):
                fields["finished_at"] = max((t.finished_at for t in members if t.finished_at), default=now)
            StageRun.update(**fields).where(StageRun.id == stage.id).execute()
            stage.status = status
