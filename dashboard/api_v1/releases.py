"""Chart releases a pipeline deployed: `GET /api/v1/pipelines/{name}/releases` (every revision its
runs made, newest first, paged) and `POST …/releases/{release}/rollback {"revision": N}`, which
queues the rollback run through models.releases.request_rollback — the intent `run.py release
rollback` and the Releases page use. A rollback changes what runs on a cluster, so it is the
administrators' (docs/permissions.md), as on the Releases page; the run it queues is answered
(201) and its log followed like any other.
"""
from __future__ import annotations

from flask import request
from marshmallow import Schema, fields, validate

from dashboard.api_v1 import permissions, schemas, shapes
from dashboard.api_v1.blueprint import bp
from dashboard.api_v1.paging import PageHeaders, PageQuery, page
from dashboard.api_v1.times import Timestamp
from models import releases
from models.errors import NotFound
from models.i18n import N_
from models.releases import ReleaseRevision
from models.tables import Run


class Revision(Schema):
    release = fields.String(required=True)
    cluster = fields.String(required=True)
    namespace = fields.String(required=True)
    revision = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": "deployed, superseded or failed"})
    chart = fields.String(required=True)
    chart_version = fields.String(required=True)
    values = fields.Dict(required=True)
    description = fields.String(required=True, metadata={"description": "install, upgrade, rollback to N"})
    reason = fields.String(required=True, metadata={"description": "why it failed ('' otherwise)"})
    rollback_of = fields.Integer(allow_none=True, required=True)
    run = fields.String(allow_none=True, required=True, metadata={"description": "the run that made it: name#number"})
    deployed_at = Timestamp(required=True)


class ReleaseQuery(PageQuery):
    release = fields.String(metadata={"description": "only this release"})


class Rollback(Schema):
    revision = fields.Integer(required=True, validate=validate.Range(min=1))
    cluster = fields.String(metadata={"description": "needed when the release exists on several clusters"})
    namespace = fields.String(metadata={"description": "needed when the release exists in several namespaces"})


def _revisions(pipeline):
    return (ReleaseRevision.select(ReleaseRevision, Run.number).join(Run)
            .where(Run.pipeline == pipeline).order_by(ReleaseRevision.id.desc()))


def _shape(rev, name: str) -> dict:
    return {"release": rev.release, "cluster": rev.cluster, "namespace": rev.namespace, "revision": rev.revision,
            "status": rev.status, "chart": rev.chart, "chart_version": rev.chart_version, "values": rev.values,
            "description": rev.description, "reason": rev.reason or "", "rollback_of": rev.rollback_of,
            "run": f"{name}#{rev.run.number}" if rev.run_id else None, "deployed_at": rev.deployed_at}


@bp.get("/pipelines/<name>/releases")
@bp.input(ReleaseQuery, location="query")
@bp.output(Revision(many=True), headers=PageHeaders)
@bp.doc(operation_id="list_releases", tags=["releases"], responses=[404],
        summary="Chart release revisions the pipeline's runs deployed, newest first")
def list_releases(name: str, query_data: dict):
    p = permissions.pipeline(name)
    query = _revisions(p)
    if query_data.get("release"):
        query = query.where(ReleaseRevision.release == query_data["release"])
    rows, headers = page(query, query_data)
    return [_shape(r, p.name) for r in rows], 200, headers


@bp.post("/pipelines/<name>/releases/<release>/rollback")
@bp.input(Rollback, location="json")
@bp.output(schemas.Run, status_code=201)
@bp.doc(operation_id="rollback_release", tags=["releases"], responses=[403, 404, 422],
        summary="Queue a run that deploys an earlier revision's chart version and values again (administrators)")
def rollback_release(name: str, release: str, json_data: dict):
    p = permissions.pipeline(name)
    permissions.require("cluster")
    cluster, namespace = json_data.get("cluster"), json_data.get("namespace")
    revision = json_data["revision"]
    # Only a revision this pipeline deployed: the path names the pipeline the rollback runs in.
    ours = next((r for r in releases.history(release, cluster, namespace) if r.revision == revision), None)
    if ours is not None and not _revisions(p).where(ReleaseRevision.id == ours.id).exists():
        raise NotFound(N_("pipeline '{name}' did not deploy revision {revision} of release '{release}'",
                          name=p.name, revision=revision, release=release))
    run = releases.request_rollback(release, revision, permissions.actor(), cluster, namespace)
    run = Run.get_by_id(run.id)
    return shapes.run(run), 201, {"Location": f"{request.url_root.rstrip('/')}/api/v1/runs/{run.id}"}
