"""The daemon: `Daemon.tick(now)` does one pass — triggers, claim, advance every active run.

Tests drive it tick by tick with a fake clock; `daemon.loop.serve` is the loop around it.
One bad run never stops the daemon: errors are caught, recorded on the run, and the tick
goes on. All state lives in the database and the executors' handles, so a daemon killed
at any moment picks up where it was.
"""
from __future__ import annotations

import logging
import traceback

from daemon import disk, reasons, run_failure, run_layout, tasks, triggers
from daemon.executors.base import LOCAL
from daemon.executors.kubernetes.options import KubeOptions
from daemon.executors.local import LocalExecutor
from daemon.executors.registry import Executors
from daemon.forge_upkeep import ForgeUpkeep
from daemon.reaper import Reaper
from daemon.run_advance import RunAdvancer
from daemon.slots import SlotCounter
from daemon.sweeper import Sweeper
from daemon.upkeep import Upkeep
from models import daemon_state, i18n, runs
from models.db import utcnow
from models.status import Status
from models.tables import Pipeline, Run

log = logging.getLogger("millrace.daemon")
HEARTBEAT_EVERY_SECONDS = 2.0
DELIVERIES_EVERY_SECONDS = 0.2
TIMER_RECHECK_SECONDS = 5.0
SETTINGS_EVERY_SECONDS = 2.0


def make_executors(**kube_options) -> Executors:
    """The daemon's executors: this machine's ("local"), and each registered cluster's
    ("kubernetes:<cluster>", built on first use), whose pods' failures the task types explain."""
    return Executors({LOCAL: LocalExecutor()}, KubeOptions(explain=tasks.explain, **kube_options))


