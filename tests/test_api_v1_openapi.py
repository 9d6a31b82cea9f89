"""Every operation of /api/v1's generated OpenAPI document, called and checked against it.

The walker reads /api/v1/openapi.json, calls each operation with the example in EXAMPLES
(made from data the test creates on a real SQLite home, through the Flask test client with
an administrator's token), and validates the answer: its status must be declared for the
operation, a JSON body must match the declared schema (jsonschema, every property the
schema names required and no other allowed), YAML must parse, an event stream must end
with its `end` event. An operation without an example fails, and so does an example for an
operation the document does not have: a new endpoint is covered here or the suite fails.

To cover a new operation: add `"<operationId>": lambda ctx: Call(...)` to EXAMPLES, in the
order it should run (calls that delete come last), using or extending `ctx` (made once).
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from types import SimpleNamespace

import jsonschema
import pytest
import yaml

from tests.api_rest_examples import examples as rest_examples
from tests.auth_helpers import bearer
from tests.conftest import pipeline_spec, script_task
from tests.test_log_download import make_run, store

BASE = "http://127.0.0.1"


@dataclass
class Call:
    path: dict = field(default_factory=dict)        # path parameter → value
    query: dict = field(default_factory=dict)
    json: object = None
    data: str | None = None                         # a raw body (YAML) with content_type
    content_type: str | None = None
    headers: dict = field(default_factory=dict)
    status: int | None = None                       # expected, when not the first 2xx declared


def definition(name: str, script: str = "echo hi") -> dict:
    return pipeline_spec(name, stages=[{"name": "build", "tasks": [script_task("compile", script)]}])


EXAMPLES = {
    "list_pipelines": lambda ctx: Call(query={"q": "walk", "active": "true", "per_page": 1}),
    "create_pipeline": lambda ctx: Call(data=yaml.safe_dump(definition("walk-made")), content_type="application/yaml"),
    "get_pipeline": lambda ctx: Call(path={"name": "walk"}),
    "update_pipeline": lambda ctx: Call(path={"name": "walk"}, json=definition("walk", "echo changed"),
                                        headers={"If-Match": '"v1"'}),
    "export_pipeline": lambda ctx: Call(path={"name": "walk"}),
    "list_versions": lambda ctx: Call(path={"name": "walk"}),
    "get_version": lambda ctx: Call(path={"name": "walk", "number": 1}),
    "diff_version": lambda ctx: Call(path={"name": "walk", "number": 2}, query={"against": 1}),
    "list_runs": lambda ctx: Call(query={"pipeline": "walk", "status": "failed"}),
    "list_pipeline_runs": lambda ctx: Call(path={"name": "walk"}, query={"page": 1, "per_page": 10}),
    "get_run": lambda ctx: Call(path={"run_id": ctx.run.id}),
    "get_pipeline_run": lambda ctx: Call(path={"name": "walk", "number": ctx.run.number}),
    "task_log": lambda ctx: Call(path={"task_id": ctx.tasks[0].id}, query={"from_line": 2, "limit": 2}),
    "run_log": lambda ctx: Call(path={"run_id": ctx.run.id}, query={"failed": "true"}),
    "stream_run_log": lambda ctx: Call(path={"run_id": ctx.run.id}),
    "stream_task_log": lambda ctx: Call(path={"task_id": ctx.tasks[1].id}, query={"from_line": 2}),
    "start_run": lambda ctx: Call(path={"name": "walk"}, json={"parameters": {}}, headers={"Idempotency-Key": "walk-1"},
                                   status=201),
    "stop_run": lambda ctx: Call(path={"run_id": ctx.queued().id}),
    "rerun_run": lambda ctx: Call(path={"run_id": ctx.run.id}),
    "copy_pipeline": lambda ctx: Call(path={"name": "walk"}, json={"name": "walk-copy"}),
    "deactivate_pipeline": lambda ctx: Call(path={"name": "walk-copy"}),
    "activate_pipeline": lambda ctx: Call(path={"name": "walk-copy"}),
    "delete_pipeline": lambda ctx: Call(path={"name": "walk-copy"}),
}
EXAMPLES.update(rest_examples(Call))          # triggers, clusters, … audit: tests/api_rest_examples.py


@pytest.fixture
def api(home):
    from dashboard.app import create_app
    app = create_app(home)
    client = app.server.test_client()
    headers = bearer()
    client.get("/api/health", base_url=BASE)
    return SimpleNamespace(app=app, client=client, headers=headers,
                           spec=client.get("/api/v1/openapi.json", headers=headers, base_url=BASE).get_json())


def operations(spec: dict):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def strict(schema, all_required: bool = True):
    """The schema with no property allowed beyond those it names and (for a success's
    answer: problems have optional members) every one of them required, recursively, so an
    answer that leaves a field out or adds one is outside it."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "object" or "properties" in node:
                props = node.get("properties")
                if props and all_required:
                    node["required"] = sorted(props)
                    node.setdefault("additionalProperties", False)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(schema)
    return schema


