"""`GET /api/v1/clusters` and `GET /api/v1/clusters/{name}`: the Kubernetes clusters the caller
may see and use (the matrix's clusters row: administrators all, project administrators their
projects', members none), with their health — as the Clusters page lists them.

Nothing here ever reads the sealed kubeconfig: the shape is built from the row's public
columns only (server, context, namespace, health), so no credential can reach a response.
"""
from __future__ import annotations

from marshmallow import Schema, fields

from dashboard.api_v1.blueprint import bp
from dashboard.api_v1.times import Timestamp
from dashboard.auth.current import may
from models import clusters
from models.errors import NotFound
from models.i18n import N_


class Cluster(Schema):
    name = fields.String(required=True)
    project = fields.String(required=True)
    server = fields.String(required=True, metadata={"description": "the API server's address"})
    version = fields.String(required=True, metadata={"description": "Kubernetes version, as last checked"})
    namespace = fields.String(required=True)
    context = fields.String(required=True, metadata={"description": "the kubeconfig context used"})
    in_cluster = fields.Boolean(required=True)
    default = fields.Boolean(required=True)
    health = fields.String(required=True, metadata={"description": "healthy, checking, namespace_missing, "
                                                                   "unreachable, refused, error"})
    health_message = fields.String(required=True)
    checked_at = Timestamp(required=True)
    used_by = fields.List(fields.String(), required=True, metadata={"description": "pipelines that name it"})
    created_at = Timestamp(required=True)
    created_by = fields.String(required=True)


def shape(c) -> dict:
    return {"name": c.name, "project": c.project, "server": c.server, "version": c.version or "",
            "namespace": c.namespace, "context": c.context or "", "in_cluster": bool(c.in_cluster),
            "default": bool(c.is_default), "health": c.health, "health_message": c.shown_health_message or "",
            "checked_at": c.checked_at, "used_by": clusters.users(c.name), "created_at": c.created_at,
            "created_by": c.created_by or ""}


@bp.get("/clusters")
@bp.output(Cluster(many=True))
@bp.doc(operation_id="list_clusters", tags=["clusters"], summary="The clusters you may see and run on")
def list_clusters():
    return [shape(c) for c in clusters.all_clusters() if may("see_cluster", c)]


@bp.get("/clusters/<name>")
@bp.output(Cluster)
@bp.doc(operation_id="get_cluster", tags=["clusters"], responses=[404], summary="One cluster")
def get_cluster(name: str):
    row = clusters.Cluster.get_or_none(clusters.Cluster.name == name)
    if row is None or not may("see_cluster", row):       # another project's: as if it did not exist
        raise NotFound(N_("no cluster named '{name}'", name=name[:100]))
    return shape(row)
