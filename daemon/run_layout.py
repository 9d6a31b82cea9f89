"""Turning a claimed run into rows and directories, and computing a task's variables.

`materialize` creates the stage and task runs from the run's stored version (the
implicit checkout comes first as the 'source' stage at models.task_types.SOURCE_STAGE;
the pipeline's stages follow at 1..n; daemon.tasks.definition reads them back).
`variables` gives the values `${X}` and the environment see: built-ins, static
parameters (with the run's overrides), and dynamic parameters set so far.
"""
from __future__ import annotations

import json
from pathlib import Path

from daemon import faults, tasks
from models import home, pipelines, runs
from models.i18n import N_
from models.status import Status
from models.tables import Run, StageRun, TaskRun
from models.variables import dynamic_values, substitute

NO_TIMEOUT_LIMIT_MINUTES = 14 * 24 * 60     # a pipeline without a timeout still ends some day


def start_rows(run: Run, now=None) -> None:
    """What the claim does inside its transaction: the run's rows, or its failure when the
    stored version has nothing to run (saved before empty pipelines were refused)."""
    spec = spec_of(run)
    if not any(stage["tasks"] for stage in spec["stages"]):
        runs.set_status(
            run,
            Status.FAILED,
            N_("version {version} of pipeline '{name}' has no task to run; add a task and save it",
               version=run.version.version_number, name=run.pipeline.name),
            now=now,
        )
    else:
        materialize(run, spec)
    faults.point("claim.before_commit")


def has_rows(run: Run) -> bool:
    return StageRun.select().where(StageRun.run == run.id).exists()


def materialize(run: Run, spec: dict) -> None:
    """Create stage/task rows for the run. Call inside write_transaction()."""
    if spec.get("source"):
        stage = StageRun.create(run=run, position=tasks.SOURCE_STAGE, name="Code source", mode="serial",
                                kind="source")
        TaskRun.create(run=run, stage_run=stage, position=0, name=tasks.CHECKOUT.name,
                       task_type=tasks.CHECKOUT.name)
    for i, stage_spec in enumerate(spec["stages"], start=1):
        stage = StageRun.create(run=run, position=i, name=stage_spec["name"], mode=stage_spec["mode"])
        for j, task in enumerate(stage_spec["tasks"]):
            TaskRun.create(run=run, stage_run=stage, position=j, name=task["name"], task_type=task["type"])


def run_dir(run_id: int) -> Path:
    return home.current() / "runs" / str(run_id)


def workspace(run_id: int) -> Path:
    return run_dir(run_id) / "workspace"


def task_dir(task_run: TaskRun) -> Path:
    return run_dir(task_run.run_id) / "tasks" / f"{task_run.id}-{task_run.attempt}"


def spec_of(run: Run) -> dict:
    return pipelines.definition(run.version)


def task_spec(spec: dict, task_run: TaskRun) -> dict:
    """The task run's task as defined (the checkout's: the code source)."""
    return tasks.definition(spec, task_run.stage_run.position, task_run.position)[0]


def variables(run: Run, spec: dict) -> dict:
    source = spec.get("source") or {}
    values = {
        "CI": "true",
        "BUILD_ID": str(run.number),
        "MILLRACE_PIPELINE": run.pipeline.name,
        "MILLRACE_RUN": f"{run.pipeline.name}#{run.number}",
        "MILLRACE_COMMIT_SHA": run.commit_sha or "",
        "MILLRACE_BRANCH": source.get("branch", ""),
        "MILLRACE_REPOSITORY": substitute(source.get("repository", ""), {"MILLRACE_HOME": str(home.current())}),
        "MILLRACE_WORKSPACE": str(workspace(run.id)),
        "MILLRACE_HOME": str(home.current()),
    }
    values.update(spec["parameters"])
    values.update(json.loads(run.parameters_json))
    values.update(dynamic_values(run))
    return values
