"""Errors of /api/v1 as RFC 9457 `application/problem+json`, and the one place they are made.

Every refusal of the API has the same body: `{type, title, status, detail, errors?}`, where
`errors` is a list of `{path, message}` naming the offending field: a request body's
marshmallow field path (`parameters.X`, `stages[0].name`) or models.spec.SpecError's path
(`stages[1].tasks[0].image`). The models' own exceptions map to statuses here (NotFound
404, Conflict 409, Stale 412, Forbidden 403, SpecError and the models' ValueErrors 422), so
a new resource only raises what models/ raises and never builds an error body itself.

The door (dashboard/auth/gate.py) answers 401/403 for /api/v1 with `problem()` too.
"""
from __future__ import annotations

from apiflask import HTTPError
from flask import jsonify, request
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from models.errors import Conflict, NotFound
from models.i18n import _
from models.permissions import Forbidden
from models.spec import SpecError

PREFIX = "/api/v1"
MEDIA_TYPE = "application/problem+json"


class FieldProblem(Schema):
    path = fields.String(required=True, metadata={"description": "the field, e.g. stages[0].tasks[1].image"})
    message = fields.String(required=True)


class Problem(Schema):
    """The body of every 4xx/5xx answer of /api/v1 (RFC 9457)."""
    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.List(fields.Nested(FieldProblem))
    current_version = fields.Integer(metadata={"description": "412 only: the stored version"})


class Refused(Exception):
    """Raise from a view for an answer that is none of the models' exceptions (400, 412…)."""

    def __init__(self, status: int, detail, errors=None, **extra):
        super().__init__(str(detail))
        self.status, self.detail, self.errors, self.extra = status, str(detail), errors, extra


def problem(status: int, detail: str, errors: list | None = None, **extra):
    from http import HTTPStatus
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": str(detail)}
    if errors is not None:
        body["errors"] = [{"path": p or "", "message": str(m)} for p, m in errors]
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.content_type = MEDIA_TYPE
    return response


def field_paths(messages, prefix: str = "") -> list[tuple[str, str]]:
    """webargs/marshmallow's nested messages ({"stages": {0: {"name": ["…"]}}}) → (path, message)."""
    out = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                path = f"{prefix}[{key}]"
            elif key == "_schema":
                path = prefix
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            out += field_paths(value, path)
    elif isinstance(messages, (list, tuple)):
        for value in messages:
            out += field_paths(value, prefix) if isinstance(value, (dict, list)) else [(prefix, str(value))]
    else:
        out.append((prefix, str(messages)))
    return out


def _validation(error: HTTPError):
    detail = error.detail if isinstance(error.detail, dict) else {}
    found = []
    for location, messages in detail.items():        # {"json": {...}} / {"query": {...}} / {"headers": …}
        found += field_paths(messages)
    if not found:
        return problem(error.status_code, error.message or _("the request is not valid"))
    return problem(error.status_code, "; ".join(f"{p}: {m}" if p else m for p, m in found), found)


def from_exception(exc: Exception):
    """The problem answer for an exception a view let through (None: not one of ours)."""
    if isinstance(exc, Refused):
        return problem(exc.status, exc.detail, exc.errors, **exc.extra)
    if isinstance(exc, HTTPError):
        if exc.status_code == 422 or isinstance(exc.detail, dict) and exc.detail:
            return _validation(exc)
        return problem(exc.status_code, exc.message or "")
    if isinstance(exc, SpecError):
        return problem(422, str(exc), exc.errors)
    if isinstance(exc, Forbidden):
        return problem(403, str(exc))
    if isinstance(exc, NotFound):
        return problem(404, str(exc))
    stale = getattr(exc, "current", None)
    if isinstance(exc, Conflict) and stale is not None:       # models.pipelines.Stale
        return problem(412, str(exc), current_version=stale.version_number)
    if isinstance(exc, Conflict):
        field = getattr(exc, "field", None)
        return problem(409, str(exc), [(field, str(exc))] if field else None)
    if isinstance(exc, HTTPException):
        return problem(exc.code or 500, exc.description or "")
    if isinstance(exc, ValueError):         # the models' other refusals (RunError, InUse…): say why
        field = getattr(exc, "field", None)
        return problem(422, str(exc), [(field, str(exc))] if field else None)
    return None


HANDLED = (Refused, HTTPError, SpecError, Forbidden, NotFound, Conflict, ValueError, HTTPException)


def install(server) -> None:
    """The app's handlers for /api/v1 paths that match no route (404, 405), so those are
    problems too while the Dash pages keep their HTML. (The blueprint's own handlers, for
    what its views raise, are set once where it is made: dashboard/api_v1/blueprint.py.)"""
    def _routing(exc: HTTPException):
        if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
            return from_exception(exc)
        return exc          # not the API's: Flask's own answer, as before
    server.register_error_handler(404, _routing)
    server.register_error_handler(405, _routing)
