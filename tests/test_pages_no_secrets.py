"""Pages never carry a secret's value or its sealed (Fernet) form: the pipeline, run and
editor pages and their callbacks, fetched from the Flask test client as the browser does
(Dash's layout, the Pages content callback, the pages' own callbacks). Saving from the
editor still keeps the stored secret, and the next run still gets it."""
import hashlib
import json

import pytest

from tests.auth_helpers import signed_in

from dashboard import ids
from dashboard.editor import ids as eid
from models import logs, pipelines, runs
from models.tables import Run, StageRun, TaskRun
from tests.conftest import pipeline_spec, run_until_done, script_task

SECRET = "page-s3cret-Value-1"
FERNET_PREFIX = "gAAAA"      # every Fernet token starts with it (version byte and timestamp)


@pytest.fixture
def client(home):
    from dashboard.app import create_app
    app = create_app()
    server = app.server
    server.config["TESTING"] = True
    return signed_in(server.test_client())


def _dependencies(client) -> list[dict]:
    response = client.get("/_dash-dependencies")
    assert response.status_code == 200
    return response.get_json()


def _outputs(spec: str) -> list[dict]:
    parts = spec[2:-2].split("...") if spec.startswith("..") else [spec]
    out = []
    for part in parts:
        key, prop = part.rsplit(".", 1)
        out.append({"id": json.loads(key) if key.startswith("{") else key, "property": prop})
    return out


def call(client, output_part: str, values: dict, changed: str) -> tuple[str, dict]:
    """POST one callback the way dash-renderer does. `output_part` picks the callback (a
    piece of its output spec); `values` gives "id.property" → value for its inputs and
    states (pattern-matching ones are sent empty); returns (raw body, parsed response)."""
    matches = [d for d in _dependencies(client) if output_part in d["output"]]
    # (an app made earlier in the same process registered the same callbacks once more)
    assert matches and len({d["output"] for d in matches}) == 1, [d["output"] for d in matches]
    dep = matches[0]

    def arg(item):
        if item["id"].startswith("{"):
            return []                                    # ALL wildcard: no such components on the page
        return {"id": item["id"], "property": item["property"],
                "value": values.get(f"{item['id']}.{item['property']}")}

    body = {"output": dep["output"], "outputs": _outputs(dep["output"]) if dep["output"].startswith("..")
            else _outputs(dep["output"])[0],
            "inputs": [arg(i) for i in dep["inputs"]], "state": [arg(s) for s in dep["state"]],
            "changedPropIds": [changed]}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:2000]
    text = response.get_data(as_text=True)
    return text, (json.loads(text) if text else {})


def page(client, path: str) -> tuple[str, dict]:
    """The content Dash Pages renders for `path` (its callback on the location)."""
    text, parsed = call(client, "_pages_content.children", {"_pages_location.pathname": path,
                                                           "_pages_location.search": ""},
                        "_pages_location.pathname")
    return text, parsed["response"]["_pages_content"]["children"]


def find(tree, component_id):
    """The props of the component with this id in a rendered layout."""
    if isinstance(tree, dict):
        props = tree.get("props") or {}
        if props.get("id") == component_id:
            return props
        for value in list(props.values()) + [v for k, v in tree.items() if k != "props"]:
            found = find(value, component_id)
            if found is not None:
                return found
    elif isinstance(tree, list):
        for item in tree:
            found = find(item, component_id)
            if found is not None:
                return found
    return None


