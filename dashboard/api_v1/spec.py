"""The OpenAPI document's settings and its last touches (an apiflask spec processor).

The Dash server is an APIFlask, so apiflask would describe every route of the app: the
processor keeps /api/v1's only, names operations by their view (`list_pipelines`), makes
error answers `application/problem+json` with errors.Problem, declares the bearer token,
and adds `application/yaml` beside JSON to the bodies that take a pipeline definition.
"""
from __future__ import annotations

from dashboard.api_v1.errors import PREFIX, Problem

YAML_BODIES = set()          # operation ids whose body may also be YAML (views add theirs)


def install(server) -> None:
    server.config.update(
        AUTO_OPERATION_ID=True, AUTO_TAGS=False, AUTO_SERVERS=False,
        SECURITY_SCHEMES={"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "mrt_… personal access token"},
                          "session": {"type": "apiKey", "in": "cookie", "name": "millrace-…"}},
        HTTP_ERROR_SCHEMA=Problem, VALIDATION_ERROR_SCHEMA=Problem,
        DESCRIPTION="Millrace's REST API. Errors are application/problem+json; lists page with page/per_page, "
                    "Link and X-Total-Count; times are RFC 3339 UTC.",
    )
    server.title, server.version = "Millrace API", "1"
    server.spec_processor(_process)


def _process(spec: dict) -> dict:
    paths = {}
    for path, operations in spec.get("paths", {}).items():
        if not path.startswith(PREFIX + "/"):
            continue
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            prefix = f"{method}_api_v1_"
            if operation.get("operationId", "").startswith(prefix):
                operation["operationId"] = operation["operationId"][len(prefix):]
            for status, answer in operation["responses"].items():
                content = answer.get("content") or {}
                if str(status)[0] in "45" and "application/json" in content:
                    content["application/problem+json"] = content.pop("application/json")
            body = operation.get("requestBody", {}).get("content", {})
            if operation.get("operationId") in YAML_BODIES and "application/json" in body:
                body["application/yaml"] = {"schema": {"type": "string",
                                                       "description": "the definition as `run.py export` writes it"}}
            operation["security"] = [{"bearer": []}, {"session": []}]
        paths[path] = operations
    spec["paths"] = paths
    return spec
