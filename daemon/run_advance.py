"""Moving one active run forward by one step: poll its tasks, ship their logs, account
its time (daemon.accounting), enforce stop and timeout (daemon.run_stop), start what the
planner says is ready, finish it.

Deadlines are data: execution and waiting seconds are added up from stored timestamps
on every tick, so a daemon restart never resets a timeout.
"""
from __future__ import annotations

import base64
import json

from daemon import accounting, planner, reasons, run_layout, shipping
from daemon.accounting import RunAccounting
from daemon.executors.base import PollState
from daemon.run_stop import TIMEOUT_ACTOR, RunStopper
from daemon.task_start import TaskStarter
from daemon.tasks import CHECKOUT
from models import i18n, registries, runs
from models.i18n import N_
from models.db import write_transaction
from models.secrets import Masker, unseal
from models.status import STARTED, TERMINAL, Status
from models.tables import Run, StageRun, TaskRun
from models.variables import parse_dynamic, store_dynamic

NO_TIMEOUT_LIMIT_MINUTES = run_layout.NO_TIMEOUT_LIMIT_MINUTES


class RunAdvancer:
    def __init__(self, executors, reaper):
        self.executors = executors
        self.reaper = reaper
        self.starter = TaskStarter(executors)
        self.stopper = RunStopper(executors, reaper)
        self.accounts = RunAccounting()
        self.log_cap = None           # bytes of output kept per task (the log_cap_mb setting)
        self._cache = {}     # run id -> (spec, masker): parsed once per run, not per tick
        # run id -> (task runs, [(stage run, its task runs)]): read once per run, not per tick.
        # Only the daemon writes these rows (one daemon per home), and every write below also
        # updates the cached object; `forget()` drops a run whose tick failed, so a rolled-back
        # write is read again from the database rather than believed.
        self._rows = {}
        self._first_open = {}   # run id -> index of its first stage not yet succeeded
        self.running_handles = []   # (executor name, handle) of tasks seen running this tick
        self.behind = False         # a task's output was left unshipped this tick (its budget ran out)

    def begin_tick(self) -> None:
        """A new tick: forget last tick's running tasks (the loop's wait_fds reads this tick's)."""
        self.running_handles = []
        self.behind = False
        self.starter.begin_tick()

    def advance(self, run: Run, now, slots) -> None:
        try:
            self._advance(run, now, slots)
        except BaseException:
            self.forget(run.id)
            raise

    def forget(self, run_id: int) -> None:
        self.accounts.forget(self._rows.get(run_id, ((), ()))[0])
        self._cache.pop(run_id, None)
        self._rows.pop(run_id, None)
        self._first_open.pop(run_id, None)

    def _advance(self, run: Run, now, slots) -> None:
        spec, masker = self._spec_and_masker(run)
        tasks, stages = self._load(run)
        if not tasks and not run_layout.has_rows(run):
            # claimed by a Millrace that committed the claim apart from the rows and died
            # in between: the run has not started, so create its rows now (never "succeed")
            self.forget(run.id)
            with write_transaction():
                run_layout.start_rows(run, now)
            if run.status not in STARTED:
                return
            spec, masker = self._spec_and_masker(run)
            tasks, stages = self._load(run)
        tasks, stages = self._unfinished(run, stages)
        for task in tasks:
            if task.status in STARTED and task.handle_json:
                self._poll(run, task, now, masker, slots)
        if not self.accounts.account(run, tasks, now):
            self.forget(run.id)
            return                        # the run changed under us (ended elsewhere): leave it
        if run.stop_requested_at is None and run.execution_seconds > 60 * (
            spec["timeout_minutes"] or NO_TIMEOUT_LIMIT_MINUTES
        ):
            # only if nobody asked to stop it meanwhile: a user's stop stays the user's
            if Run.update(stop_requested_at=now, stop_requested_by=TIMEOUT_ACTOR) \
                    .where((Run.id == run.id) & Run.stop_requested_at.is_null()).execute():
                run.stop_requested_at, run.stop_requested_by = now, TIMEOUT_ACTOR
            else:
                fresh = Run.get_by_id(run.id)
                run.stop_requested_at, run.stop_requested_by = fresh.stop_requested_at, fresh.stop_requested_by
        if run.stop_requested_at is not None:
            self.stopper.stop(run, spec, tasks, now)
        else:
            self._plan(run, spec, tasks, stages, now, slots, masker)
        self._update_stages(stages, now)
        self.running_handles.extend((t.executor, json.loads(t.handle_json)) for t in tasks
                                    if t.status == Status.RUNNING and t.handle_json)
        if run.status not in STARTED:
            self.forget(run.id)

    def _unfinished(self, run, stages):
        """The run's stages from the first one not yet succeeded on, and their tasks. A
        succeeded stage never changes again (terminal states are final) and plays no part in
        planning, so a long run's tick looks only at what is left: work per tick does not grow
        with the stages already done."""
        first = self._first_open.get(run.id, 0)
        while first < len(stages) and stages[first][0].status == Status.SUCCEEDED:
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

    def settle_stages(self, run, now) -> None:
        """Give each stage of a run ended outside the planner (an internal error) its final status."""
        tasks = list(TaskRun.select().where(TaskRun.run == run.id))
        self._update_stages(self._stages(run, tasks), now)

    def _spec_and_masker(self, run):
        if run.id not in self._cache:
            spec = run_layout.spec_of(run)
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
            self.behind = self.behind or not drained
        except FileNotFoundError as exc:      # its directory was deleted under it
            reason = N_("the task's files were deleted while it ran ({file}); its process was stopped",
                        file=str(exc.filename or exc))
            shipping.note(task, i18n.english(reason), now)
            runs.set_status(task, Status.FAILED, reason, now=now)
            self.reaper.stop(task.executor, handle)
            slots.release()
            return
        if result.state == PollState.RUNNING and task.status == Status.WAITING:
            runs.set_status(task, Status.RUNNING, now=now)
        elif result.state == PollState.WAITING and (task.status != Status.WAITING
                                                    or task.reason != i18n.english(result.reason)):
            shipping.note(task, f"waiting: {result.reason}", now)
            runs.set_status(task, Status.WAITING, result.reason, now=now)
        elif result.state in (PollState.EXITED, PollState.FAILED):
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
                            N_("pipeline timeout") if timed_out else N_("stopped by {actor}", actor=run.stop_requested_by),
                            exit_code=result.exit_code, now=now)
        elif result.state == PollState.EXITED and result.exit_code == 0:
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
                runs.set_status(task, Status.SUCCEEDED, exit_code=0, outputs_json=json.dumps(dynamic), now=now)
        else:
            if result.state == PollState.FAILED and result.reason:  # lost, or could not run: the executor knows why
                reason = result.reason
            else:
                reason = executor.read_reason(handle) or result.reason
            # a task's own reason file may quote a secret; its words are its own (not translated)
            reason = (reasons.masked(self._spec_and_masker(run)[1], reason) if reason
                      else N_("exit code {code}", code=result.exit_code))
            if self.starter.paused and not i18n.english(reason).startswith("disk full"):   # ended while the disk was full
                reason = N_("disk full: {reason}, while the data directory's disk was full (its log may be incomplete)",
                            reason=reason)
            runs.set_status(task, Status.FAILED, reason, exit_code=result.exit_code, now=now)

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
        ready = list(decision.start) + [t.id for t in tasks if t.status == Status.WAITING and not t.handle_json]
        for task_id in ready:
            self.starter.start(run, spec, by_id[task_id], now, slots, masker)
        for task_id in decision.skip:
            runs.set_status(by_id[task_id], Status.SKIPPED, now=now)
        if decision.outcome == Status.SUCCEEDED:
            runs.set_status(run, Status.SUCCEEDED, **accounting.fields(run), now=now)
        elif decision.outcome == Status.FAILED:
            failed = next(t for t in tasks if t.status in (Status.FAILED, Status.TIMED_OUT, Status.STOPPED))
            why = i18n.stored(failed.reason, failed.reason_message)
            reason = why if failed.task_type == CHECKOUT.name else \
                N_("task '{task}' in stage '{stage}' failed: {reason}", task=failed.name, stage=failed.stage_run.name,
                   reason=why)
            runs.set_status(run, Status.FAILED, reason, **accounting.fields(run), now=now)

    def _update_stages(self, stages, now) -> None:
        for stage, members in stages:
            state = planner.StageState(stage.id, stage.mode, tuple(planner.TaskState(t.id, t.status) for t in members))
            status = planner.stage_status(state)
            if status == stage.status:
                continue
            fields = {"status": status}
            if stage.started_at is None and status != Status.PENDING:
                fields["started_at"] = min((t.started_at for t in members if t.started_at), default=now)
            if status in TERMINAL:
                fields["finished_at"] = max((t.finished_at for t in members if t.finished_at), default=now)
            runs.set_status(stage, status, **{k: v for k, v in fields.items() if k != "status"}, now=now)