def assert_clean(text: str, token: str, where: str):
    for bad in (SECRET, token, FERNET_PREFIX):
        assert bad not in text, f"{where} carries {bad[:12]}…"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_no_page_or_callback_carries_a_secret_or_its_sealed_value_and_the_editor_still_saves(client, daemon):
    raw = pipeline_spec("with-secret", stages=[{"name": "Build", "mode": "serial", "tasks": [script_task(
        "use", 'printf "%s" "$TOKEN" | sha256sum\necho "v1"',
        env=[{"name": "TOKEN", "value": SECRET, "secret": True}, {"name": "MODE", "value": "fast"}])]}])
    p = pipelines.create(raw, "tester")
    token = pipelines.current_spec(p)["stages"][0]["tasks"][0]["env"][0]["encrypted"]
    assert token.startswith(FERNET_PREFIX)
    first = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id)
    assert first.status == "succeeded", first.reason

    for path in ("/", "/_dash-layout", "/pipelines", f"/pipelines/{p.id}", f"/pipelines/{p.id}/runs/{first.number}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_clean(response.get_data(as_text=True), token, path)

    # The pipeline page: its diagram, and its poll.
    text, detail = page(client, f"/pipelines/{p.id}")
    assert find(detail, ids.DETAIL_DIAGRAM)["elements"], "the diagram was rendered"
    assert_clean(text, token, "the pipeline page")
    text, _ = call(client, f"{ids.DETAIL_INFO}.children", {f"{ids.DETAIL_POLL}.n_intervals": 1,
                                                           f"{ids.DETAIL_RUNS_VIEW}.value": "list",
                                                           f"{ids.DETAIL_ID}.data": p.id},
                   f"{ids.DETAIL_POLL}.n_intervals")
    assert_clean(text, token, "the pipeline page's poll")

    # The run page: its graph (task nodes carry their task's definition), and its poll.
    text, run_page = page(client, f"/pipelines/{p.id}/runs/{first.number}")
    elements = find(run_page, ids.RUN_GRAPH)["elements"]
    task_node = next(e for e in elements if e["data"]["id"] == "task-0-0")
    assert task_node["data"]["spec"]["env"] == [{"name": "TOKEN", "value": "", "secret": True},
                                                {"name": "MODE", "value": "fast", "secret": False}]
    assert_clean(text, token, "the run page")
    text, _ = call(client, f"{ids.RUN_GRAPH}.elements", {f"{ids.RUN_POLL}.n_intervals": 1,
                                                          f"{ids.LOG_AUTO}.data": True,
                                                          f"{ids.RUN_ID}.data": first.id},
                   f"{ids.RUN_POLL}.n_intervals")
    assert "task-0-0" in text
    assert_clean(text, token, "the run page's poll")

    # The editor: its stores, canvas and YAML tab.
    text, editor = page(client, f"/pipelines/{p.id}/edit")
    assert_clean(text, token, "the editor")
    state, meta = find(editor, eid.STATE)["data"], find(editor, eid.META)["data"]
    assert meta["stored"] == ["Build/use/TOKEN"]
    text, _ = call(client, f"{eid.CANVAS}.elements", {f"{eid.STATE}.data": state, f"{eid.SELECTED}.data": None},
                   f"{eid.STATE}.data")
    assert_clean(text, token, "the editor's canvas")
    text, _ = call(client, f"{eid.YAML}.value", {f"{eid.TABS}.active_tab": eid.TAB_YAML, f"{eid.STATE}.data": state,
                                                 f"{eid.YAML}.value": "", f"{eid.FORM_REV}.data": 0},
                   f"{eid.TABS}.active_tab")
    assert "secret: true" in text
    assert_clean(text, token, "the editor's YAML tab")

    # Saving from the editor (the script edited, the secret left as the page has it) keeps it.
    present = state["present"]
    present["stages"][0]["tasks"][0]["script"] = 'printf "%s" "$TOKEN" | sha256sum\necho "v2"'
    edited = {**state, "present": present}
    text, saved = call(client, f"{eid.REDIRECT}.href", {f"{eid.SAVE}.n_clicks": 1, f"{eid.STATE}.data": edited,
                                                        f"{eid.META}.data": meta, f"{eid.FORM_REV}.data": 0,
                                                        f"{eid.TABS}.active_tab": eid.TAB_CANVAS},
                      f"{eid.SAVE}.n_clicks")
    assert saved["response"][eid.REDIRECT]["href"] == f"/pipelines/{p.id}", text
    assert_clean(text, token, "the editor's save")
    kept = pipelines.current_spec(pipelines.get(p.id))
    assert pipelines.current_version(pipelines.get(p.id)).version_number == 2
    assert kept["stages"][0]["tasks"][0]["env"][0]["encrypted"] == token
    second = run_until_done(daemon, runs.enqueue_run(pipelines.get(p.id), "manual", "tester").id)
    assert second.status == "succeeded", second.reason
    task = TaskRun.select().join(StageRun).where((TaskRun.run == second.id) & (StageRun.position == 1)).get()
    output = logs.text(task.id, timestamps=False)
    assert _sha(SECRET) in output and "v2" in output
    assert Run.get_by_id(second.id).version.version_number == 2
