"""Task slots: how many tasks may hold a process or pod at once (the task_slots setting).

Counted once per tick from the stored rows (running, or waiting with a process), then
taken and released as the tick starts and finishes tasks.
"""
from __future__ import annotations

from models.i18n import N_
from models.status import Status
from models.tables import TaskRun


class SlotCounter:
    """Task slots shared by every run in one tick."""

    def __init__(self, total: int):
        self.total = total
        self.busy = TaskRun.select().where((TaskRun.status == Status.RUNNING)
                                           | ((TaskRun.status == Status.WAITING)
                                              & TaskRun.handle_json.is_null(False))).count()

    def take(self) -> bool:
        if self.busy >= self.total:
            return False
        self.busy += 1
        return True

    def release(self) -> None:
        self.busy = max(0, self.busy - 1)

    def describe(self) -> str:
        return N_("waiting: {busy}/{total} task slots busy", busy=self.busy, total=self.total)
