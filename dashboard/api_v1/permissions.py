"""Who is asking, and whether they may: the API's face of dashboard.auth.current.

The principal is what the door (dashboard/auth/gate.py) put in flask.g; `require` is
dashboard.auth.current.require — models.permissions.require plus the audit row of a
refusal — so the API checks the same matrix row, once, that the dashboard's intents do.
An object the caller may not even see is a 404 (as if it did not exist), never a 403 that
would tell it exists: resources look things up with `pipeline()` / `run()` / `task()`.
"""
from __future__ import annotations

from dashboard.auth.current import actor, principal, require, visible
from models import pipelines
from models.errors import NotFound
from models.i18n import N_
from models.tables import Pipeline, Run, TaskRun

MAX_ROW_ID = 2 ** 63 - 1
__all__ = ["actor", "principal", "require", "visible", "as_id", "pipeline", "runs_query", "run", "run_of", "task"]


def as_id(text) -> int | None:
    text = str(text)
    return int(text) if text.isdigit() and len(text) <= 19 and int(text) <= MAX_ROW_ID else None


def pipeline(name_or_id: str) -> Pipeline:
    """A live pipeline the caller may see, by name (or id); NotFound otherwise."""
    query = visible(pipelines.live(), Pipeline)
    found = query.where(Pipeline.name == name_or_id).first()
    if found is None and as_id(name_or_id) is not None:
        found = query.where(Pipeline.id == as_id(name_or_id)).first()
    if found is None:
        raise NotFound(N_("no pipeline named '{name}'", name=str(name_or_id)[:100]))
    return found


def runs_query():
    """Runs of the pipelines the caller may see (deleted pipelines' runs included: the record)."""
    return visible(Run.select(Run, Pipeline).join(Pipeline), Pipeline)


def run(run_id) -> Run:
    number = as_id(run_id)
    found = runs_query().where(Run.id == number).first() if number is not None else None
    if found is None:
        raise NotFound(N_("no run with id {id}", id=str(run_id)[:40]))
    return found


def run_of(pipeline_row: Pipeline, number) -> Run:
    n = as_id(number)
    found = Run.select().where((Run.pipeline == pipeline_row) & (Run.number == n)).first() if n is not None else None
    if found is None:
        raise NotFound(N_("pipeline '{name}' has no run #{number}", name=pipeline_row.name, number=str(number)[:40]))
    return found


def task(task_id) -> TaskRun:
    number = as_id(task_id)
    found = None
    if number is not None:
        found = (visible(TaskRun.select(TaskRun, Run, Pipeline).join(Run).join(Pipeline), Pipeline)
                 .where(TaskRun.id == number).first())
    if found is None:
        raise NotFound(N_("no task run with id {id}", id=str(task_id)[:40]))
    return found
