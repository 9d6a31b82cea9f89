"""Failing a run the daemon cannot go on with (a bug, a broken stored version), cleanly.

One bad run never stops the daemon: the run fails with the error as its reason (masked like
the log), its unfinished tasks fail or are skipped, its stages settle, and any process it
started is stopped, so nothing keeps running untracked.
"""
from __future__ import annotations

import logging
import traceback

from daemon import reasons
from models import runs
from models.db import write_transaction
from models.status import Status
from models.tables import Run, TaskRun

log = logging.getLogger("millrace.daemon")


def fail_oldest_queued(exc, now) -> bool:
    """The oldest queued run could not be claimed (`exc`): fail it with the reason, so the
    runs behind it still start. False when there is none or the failure cannot be stored."""
    log.exception("the oldest queued run cannot be started")
    try:
        with write_transaction():
            run = Run.select().where(Run.status == Status.QUEUED).order_by(Run.id).first()
            if run is None:
                return False
            return runs.set_status(
                run, Status.FAILED, reasons.internal_error(exc), detail=traceback.format_exc(), now=now
            )
    except Exception:
        log.exception("could not record why the run cannot be started")
        return False


def fail_run(advancer, run: Run, reason, detail: str, now) -> None:
    """Record the run's failure and stop its processes: nothing it started keeps running untracked."""
    try:
        try:      # an error message may quote a value: mask it like the log
            masker = advancer.masker_of(run)
            reason, detail = reasons.masked(masker, reason), masker(detail)
        except Exception:
            pass
        fresh = Run.get_by_id(run.id)
        active = list(TaskRun.select().where((TaskRun.run == run.id) & TaskRun.status.in_(
            [Status.PENDING, Status.WAITING, Status.RUNNING])))
        with write_transaction():
            for task in active:
                runs.set_status(
                    task, Status.FAILED if task.status != Status.PENDING else Status.SKIPPED, reason, now=now
                )
            if fresh.status in (Status.RUNNING, Status.WAITING, Status.QUEUED):
                runs.set_status(fresh, Status.FAILED, reason, detail=detail, now=now)
            advancer.settle_stages(run, now)
        advancer.forget(run.id)
        for task in active:
            advancer.stopper.untracked(task)
    except Exception:
        log.exception("could not record the failure of run %s", run.id)
