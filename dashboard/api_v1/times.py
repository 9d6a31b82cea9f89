"""Timestamps of /api/v1: RFC 3339 in UTC with a `Z` (`2026-12-02T18:35:21Z`), null when absent.

The database holds naive UTC (models.db.utcnow), so formatting is all there is. A schema
field holding a time is `Timestamp()`; code that builds a dict by hand calls `rfc3339()`.
"""
from __future__ import annotations

import datetime as dt

from marshmallow import fields

FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def rfc3339(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value.strftime(FORMAT)


class Timestamp(fields.String):
    """A date-time field (OpenAPI `format: date-time`), nullable, dumped as RFC 3339 UTC.
    (fields.DateTime with a strftime format would describe itself with `format: null`.)"""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_none", True)
        kwargs.setdefault("metadata", {}).setdefault("format", "date-time")
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return rfc3339(value)
