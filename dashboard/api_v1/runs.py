"""/api/v1 runs: lists (paged, filtered, newest first), one run with its stages and tasks,
starting one (parameter overrides, an optional Idempotency-Key), stopping, re-running.

Starting, stopping and re-running are the pages' intents (dashboard.intents.perform: the
matrix's `run` row, models.runs' refusals such as a deactivated pipeline or an unknown
parameter, the audit row). A run is `/runs/<id>` or `/pipelines/<name>/runs/<number>`.
"""
from __future__ import annotations

from flask import request, url_for
from marshmallow import Schema, fields, validate

from dashboard import intents
from dashboard.api_v1 import paging, permissions as perm, schemas, shapes
from dashboard.api_v1.blueprint import bp
from models import idempotency
from models.errors import Conflict
from models.i18n import N_
from models.status import Status, is_terminal
from models.tables import Pipeline, Run

TAGS = ["runs"]


class RunFilters(paging.PageQuery):
    pipeline = fields.String(metadata={"description": "a pipeline's name"})
    status = fields.String(validate=validate.OneOf([s.value for s in Status if s not in (Status.PENDING,
                                                                                          Status.SKIPPED)]))


class PipelineRunFilters(paging.PageQuery):
    status = RunFilters._declared_fields["status"]


class StartBody(Schema):
    parameters = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict,
                             metadata={"description": "overrides of the pipeline's declared parameters"})


class IdempotencyHeader(Schema):
    key = fields.String(data_key="Idempotency-Key", validate=validate.Length(min=1, max=idempotency.MAX_LENGTH),
                        metadata={"description": "the same key (yours) within 24 h gets the same run back"})


def _listed(query, args):
    if args.get("status"):
        query = query.where(Run.status == args["status"])
    rows, headers = paging.page(query.order_by(Run.id.desc()), args)
    return [shapes.run_summary(r) for r in rows], 200, headers


@bp.get("/runs")
@bp.input(RunFilters, location="query", arg_name="args")
@bp.output(schemas.RunSummary(many=True), headers=paging.PageHeaders)
@bp.doc(tags=TAGS, summary="Runs you may see, newest first")
def list_runs(args):
    query = perm.runs_query()
    if args.get("pipeline"):
        query = query.where(Pipeline.name == args["pipeline"])
    return _listed(query, args)


@bp.get("/pipelines/<name>/runs")
@bp.input(PipelineRunFilters, location="query", arg_name="args")
@bp.output(schemas.RunSummary(many=True), headers=paging.PageHeaders)
@bp.doc(tags=TAGS, summary="A pipeline's runs, newest first", responses=[404])
def list_pipeline_runs(name, args):
    row = perm.pipeline(name)
    return _listed(Run.select(Run, Pipeline).join(Pipeline).where(Run.pipeline == row.id), args)


@bp.get("/runs/<run_id>")
@bp.output(schemas.Run)
@bp.doc(tags=TAGS, summary="A run with its stages and tasks", responses=[404])
def get_run(run_id):
    return shapes.run(perm.run(run_id))


@bp.get("/pipelines/<name>/runs/<number>")
@bp.output(schemas.Run)
@bp.doc(tags=TAGS, summary="A run by its number (pipeline#number)", responses=[404])
def get_pipeline_run(name, number):
    return shapes.run(perm.run_of(perm.pipeline(name), number))


def _created(run: Run, status: int = 201):
    """A run just queued in this request is shown as it was made; one an earlier request made
    (an Idempotency-Key answered again) is read anew, through what the caller may see."""
    return (shapes.run(run, laid_out=False) if status == 201 else shapes.run(perm.run(run.id))), status, {"Location": url_for("api_v1.get_run", run_id=run.id,
                                                                       _external=True)}


@bp.post("/pipelines/<name>/runs")
@bp.input(IdempotencyHeader, location="headers", arg_name="headers")
@bp.input(StartBody, arg_name="body")
@bp.output(schemas.Run, status_code=201, description="queued (200: the run an earlier request with this "
                                                     "Idempotency-Key queued)")
@bp.doc(tags=TAGS, summary="Start a run", responses={200: "the run this Idempotency-Key started before",
                                                     403: "not allowed", 404: "no such pipeline",
                                                     409: "the key was used for another pipeline",
                                                     422: "deactivated, or an unknown parameter"})
def start_run(name, headers, body):
    row = perm.pipeline(name)

    def start() -> Run:
        made = {}
        intents.perform({"action": "run", "pipeline": row.id}, parameters=body["parameters"], result=made, row=row)
        return made["run"]

    key = request.headers.get("Idempotency-Key")
    if key is None:
        return _created(start())
    run, new = idempotency.once(perm.actor(), idempotency.check(key), row, start)
    return _created(run, 201 if new else 200)


@bp.post("/runs/<run_id>/stop")
@bp.output(schemas.Run, status_code=202, description="stop requested: the daemon stops its tasks")
@bp.doc(tags=TAGS, summary="Stop a run", responses=[403, 404, 409])
def stop_run(run_id):
    run = perm.run(run_id)
    if is_terminal(run.status):
        raise Conflict(N_("{run} had already ended ({status}).", run=shapes.label(run), status=run.status))
    intents.perform({"action": "stop", "run": run.id})
    return shapes.run(perm.run(run.id)), 202


@bp.post("/runs/<run_id>/rerun")
@bp.output(schemas.Run, status_code=201)
@bp.doc(tags=TAGS, summary="Run again with that run's version, parameters and commit", responses=[403, 404, 422])
def rerun_run(run_id):
    made = {}
    intents.perform({"action": "rerun", "run": perm.run(run_id).id}, result=made)
    return _created(made["run"])
