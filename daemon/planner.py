"""Pure: which tasks of a run are ready to start, and what the run's outcome is.

Stages run in order; a stage starts only when every task of the previous one succeeded.
Serial stages run their tasks one at a time in order; parallel stages start them all.
The first failure ends the run: nothing new starts, the rest are skipped once the
active ones have ended.
"""
from __future__ import annotations

from dataclasses import dataclass

from models.status import Status

_ACTIVE = {Status.RUNNING.value, Status.WAITING.value}
_BAD = {Status.FAILED.value, Status.STOPPED.value, Status.TIMED_OUT.value}


@dataclass(frozen=True)
class TaskState:
    id: int
    status: str


@dataclass(frozen=True)
class StageState:
    id: int
    mode: str
    tasks: tuple[TaskState, ...]


@dataclass(frozen=True)
class Plan:
    start: tuple[int, ...] = ()        # task run ids to start now
    skip: tuple[int, ...] = ()         # pending task run ids that will never run
    outcome: str | None = None         # succeeded | failed, once nothing is active


def plan(stages: list[StageState]) -> Plan:
    every = [t for s in stages for t in s.tasks]
    active = [t for t in every if t.status in _ACTIVE]
    if any(t.status in _BAD for t in every):
        if active:
            return Plan()
        return Plan(skip=tuple(t.id for t in every if t.status == Status.PENDING.value), outcome=Status.FAILED.value)
    for stage in stages:
        if all(t.status == Status.SUCCEEDED.value for t in stage.tasks):
            continue
        pending = [t.id for t in stage.tasks if t.status == Status.PENDING.value]
        if stage.mode == "parallel":
            return Plan(start=tuple(pending))
        busy = any(t.status in _ACTIVE for t in stage.tasks)
        return Plan(start=() if busy or not pending else (pending[0],))
    return Plan(outcome=Status.SUCCEEDED.value)


def stage_status(stage: StageState) -> str:
    statuses = [t.status for t in stage.tasks]
    if not statuses or all(s == Status.SUCCEEDED.value for s in statuses):
        return Status.SUCCEEDED.value
    for bad in (Status.FAILED.value, Status.TIMED_OUT.value, Status.STOPPED.value):
        if bad in statuses and not any(s in _ACTIVE for s in statuses):
            return bad
    if any(s == Status.RUNNING.value for s in statuses):
        return Status.RUNNING.value
    if Status.SKIPPED.value in statuses and all(s in (Status.SUCCEEDED.value, Status.SKIPPED.value) for s in statuses):
        return Status.SKIPPED.value      # part ran, the rest never will (the run was stopped between tasks)
    if any(s == Status.WAITING.value for s in statuses):
        return Status.WAITING.value
    if all(s in (Status.PENDING.value, Status.SKIPPED.value) for s in statuses):
        return Status.SKIPPED.value if Status.SKIPPED.value in statuses else Status.PENDING.value
    return Status.RUNNING.value
