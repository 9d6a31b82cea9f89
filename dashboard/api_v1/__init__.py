"""The REST API, /api/v1: an apiflask APIBlueprint on the dashboard's own server.

The door (dashboard/auth/gate.py) has already let the request in (a bearer token, or a
session cookie with a same-origin check for changes) before a view runs; views ask
`permissions.require(action, obj)`, the dashboard's own check, and change things through
dashboard.intents or models/, so validation and permissions exist once. Request bodies and
queries are validated by apiflask from the route's schemas; the OpenAPI document
(/api/v1/openapi.json) is generated from the same definitions, and /api/v1/docs shows it.

Adding a resource:
  1. a module here, `from dashboard.api_v1.blueprint import bp`, routes as
     `@bp.get("/things/<name>")` + `@bp.input(Schema, location="query")` +
     `@bp.output(Schema)` + `@bp.doc(operation_id="get_thing", tags=["things"], responses=[404])`
     (every operation needs an output schema: tests/test_api_v1_openapi.py calls each one and
     validates the answer against it, and fails on an operation it has no example for);
  2. raise the models' exceptions (NotFound, Conflict, SpecError, Forbidden, ValueError) or
     errors.Refused; errors.py turns them into application/problem+json;
  3. lists: paging.PageQuery and paging.page(); times: times.Timestamp() / rfc3339();
  4. add the module's name to RESOURCES below, and its operations to the walker's table.
"""
from __future__ import annotations

import importlib

from dashboard.api_v1 import errors, spec
from dashboard.api_v1.blueprint import bp

RESOURCES = ("docs", "pipelines", "versions", "runs", "logs", "stream")

# The administration and account resources (their own line: two branches add to this list).
RESOURCES += ("triggers", "clusters", "registries", "releases", "settings", "users", "audit")


def install(server) -> None:
    """Register /api/v1 on `server` (an APIFlask: dashboard.app makes the Dash server one)."""
    for name in RESOURCES:
        importlib.import_module(f"dashboard.api_v1.{name}")
    errors.install(server)
    spec.install(server)
    server.register_blueprint(bp)
