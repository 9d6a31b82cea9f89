"""The audit trail: one row per intent (create, edit, delete, run, stop, rerun, …).

Call `record()` inside the same transaction as the change it describes, so the trail
and the data never disagree.
"""
from __future__ import annotations

import datetime as dt
import json

from models.i18n import N_
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


def search(user="", object="", action="", since=""):    # noqa: A002 — the filter's name in the address
    """The matching rows, newest first (the audit page, its CSV and GET /api/v1/audit):
    `object` is a type or a name; `since` a date (YYYY-MM-DD, UTC)."""
    rows = AuditEvent.select().order_by(AuditEvent.id.desc())
    if user:
        rows = rows.where(AuditEvent.actor == user)
    if object:
        rows = rows.where((AuditEvent.object_type == object) | (AuditEvent.object_name == object))
    if action:
        rows = rows.where(AuditEvent.action == action)
    if since:
        try:
            rows = rows.where(AuditEvent.at >= dt.datetime.strptime(since, "%Y-%m-%d"))
        except ValueError:
            raise ValueError(N_("since: a date as YYYY-MM-DD, not '{value}'", value=since[:40])) from None
    return rows
