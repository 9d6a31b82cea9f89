"""Moving one active run forward by one step: poll its tasks, ship their logs, account
its time, enforce stop and timeout, start what the planner says is ready, finish it.

Deadlines are data: execution and waiting seconds are added up from stored timestamps
on every tick, so a daemon restart never resets a timeout, and time spent waiting
(for a task slot or cluster resources) does not count toward it.
"""
from __future__ import annotations

import base64
import json

from daemon import planner, prepare, shipping
from daemon.task_start import TaskStarter
from daemon.tasks import CHECKOUT
from models import registries, runs
from models.db import utcnow, write_transaction
from models.secrets import Masker, unseal
from models.status import Status
from models.tables import Run, StageRun, TaskRun
from models.variables import parse_dynamic, store_dynamic

TIMEOUT_ACTOR = "millrace (timeout)"
NO_TIMEOUT_LIMIT_MINUTES = prepare.NO_TIMEOUT_LIMIT_MINUTES
STOP_GRACE_SECONDS = 10
ACCOUNT_WRITE_SECONDS = 5.0     # a restart loses at most this much accounting
_ACTIVE = (Status.RUNNING.value, Status.WAITING.value)


class RunAdvancer:
    def __init__(self, executors, reaper):
        self.executors = executors
        self.reaper = reaper
        self.starter = TaskStarter(executors)
        self.log_cap = None           # bytes of output kept per task (the log_cap_mb setting)
        self._cache = {}     # run id -> (spec, masker): parsed once per run, not per tick
        # run id -> (task runs, [(stage run, its task runs)]): read once per run, not per tick.
        # Only the daemon writes these rows (one daemon per home), and every write below also
        # updates the cached object; `forget()` drops a run whose tick failed, so a rolled-back
        # write is read again from the database rather than believed.
        self._rows = {}
        self._first_open = {}   # run id -> index of its first stage not yet succeeded
        self._stored_waiting = {}   # task run id -> waiting_seconds as last stored
        self.running_handles = []   # (executor name, handle) of tasks seen running this tick

    def advance(self, run: Run, now, slots) -> None:
        try:
            self._advance(run, now, slots)
        except BaseException:
            self.forget(run.id)
            raise

    def forget(self, run_id: int) -> None:
        for task in self._rows.get(run_id, ((), ()))[0]:
            self._stored_waiting.pop(task.id, None)
        self._cache.pop(run_id, None)
        self._rows.pop(run_id, None)
        self._first_open.pop(run_id, None)

    def _advance(self, run: Run, now, slots) -> None:
        spec, masker = self._spec_and_masker(run)
        tasks, stages = self._load(run)
        if not tasks and not prepare.has_rows(run):
            # claimed by a Millrace that committed the claim apart from the rows and died
            # in between: the run has not started, so create its rows now (never "succeed")
            self.forget(run.id)
            with write_transaction():
                prepare.start_rows(run)
            if run.status not in _ACTIVE:
                return
            spec, masker = self._spec_and_masker(run)
            tasks, stages = self._load(run)
        tasks, stages = self._unfinished(run, stages)
        for task in tasks:
            if task.status in _ACTIVE and task.handle_json:
                self._poll(run, task, now, masker, slots)
        if not self._account(run, tasks, now):
            self.forget(run.id)
            return                        # the run changed under us (ended elsewhere): leave it
        if run.stop_requested_at is None and run.execution_seconds > 60 * (spec["timeout_minutes"] or NO_TIMEOUT_LIMIT_MINUTES):
            # only if nobody asked to stop it meanwhile: a user's stop stays the user's
            if Run.update(stop_requested_at=now, stop_requested_by=TIMEOUT_ACTOR) \
                    .where((Run.id == run.id) & Run.stop_requested_at.is_null()).execute():
                run.stop_requested_at, run.stop_requested_by = now, TIMEOUT_ACTOR
            else:
                fresh = Run.get_by_id(run.id)
                run.stop_requested_at, run.stop_requested_by = fresh.stop_requested_at, fresh.stop_requested_by
        if run.stop_requested_at is not None:
            self._stop(run, spec, tasks, now, slots)
        else:
            self._plan(run, spec, tasks, stages, now, slots, masker)
        self._update_stages(stages, now)
        self.running_handles.extend((t.executor, json.loads(t.handle_json)) for t in tasks
                                    if t.status == Status.RUNNING.value and t.handle_json)
        if run.status not in _ACTIVE:
            self.forget(run.id)

    def _unfinished(self, run, stages):
        """The run's stages from the first one not yet succeeded on, and their tasks. A
        succeeded stage never changes again (terminal states are final) and plays no part in
        planning, so a long run's tick looks only at what is left: work per tick does not grow
        with the stages already done."""
        first = self._first_open.get(run.id, 0)
        while first < len(stages) and stages[first][0].status == Status.SUCCEEDED.value:
            first += 1
        self._first_open[run.id] = first
        left = stages[first:]
        return [t for _, members in left for t in members], left

    def _load(self, run):
        if run.id not in self._rows:
            tasks = list(TaskRun.select(TaskRun, StageRun).join(StageRun)
                         .where(TaskRun.run == run.id).order_by(StageRun.position, TaskRun.position))
            self._rows[run.id] = (tasks, self._stages(run, tasks))
        return self._rows[run.id]

    def masker_of(self, run):
        return self._spec_and_masker(run)[1]

    def settle_stages(self, run) -> None:
        """Give each stage of a run ended outside the planner (an internal error) its final status."""
        tasks = list(TaskRun.select().where(TaskRun.run == run.id))
        self._update_stages(self._stages(run, tasks), utcnow())

    def _spec_and_masker(self, run):
        if run.id not in self._cache:
            spec = prepare.spec_of(run)
            secrets = [unseal(e["encrypted"]) for s in spec["stages"] for t in s["tasks"]
                       for e in t.get("env", []) if e.get("secret")]
            # Registry passwords reach build tasks too, and as the user:password token of a docker
            # config (kaniko): mask both wherever they might surface — rebuilt the same after a restart.
            for registry in registries.all_registries():
                if registry.password_sealed:
                    secrets.append(registry.password)
                    secrets.append(base64.b64encode(f"{registry.username}:{registry.password}".encode()).decode())
            self._cache[run.id] = (spec, Masker(secrets))
        return self._cache[run.id]

    def _poll(self, run, task, now, masker, slots) -> None:
        executor = self.executors[task.executor]
        handle = json.loads(task.handle_json)
        try:
            result = executor.poll(handle)
            # Ship after polling: once the task is seen ended, reading takes everything it wrote.
            drained = shipping.ship(executor, task, handle, masker, now, self.log_cap)
        except FileNotFoundError as exc:      # its directory was deleted under it
            reason = f"the task's files were deleted while it ran ({exc.filename or exc}); its process was stopped"
            shipping.note(task, reason, now)
            runs.set_status(task, Status.FAILED, reason, finished_at=now)
            self.reaper.stop(task.executor, handle)
            slots.release()
            return
        if result.state == "running" and task.status == Status.WAITING.value:
            runs.set_status(task, Status.RUNNING)
        elif result.state == "waiting" and (task.status != Status.WAITING.value or task.reason != result.reason):
            shipping.note(task, f"waiting: {result.reason}", now)
            runs.set_status(task, Status.WAITING, result.reason)
        elif result.state in ("exited", "failed"):
            if not drained:
                return          # finished only once its whole log is stored: the next tick ships on
            executor.discard_output(handle)
            self._finish_task(run, task, executor, handle, result, now)
            executor.cleanup(handle)
            slots.release()

    def _finish_task(self, run, task, executor, handle, result, now) -> None:
        # A stop that reached a task already finished (it exited as the stop was sent) does not
        # make it "stopped": the executor tells which came first.
        if task.stop_sent_at is not None and not executor.ended_before_stop(handle):
            timed_out = run.stop_requested_by == TIMEOUT_ACTOR
            runs.set_status(task, Status.TIMED_OUT if timed_out else Status.STOPPED,
                            "pipeline timeout" if timed_out else f"stopped by {run.stop_requested_by}",
                            exit_code=result.exit_code, finished_at=now)
        elif result.state == "exited" and result.exit_code == 0:
            dynamic = store_dynamic(parse_dynamic(executor.read_outputs_file(handle)), self._spec_and_masker(run)[1])
            # a commit id is never a secret; a sealed one (a dict) is not a commit id either
            sha = dynamic.get("MILLRACE_COMMIT_SHA")
            sha = sha if isinstance(sha, str) else None
            with write_transaction():
                if dynamic:
                    merged = json.loads(Run.get_by_id(run.id).dynamic_json) | dynamic
                    Run.update(dynamic_json=json.dumps(merged), **({"commit_sha": sha} if sha else {})) \
                        .where(Run.id == run.id).execute()
                    run.dynamic_json = json.dumps(merged)
                    run.commit_sha = sha or run.commit_sha
                runs.set_status(task, Status.SUCCEEDED, exit_code=0, finished_at=now, outputs_json=json.dumps(dynamic))
        else:
            if result.state == "failed" and result.reason:       # lost, or could not run: the executor knows why
                reason = result.reason
            else:
                reason = executor.read_reason(handle) or result.reason or f"exit code {result.exit_code}"
            reason = self._spec_and_masker(run)[1](reason)      # a task's own reason file may quote a secret
            if self.starter.paused and not reason.startswith("disk full"):   # it ended while the disk was full
                reason = f"disk full: {reason}, while the data directory's disk was full (its log may be incomplete)"
            runs.set_status(task, Status.FAILED, reason, exit_code=result.exit_code, finished_at=now)

    def _account(self, run, tasks, now) -> bool:
        """Add the time since the last tick to execution or waiting seconds (in memory, on the
        cached run and tasks), and store the sums at most every ACCOUNT_WRITE_SECONDS — and
        whenever the status changes or a task stops waiting — so a restart loses at most that
        much of them. Returns False when the run changed under us (ended elsewhere)."""
        last = run.accounted_at or run.started_at or now
        if getattr(run, "stored_accounted_at", None) is None:     # as read from the database
            run.stored_accounted_at = last
        delta = max(0.0, (now - last).total_seconds())      # a clock step backwards adds nothing
        statuses = {t.status for t in tasks}
        all_waiting = Status.WAITING.value in statuses and Status.RUNNING.value not in statuses
        if all_waiting:
            run.waiting_seconds += delta
        else:
            run.execution_seconds += delta
        for task in tasks:
            if task.status == Status.WAITING.value:
                task.waiting_seconds += delta
        status = Status.WAITING.value if all_waiting else Status.RUNNING.value
        run.accounted_at = now
        stored_at = run.stored_accounted_at
        changed = [t for t in tasks if t.waiting_seconds != self._stored_waiting.get(t.id, 0.0)]
        left_waiting = any(t.status != Status.WAITING.value for t in changed)
        if status == run.status and not left_waiting and (now - stored_at).total_seconds() < ACCOUNT_WRITE_SECONDS:
            return True
        with write_transaction():
            # compare-and-set like every status write: a run that ended meanwhile is never revived
            if status != run.status:
                ours = runs.set_status(run, status, **self.accounting(run))
            else:
                ours = bool(Run.update(**self.accounting(run))
                            .where((Run.id == run.id) & (Run.status == run.status)).execute())
            if not ours:
                return False
            for task in changed:
                TaskRun.update(waiting_seconds=task.waiting_seconds).where(TaskRun.id == task.id).execute()
        run.stored_accounted_at = now
        self._stored_waiting.update((t.id, t.waiting_seconds) for t in changed)
        return True

    @staticmethod
    def accounting(run) -> dict:
        return {"execution_seconds": run.execution_seconds, "waiting_seconds": run.waiting_seconds,
                "accounted_at": run.accounted_at}

    def _stop(self, run, spec, tasks, now, slots) -> None:
        timed_out = run.stop_requested_by == TIMEOUT_ACTOR
        final = Status.TIMED_OUT if timed_out else Status.STOPPED
        minutes = spec["timeout_minutes"] or NO_TIMEOUT_LIMIT_MINUTES
        unit = "minute" if minutes == 1 else "minutes"        # never "after 1 minutes"
        reason = f"timed out after {minutes} {unit} of execution" if timed_out else f"stopped by {run.stop_requested_by}"
        for task in tasks:
            if task.status == Status.PENDING.value:
                runs.set_status(task, Status.SKIPPED)
                self.stop_untracked(task)
            elif task.status in _ACTIVE and not task.handle_json:
                runs.set_status(task, final, reason, finished_at=now)
                self.stop_untracked(task)
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
            if all(t.status == Status.SUCCEEDED.value for t in tasks):    # the stop came after the last task ended
                runs.set_status(run, Status.SUCCEEDED, finished_at=now, **self.accounting(run))
            else:
                runs.set_status(run, final, reason, finished_at=now, **self.accounting(run))

    def stop_untracked(self, task) -> None:
        """Stop whatever process a task that is now final may still have: its recorded one, or
        one a daemon started and died before recording (found by the local executor)."""
        if task.handle_json:
            self.reaper.stop(task.executor, json.loads(task.handle_json))
            return
        handle = self.executors["local"].find_started(prepare.task_dir(task))
        if handle is not None:
            self.reaper.stop("local", handle)

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
            reason = failed.reason if failed.task_type == CHECKOUT.name else \
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
            runs.set_status(stage, status, **{k: v for k, v in fields.items() if k != "status"})
