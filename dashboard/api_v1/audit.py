"""`GET /api/v1/audit` (administrators): the audit trail, newest first, paged, with the audit
page's filters — `actor`, `action`, `object` (a type or a name), `since` (YYYY-MM-DD, UTC) —
read by the same query (models.audit.search).
"""
from __future__ import annotations

import json

from marshmallow import Schema, fields, validate

from dashboard.api_v1 import permissions
from dashboard.api_v1.blueprint import bp
from dashboard.api_v1.paging import PageHeaders, PageQuery, page
from dashboard.api_v1.times import Timestamp
from models import audit


class AuditQuery(PageQuery):
    actor = fields.String(validate=validate.Length(max=200), metadata={"description": "who did it"})
    action = fields.String(validate=validate.Length(max=100), metadata={"description": "e.g. create, run, refused"})
    object = fields.String(validate=validate.Length(max=200), metadata={"description": "an object's type or name"})
    since = fields.String(validate=validate.Regexp(r"^\d{4}-\d{2}-\d{2}$", error="a date as YYYY-MM-DD"),
                          metadata={"description": "from this date on (YYYY-MM-DD, UTC)"})


class Event(Schema):
    id = fields.Integer(required=True)
    at = Timestamp(required=True)
    actor = fields.String(required=True)
    action = fields.String(required=True)
    object_type = fields.String(required=True)
    object_id = fields.Integer(allow_none=True, required=True)
    object_name = fields.String(required=True)
    detail = fields.Dict(required=True)


@bp.get("/audit")
@bp.input(AuditQuery, location="query")
@bp.output(Event(many=True), headers=PageHeaders)
@bp.doc(operation_id="list_audit", tags=["audit"], responses=[403, 422],
        summary="The audit trail, newest first (administrators)")
def list_audit(query_data: dict):
    permissions.require("admin")
    rows, headers = page(audit.search(query_data.get("actor", ""), query_data.get("object", ""),
                                      query_data.get("action", ""), query_data.get("since", "")), query_data)
    return [{"id": e.id, "at": e.at, "actor": e.actor, "action": e.action, "object_type": e.object_type,
             "object_id": e.object_id, "object_name": e.object_name, "detail": json.loads(e.detail_json or "{}")}
            for e in rows], 200, headers
