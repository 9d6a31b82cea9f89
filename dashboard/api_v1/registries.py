"""`GET /api/v1/registries`: the container registries (administrators, as the Settings page).

A registry's password is never read here: the shape says only whether one is stored, as
`run.py registry list` does (cli/registry_cmd.py).
"""
from __future__ import annotations

from marshmallow import Schema, fields

from dashboard.api_v1 import permissions
from dashboard.api_v1.blueprint import bp
from dashboard.api_v1.times import Timestamp
from models import registries


class Registry(Schema):
    name = fields.String(required=True)
    url = fields.String(required=True)
    username = fields.String(required=True)
    password_stored = fields.Boolean(required=True, metadata={"description": "the password itself is never sent"})
    insecure = fields.Boolean(required=True)
    ca_cert = fields.Boolean(required=True, metadata={"description": "an own CA certificate is stored"})
    default = fields.Boolean(required=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)
    updated_by = fields.String(required=True)


@bp.get("/registries")
@bp.output(Registry(many=True))
@bp.doc(operation_id="list_registries", tags=["registries"], responses=[403],
        summary="The container registries (administrators)")
def list_registries():
    permissions.require("admin")
    return [{"name": r.name, "url": r.url, "username": r.username or "", "password_stored": bool(r.password_sealed),
             "insecure": bool(r.insecure), "ca_cert": bool(r.ca_cert), "default": bool(r.is_default),
             "created_at": r.created_at, "updated_at": r.updated_at, "updated_by": r.updated_by or ""}
            for r in registries.all_registries()]
