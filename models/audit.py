"""The audit trail: one row per intent (create, edit, delete, run, stop, rerun, …).

Call `record()` inside the same transaction as the change it describes, so the trail
and the data never disagree.
"""
from __future__ import annotations

import json

from models.tables import AuditEvent


def record(actor: str, action: str, obj, **detail) -> AuditEvent:
    object_type = type(obj).__name__.lower() if obj is not None else ""
    name = getattr(obj, "label", None) if object_type == "run" else getattr(obj, "name", "")
    return AuditEvent.create(actor=actor or "unknown", action=action, object_type=object_type,
                             object_id=getattr(obj, "id", None), object_name=name or "",
                             detail_json=json.dumps(detail, sort_keys=True, default=str))


def recent(limit=100, object_type=None, object_id=None):
    query = AuditEvent.select().order_by(AuditEvent.id.desc()).limit(limit)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEvent.object_id == object_id)
    return list(query)