def check_answer(spec: dict, operation: dict, answer, where: str) -> None:
    declared = operation["responses"]
    assert str(answer.status_code) in declared, f"{where}: {answer.status_code} is not declared ({sorted(declared)}): " \
                                                f"{answer.get_data(as_text=True)[:300]}"
    content = declared[str(answer.status_code)].get("content")
    if answer.status_code == 204 or not content:
        assert answer.status_code == 204 and not answer.get_data(), f"{where}: a body the document does not declare"
        return
    media = answer.mimetype
    assert media in content, f"{where}: answered {media}, declared {sorted(content)}"
    schema = content[media].get("schema")
    assert schema, f"{where}: no schema declared for {media}"
    text = answer.get_data(as_text=True)
    if media in ("application/json", "application/problem+json"):
        assert schema != {}, f"{where}: the declared schema says nothing"
        components = {"components": spec["components"]} if media == "application/json" else \
            {"components": strict(spec["components"], all_required=False)}
        root = {**strict(schema, all_required=media == "application/json"), **components}
        jsonschema.Draft202012Validator(root).validate(json.loads(text))
    elif media == "application/yaml":
        assert isinstance(yaml.safe_load(text), dict), where
    elif media == "text/event-stream":
        events = [block for block in text.split("\n\n") if block.strip()]
        assert events and events[-1].startswith("event: end\n"), f"{where}: the stream did not end: {text[-300:]}"
        for block in events:
            if not block.startswith(":"):
                data = next(line for line in block.split("\n") if line.startswith("data: "))
                assert isinstance(json.loads(data[len("data: "):]), dict), block
    else:
        pytest.fail(f"{where}: no check for {media}")


def seed(api):
    """The data the examples name: pipeline `walk` (v1) with a finished run whose two tasks logged."""
    from models import pipelines
    from models.tables import Run
    answer = api.client.post("/api/v1/pipelines", json=definition("walk"), headers=api.headers, base_url=BASE)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    run, tasks = make_run("walk-logs", [("build", ["a", "b"])], status="failed")
    Run.update(pipeline=pipelines.get("walk")).where(Run.id == run.id).execute()
    store(tasks[0], ["one", "two", "three"])
    store(tasks[1], ["\x1ea warning", "done"])
    run = Run.get_by_id(run.id)

    def queued():
        return pipelines.get("walk").runs.where(Run.status == "queued").order_by(Run.id.desc()).first()
    return SimpleNamespace(run=run, tasks=tasks, queued=queued)


def test_every_operation_is_in_the_document_answers_inside_its_schema_and_has_an_example(api):
    ctx = seed(api)
    found = {op["operationId"]: (path, method, op) for path, method, op in operations(api.spec)}
    assert len(found) == sum(1 for _ in operations(api.spec)), "operation ids must be unique"
    missing = sorted(set(found) - set(EXAMPLES))
    assert not missing, f"operations with no example in EXAMPLES (add one): {missing}"
    stale = sorted(set(EXAMPLES) - set(found))
    assert not stale, f"examples for operations the document does not have: {stale}"
    for operation_id, make in EXAMPLES.items():
        path, method, operation = found[operation_id]
        call = make(ctx)
        url = path
        for name, value in call.path.items():
            url = url.replace("{" + name + "}", str(value))
        assert "{" not in url, f"{operation_id}: path parameters left in {url}"
        answer = api.client.open(url, method=method.upper(), query_string=call.query, json=call.json,
                                 data=call.data, content_type=call.content_type,
                                 headers={**api.headers, **call.headers}, base_url=BASE)
        where = f"{operation_id} ({method.upper()} {url})"
        check_answer(api.spec, operation, answer, where)
        wanted = call.status or min(int(s) for s in operation["responses"] if s.startswith("2"))
        assert answer.status_code == wanted, f"{where}: {answer.status_code} {answer.get_data(as_text=True)[:300]}"
        declared_headers = operation["responses"][str(wanted)].get("headers", {})
        for header in declared_headers:
            assert header in answer.headers, f"{where}: declared header {header} not sent"


def test_errors_are_declared_problems_too(api):
    """A refusal the walker's examples never meet (404, 422) is also inside its operation's document."""
    found = {op["operationId"]: op for _, _, op in operations(api.spec)}
    cases = [("get_pipeline", "GET", "/api/v1/pipelines/nothing", None),
             ("get_run", "GET", "/api/v1/runs/99999999999999999999", None),
             ("list_runs", "GET", "/api/v1/runs?per_page=1000", None),
             ("create_pipeline", "POST", "/api/v1/pipelines", {"name": "x", "stages": [{"name": "s", "tasks": [{}]}]})]
    for operation_id, method, url, body in cases:
        answer = api.client.open(url, method=method, json=body, headers=api.headers, base_url=BASE)
        assert answer.status_code >= 400 and answer.mimetype == "application/problem+json", url
        check_answer(api.spec, found[operation_id], answer, url)


def test_every_api_route_is_described_except_the_documents_own(api):
    hidden = {"api_v1.openapi", "api_v1.docs", "api_v1.docs_asset", "api_v1.no_such_operation"}
    described = {(p, m.upper()) for p, m, _ in operations(api.spec)}
    for rule in api.app.server.url_map.iter_rules():
        if rule.endpoint.startswith("api_v1.") and rule.endpoint not in hidden:
            path = rule.rule
            for converter in ("int:", "path:"):
                path = path.replace("<" + converter, "<")
            path = path.replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method) in described, f"{method} {rule.rule} is not in the OpenAPI document"