class Daemon:
    def __init__(self, executors=None, upkeep=None, forge_upkeep=None):
        self.executors = executors or make_executors()
        # managed webhooks and commit statuses (a thread of its own: a forge that is down stalls nothing)
        self.forge_upkeep = forge_upkeep or ForgeUpkeep()
        # cluster health (checked in a thread of its own: a silent cluster never stalls a tick), sweeping
        self.upkeep = upkeep or Upkeep(self.executors, Sweeper(self.executors), background=True)
        self.stopping = False          # set by SIGTERM: stop claiming, leave tasks running
        self._heartbeat = None
        self.reaper = Reaper(self.executors)
        self._advancer = RunAdvancer(self.executors, self.reaper)
        self.paused = None            # why new starts are paused (a full disk), or None
        self._write_failed = None     # why the last failed write failed (a full disk), until one works
        self.more_to_start = False    # this tick's start budget ran out with tasks still ready
        self.more_to_ship = False     # this tick left output of a task unshipped (its budget ran out)
        self._runs = {}               # run id -> Run of the active runs (the daemon writes them)
        self.has_active_work = False
        self.nudged = False           # set by the loop when an intent woke it
        self._timers_checked_at = self._next_timer = self._deliveries_at = None
        self._slots, self._slots_read_at = 0, None

    def tick(self, now=None) -> None:
        """One pass. Never raises: a fault (a full disk, a locked database) is logged and
        the next tick tries again, so the daemon degrades instead of crash-looping."""
        now = now or utcnow()
        if self._write_failed and disk.writable():
            self._write_failed = None
        self._set_paused(disk.full_reason() or self._write_failed)
        try:
            self._tick(now)
        except Exception as exc:
            if disk.is_disk_full(exc):
                self._write_failed = self._write_failed or disk.reason_from(exc)
                self._set_paused(self.paused or self._write_failed)
            else:
                log.exception("the daemon's tick failed; trying again")
            self.has_active_work = True      # come back soon rather than after the idle poll

    def _set_paused(self, reason) -> None:
        """Pause new starts for `reason`, or resume (None). Logged once per episode."""
        was, self.paused = self.paused, reason
        self._advancer.starter.paused = reason
        if reason and not was:
            log.warning("paused: %s", i18n.english(reason))
        elif was and not reason:
            log.warning("resumed: the disk has space again")

    def _write_error(self, exc) -> None:
        """A write failed for lack of space: paused until a probe write succeeds, not just
        until the free space looks fine (no inodes left, a quota)."""
        self._write_failed = self._write_failed or disk.reason_from(exc)
        self._set_paused(self.paused or self._write_failed)

    def _tick(self, now) -> None:
        try:
            self._beat(now)
        except Exception as exc:          # a heartbeat that cannot be written must not stop the work
            if not disk.is_disk_full(exc):
                raise
            self._write_error(exc)
        nudged = self.nudged              # _triggers clears it
        self._triggers(now)
        try:
            self.forge_upkeep.tick(now, nudged)
        except Exception:                 # a forge's trouble never stops the daemon
            log.exception("forge upkeep failed")
        self.reaper.tick()
        try:
            self.upkeep.tick(now)
        except Exception:                 # a cluster's trouble never stops the daemon
            log.exception("cluster upkeep failed")
        if not self.stopping and self.paused is None:
            self._claim(now)
        active = self._active_runs()
        slots = SlotCounter(self._task_slots(now))
        self._advancer.begin_tick()
        for run in active:
            self._guard(run, now, lambda r, n: self._advancer.advance(r, n, slots))
        self.has_active_work = bool(active) or self.reaper.busy()
        self.more_to_start = self._advancer.starter.deferred     # the loop ticks again at once
        self.more_to_ship = self._advancer.behind                # so it does: a task writes faster than a budget ships

    def _claim(self, now) -> None:
        """Claim queued runs with their rows. One that cannot be started (a broken stored
        version, a bug) fails with the reason instead of blocking every run behind it."""
        while True:
            try:
                run = runs.claim_next(run_layout.start_rows, now)
            except Exception as exc:
                if disk.is_disk_full(exc):
                    self._write_error(exc)
                    return
                if disk.is_transient(exc):
                    log.warning("could not claim a run (%s); trying again", exc)
                    return
                if not run_failure.fail_oldest_queued(exc, now):
                    return
                continue
            if run is None:
                return
            run_layout.workspace(run.id).mkdir(parents=True, exist_ok=True)

    def _active_runs(self) -> list[Run]:
        """Active runs in id order. A narrow query each tick (status and the stop request, the
        fields others write); whole rows only for a run not seen yet or changed elsewhere."""
        rows = (Run.select(Run.id, Run.status, Run.stop_requested_at, Run.stop_requested_by)
                .where(Run.status.in_([Status.RUNNING, Status.WAITING])).order_by(Run.id).tuples())
        known, active = self._runs, []
        for run_id, status, stop_at, stop_by in list(rows):
            run = known.get(run_id)
            if run is None or run.status != status:
                run = Run.select(Run, Pipeline).join(Pipeline).where(Run.id == run_id).get()
            else:
                run.stop_requested_at, run.stop_requested_by = stop_at, stop_by
            active.append(run)
        self._runs = {run.id: run for run in active}
        return active

    def wait_fds(self) -> list[int] | None:
        """What the loop may sleep on; None when a running task has already ended (tick now)."""
        fds = []
        for executor_name, handle in self._advancer.running_handles:
            executor = self.executors.get(executor_name)
            if executor is not None:
                task_fds = executor.wait_fds(handle)
                if task_fds is None:
                    return None
                fds.extend(task_fds)
        return fds

    def shutdown(self) -> None:
        """Warm shutdown: tasks keep running in their own sessions; say we are gone."""
        if self._heartbeat is not None:
            daemon_state.beat(self._heartbeat, state="stopped")
        join = getattr(self.upkeep, "join", None)
        if join is not None:
            join(timeout=1.0)             # a health check in flight may record its answer first
        self.forge_upkeep.join(timeout=1.0)
        close = getattr(self.executors, "close", None)
        if close is not None:
            close()                       # end the clusters' watch threads

    def _guard(self, run: Run, now, step) -> None:
        try:
            step(run, now)
        except Exception as exc:       # one bad run never stops the daemon
            if disk.is_disk_full(exc):  # not the run's fault: leave it, retry when space returns
                self._write_error(exc)
                return
            if disk.is_transient(exc):  # a locked database, an I/O error: try again next tick
                log.warning("run %s: %s; trying again", run.id, exc)
                return
            log.exception("run %s failed inside the daemon", run.id)
            run_failure.fail_run(self._advancer, run, reasons.internal_error(exc), traceback.format_exc(), now)

    def _task_slots(self, now) -> int:
        if self._slots_read_at is None or abs((now - self._slots_read_at).total_seconds()) >= SETTINGS_EVERY_SECONDS:
            self._slots, self._slots_read_at = int(daemon_state.get_setting("task_slots")), now
            self._advancer.log_cap = daemon_state.log_cap_bytes()
        return self._slots

    def _beat(self, now) -> None:
        if self._heartbeat is None or (now - self._heartbeat.beat_at).total_seconds() >= HEARTBEAT_EVERY_SECONDS \
                or (now < self._heartbeat.beat_at) or i18n.english(self.paused or "") != self._heartbeat.reason:
            state = "stopping" if self.stopping else "paused" if self.paused else "running"
            self._heartbeat = daemon_state.beat(self._heartbeat, state, now, reason=self.paused or "")

    def _triggers(self, now) -> None:
        """Timers when one is due (or every few seconds, or after a nudge that may have changed
        the rules); webhook deliveries at most every 0.2 s — task exits wake the loop far more often."""
        since_timers = None if self._timers_checked_at is None else (now - self._timers_checked_at).total_seconds()
        if (self.nudged or since_timers is None or not 0 <= since_timers < TIMER_RECHECK_SECONDS
                or (self._next_timer is not None and now >= self._next_timer)):
            self._attempt(triggers.fire_timers, now)
            self._next_timer = self._attempt(triggers.next_timer_due, now)
            self._timers_checked_at = now
        since = None if self._deliveries_at is None else (now - self._deliveries_at).total_seconds()
        if self.nudged or since is None or not 0 <= since < DELIVERIES_EVERY_SECONDS:
            self._attempt(triggers.process_deliveries, now)
            self._deliveries_at = now
        self.nudged = False

    def seconds_to_next_timer(self, now=None) -> float | None:
        if self._next_timer is None:
            return None
        return max(0.0, (self._next_timer - (now or utcnow())).total_seconds())

    @staticmethod
    def _attempt(func, now):
        try:
            return func(now)
        except Exception:
            log.exception("trigger pass %s failed", func.__name__)
            return None
