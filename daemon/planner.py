"""Pure: which tasks of a run are ready to start, and what the run's outcome is.

Stages run in order; a stage starts only when every task of the previous one succeeded.
Serial stages run their tasks one at a time in order; parallel stages start them all.
The first failure ends the run: nothing new starts, the rest are skipped once the
active ones have ended.
"""
from __future__ import annotations

from dataclasses import dataclass

from models.status import STARTED, Status

_BAD = {Status.FAILED, Status.STOPPED, Status.TIMED_OUT}


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
    active = [t for t in every if t.status in STARTED]
    if any(t.status in _BAD for t in every):
        if active:
            return Plan()
        return Plan(skip=tuple(t.id for t in every if t.status == Status.PENDING), outcome=Status.FAILED)
    for stage in stages:
        if all(t.status == Status.SUCCEEDED for t in stage.tasks):
            continue
        pending = [t.id for t in stage.tasks if t.status == Status.PENDING]
        if stage.mode == "parallel":
            return Plan(start=tuple(pending))
        busy = any(t.status in STARTED for t in stage.tasks)
        return Plan(start=() if busy or not pending else (pending[0],))
    return Plan(outcome=Status.SUCCEEDED)


def stage_status(stage: StageState) -> str:
    statuses = [t.status for t in stage.tasks]
    if not statuses or all(s == Status.SUCCEEDED for s in statuses):
        return Status.SUCCEEDED
    for bad in (Status.FAILED, Status.TIMED_OUT, Status.STOPPED):
        if bad in statuses and not any(s in STARTED for s in statuses):
            return bad
    if any(s == Status.RUNNING for s in statuses):
        return Status.RUNNING
    if Status.SKIPPED in statuses and all(s in (Status.SUCCEEDED, Status.SKIPPED) for s in statuses):
        return Status.SKIPPED      # part ran, the rest never will (the run was stopped between tasks)
    if any(s == Status.WAITING for s in statuses):
        return Status.WAITING
    if all(s in (Status.PENDING, Status.SKIPPED) for s in statuses):
        return Status.SKIPPED if Status.SKIPPED in statuses else Status.PENDING
    return Status.RUNNING
