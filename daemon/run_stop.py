"""Stopping a run: TERM to each running task, KILL after a grace, the run's final status.

A stop is an intent (`stop_requested_at`, set by a user or by the timeout); each tick sends
what is due and records `stop_sent_at`, so a restarted daemon neither repeats a TERM nor
forgets a KILL. A task that is final but may still have a process (one a daemon started
and died before recording) is stopped through the reaper.
"""
from __future__ import annotations

import json

from daemon import accounting, run_layout, shipping
from models import i18n, runs
from models.i18n import N_, P_
from models.status import STARTED, Status
from models.tables import TaskRun

TIMEOUT_ACTOR = "millrace (timeout)"
STOP_GRACE_SECONDS = 10


class RunStopper:
    def __init__(self, executors, reaper):
        self.executors, self.reaper = executors, reaper

    def stop(self, run, spec, tasks, now) -> None:
        timed_out = run.stop_requested_by == TIMEOUT_ACTOR
        final = Status.TIMED_OUT if timed_out else Status.STOPPED
        minutes = spec["timeout_minutes"] or run_layout.NO_TIMEOUT_LIMIT_MINUTES
        reason = (P_("timed out after {n} minute of execution", "timed out after {n} minutes of execution", minutes)
                  if timed_out else N_("stopped by {actor}", actor=run.stop_requested_by))
        for task in tasks:
            if task.status == Status.PENDING:
                runs.set_status(task, Status.SKIPPED, now=now)
                self.untracked(task)
            elif task.status in STARTED and not task.handle_json:
                runs.set_status(task, final, reason, now=now)
                self.untracked(task)
            elif task.status in STARTED:
                handle = json.loads(task.handle_json)
                if task.stop_sent_at is None:
                    self.executors[task.executor].stop(handle)
                    TaskRun.update(stop_sent_at=now).where(TaskRun.id == task.id).execute()
                    task.stop_sent_at = now
                    shipping.note(task, f"stopping: {i18n.english(reason)}", now)   # logs are text: English
                elif (now - task.stop_sent_at).total_seconds() >= STOP_GRACE_SECONDS:
                    self.executors[task.executor].stop(handle, force=True)
        if not any(t.status in STARTED for t in tasks):
            if all(t.status == Status.SUCCEEDED for t in tasks):    # the stop came after the last task ended
                runs.set_status(run, Status.SUCCEEDED, **accounting.fields(run), now=now)
            else:
                runs.set_status(run, final, reason, **accounting.fields(run), now=now)

    def untracked(self, task) -> None:
        """Stop whatever process a task that is now final may still have: its recorded one, or
        one a daemon started and died before recording (found by the local executor)."""
        if task.handle_json:
            self.reaper.stop(task.executor, json.loads(task.handle_json))
            return
        handle = self.executors["local"].find_started(run_layout.task_dir(task))
        if handle is not None:
            self.reaper.stop("local", handle)
