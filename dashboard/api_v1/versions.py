"""/api/v1/pipelines/<name>/versions: a pipeline's stored versions, one with its definition,
and a unified diff of two (their YAML as `run.py export` writes it, secret values sealed).
Versions are immutable (models.pipelines), so these are reads only; restoring one is a PUT
of its definition.
"""
from __future__ import annotations

import difflib

from marshmallow import Schema, fields

from dashboard.api_v1 import paging, permissions as perm
from dashboard.api_v1.blueprint import bp
from dashboard.api_v1.times import Timestamp
from models import pipelines, spec as specs
from models.tables import PipelineVersion

TAGS = ["versions"]


class Version(Schema):
    number = fields.Integer(required=True)
    created_at = Timestamp(required=True)
    created_by = fields.String(required=True)


class VersionDetail(Version):
    definition = fields.Dict(required=True)


class DiffQuery(Schema):
    against = fields.Integer(metadata={"description": "the other version (default: the one before)"})


class Diff(Schema):
    from_ = fields.Integer(data_key="from", attribute="from", required=True)
    to = fields.Integer(required=True)
    diff = fields.String(required=True, metadata={"description": "unified diff of the two definitions' YAML"})


def _shape(v: PipelineVersion, definition: bool = False) -> dict:
    out = {"number": v.version_number, "created_at": v.created_at, "created_by": v.created_by}
    if definition:
        out["definition"] = pipelines.definition(v)
    return out


@bp.get("/pipelines/<name>/versions")
@bp.input(paging.PageQuery, location="query", arg_name="args")
@bp.output(Version(many=True), headers=paging.PageHeaders)
@bp.doc(tags=TAGS, summary="A pipeline's versions, newest first", responses=[404])
def list_versions(name, args):
    row = perm.pipeline(name)
    query = (PipelineVersion.select().where(PipelineVersion.pipeline == row)
             .order_by(PipelineVersion.version_number.desc()))
    rows, headers = paging.page(query, args)
    return [_shape(v) for v in rows], 200, headers


@bp.get("/pipelines/<name>/versions/<int:number>")
@bp.output(VersionDetail)
@bp.doc(tags=TAGS, summary="One version with its definition", responses=[404])
def get_version(name, number):
    return _shape(pipelines.version_of(perm.pipeline(name), number), definition=True)


@bp.get("/pipelines/<name>/versions/<int:number>/diff")
@bp.input(DiffQuery, location="query", arg_name="args")
@bp.output(Diff)
@bp.doc(tags=TAGS, summary="What changed from version `against` to this one", responses=[404])
def diff_version(name, number, args):
    row = perm.pipeline(name)
    new = pipelines.version_of(row, number)
    old = pipelines.version_of(row, args.get("against", max(1, number - 1)))
    a, b = (specs.dump_yaml(pipelines.definition(v)).splitlines(keepends=True) for v in (old, new))
    text = "".join(difflib.unified_diff(a, b, f"v{old.version_number}", f"v{new.version_number}"))
    return {"from": old.version_number, "to": new.version_number, "diff": text}
