"""The shapes /api/v1 answers with and takes, as marshmallow schemas (the OpenAPI document's
components come from these). A resource module with shapes of its own keeps them; the ones
several modules share are here: pipelines, runs, tasks, log lines.
"""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from dashboard.api_v1.times import Timestamp


class RunRef(Schema):
    number = fields.Integer(required=True)
    status = fields.String(required=True)
    label = fields.String(required=True, metadata={"description": "pipeline#number"})


class Pipeline(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    project = fields.String(required=True)
    active = fields.Boolean(required=True)
    version = fields.Integer(required=True, metadata={"description": "the current version's number (ETag v<n>)"})
    description = fields.String(required=True)
    created_by = fields.String(required=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)
    last_run = fields.Nested(RunRef, allow_none=True, required=True)


class PipelineDetail(Pipeline):
    definition = fields.Dict(required=True, metadata={"description": "as `run.py export` (secret values sealed)"})


class Definition(Schema):
    """A pipeline definition (models/spec.py checks it, as `run.py apply` does; this only describes it)."""
    class Meta:
        unknown = INCLUDE
    name = fields.String(required=True)
    description = fields.String()
    source = fields.Dict(allow_none=True)
    parameters = fields.Dict()
    timeout_minutes = fields.Integer(allow_none=True)
    stages = fields.List(fields.Dict(), required=True)


class PipelineFilters(Schema):
    project = fields.String()
    active = fields.Boolean()
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "part of the name"})


class ProjectQuery(Schema):
    project = fields.String(metadata={"description": "where the new pipeline goes (default: `default`, or the "
                                                     "first project you administer)"})


class CopyBody(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))


class RunSummary(Schema):
    id = fields.Integer(required=True)
    pipeline = fields.String(required=True)
    number = fields.Integer(required=True)
    label = fields.String(required=True)
    status = fields.String(required=True)
    reason = fields.String(allow_none=True, required=True)
    cause = fields.String(required=True)
    actor = fields.String(required=True)
    created_at = Timestamp(required=True)
    started_at = Timestamp(required=True)
    finished_at = Timestamp(required=True)
    duration_seconds = fields.Float(allow_none=True, required=True)


class Task(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    type = fields.String(required=True)
    status = fields.String(required=True)
    reason = fields.String(allow_none=True, required=True)
    exit_code = fields.Integer(allow_none=True, required=True)
    started_at = Timestamp(required=True)
    finished_at = Timestamp(required=True)
    duration_seconds = fields.Float(allow_none=True, required=True)
    log_lines = fields.Integer(required=True)


class Stage(Schema):
    name = fields.String(required=True)
    status = fields.String(required=True)
    started_at = Timestamp(required=True)
    finished_at = Timestamp(required=True)
    tasks = fields.List(fields.Nested(Task), required=True)


class Run(RunSummary):
    parameters = fields.Dict(required=True)
    version = fields.Integer(required=True)
    stages = fields.List(fields.Nested(Stage), required=True)


class LogLine(Schema):
    line = fields.Integer(required=True)
    text = fields.String(required=True)
    stream = fields.String(required=True, validate=validate.OneOf(["out", "err"]))
