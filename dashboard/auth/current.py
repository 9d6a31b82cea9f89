"""Who is making the current request, for callbacks and intents (set by gate.py)."""
from __future__ import annotations

from flask import g, has_request_context

from models.permissions import SYSTEM, Principal


def principal() -> Principal:
    """The signed-in user's (or token's) principal; outside a request, the machine's operator.
    Inside a request the gate has refused every request without one, so this never guesses."""
    if not has_request_context():
        return SYSTEM
    found = g.get("millrace_principal")
    if found is None:
        raise PermissionError("no signed-in user for this request")   # the gate let one through: a bug
    return found


def actor() -> str:
    """The name the audit trail records for this request's changes."""
    return principal().name


def user():
    return g.get("millrace_user") if has_request_context() else None


def session_id() -> int | None:
    row = g.get("millrace_session") if has_request_context() else None
    return row.id if row is not None else None
