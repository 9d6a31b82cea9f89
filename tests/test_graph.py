"""Definition ⇄ cytoscape elements: layout, order edges, error marks, and the round trip."""
from dashboard import graph
from dashboard.editor.ops import new_spec
from models.spec import SpecError, validate


def sample():
    return validate({"name": "app", "source": {"repository": "file:///srv/app.git", "branch": "dev"},
                     "timeout_minutes": 30, "parameters": {"REGION": "eu"}, "stages": [
        {"name": "Build", "mode": "serial", "tasks": [
            {"name": "compile", "type": "script", "image": "alpine", "script": "make"},
            {"name": "test", "type": "script", "image": "alpine", "script": "make test"}]},
        {"name": "Deploy", "mode": "parallel", "tasks": [
            {"name": "a", "type": "deploy_yaml", "file": "a.yaml", "namespace": "prod"},
            {"name": "b", "type": "deploy_yaml", "file": "b.yaml", "namespace": "prod"}]}]})


def by_id(elements):
    return {e["data"]["id"]: e for e in elements}


def edges(elements):
    return {(e["data"]["source"], e["data"]["target"]) for e in elements if "target" in e["data"]}


def test_source_then_stages_left_to_right_then_tasks_under_them():
    els = by_id(graph.spec_to_elements(sample()))
    x = {k: e["position"]["x"] for k, e in els.items() if "position" in e}
    y = {k: e["position"]["y"] for k, e in els.items() if "position" in e}
    assert x["source"] < x["stage-0"] < x["stage-1"]
    assert x["task-0-0"] == x["task-0-1"] == x["stage-0"] and y["stage-0"] < y["task-0-0"] < y["task-0-1"]
    # parallel tasks side by side, in one row, and clear of the serial column
    assert y["task-1-0"] == y["task-1-1"] and x["task-0-0"] < x["task-1-0"] < x["task-1-1"]
    assert els["task-0-0"]["data"]["label"] == "compile\nrun script"
    assert els["source"]["data"]["label"].endswith("branch dev")


def test_edges_show_the_order():
    e = edges(graph.spec_to_elements(sample()))
    assert {("source", "stage-0"), ("stage-0", "stage-1")} <= e
    assert {("stage-0", "task-0-0"), ("task-0-0", "task-0-1")} <= e          # serial: a chain
    assert {("stage-1", "task-1-0"), ("stage-1", "task-1-1")} <= e          # parallel: a fan
    assert ("task-1-0", "task-1-1") not in e


def test_editable_graphs_have_plus_buttons_and_read_only_ones_do_not():
    ids = set(by_id(graph.spec_to_elements(sample())))
    assert {"add-stage-0", "add-stage-1", "add-stage-2", "add-task-0", "add-task-1"} <= ids
    read_only = set(by_id(graph.spec_to_elements(sample(), editable=False)))
    assert not any(i.startswith("add-") for i in read_only)


def test_a_pipeline_without_code_source_offers_to_add_one():
    els = by_id(graph.spec_to_elements(new_spec()))
    assert els["source"]["data"]["label"] == "+ code source" and "empty" in els["source"]["classes"]
    assert "source" not in by_id(graph.spec_to_elements(new_spec(), editable=False))


def test_validation_errors_mark_the_node_they_concern():
    spec = sample()
    spec["stages"][0]["tasks"][1]["image"] = ""
    spec["stages"][1]["name"] = "Build"
    try:
        validate(spec)
    except SpecError as exc:
        errors = exc.errors
    els = by_id(graph.spec_to_elements(spec, errors))
    assert "invalid" in els["task-0-1"]["classes"] and els["task-0-1"]["data"]["error"] == "image: required"
    assert "invalid" in els["stage-1"]["classes"] and "duplicate stage name" in els["stage-1"]["data"]["error"]
    assert "invalid" not in els["task-0-0"]["classes"] and "invalid" not in els["stage-0"]["classes"]


def test_error_paths_map_to_nodes():
    assert graph.error_node("stages[2].tasks[1].env[0].name") == "task-2-1"
    assert graph.error_node("stages[2].mode") == "stage-2"
    assert graph.error_node("source.repository") == "source"
    assert graph.error_node("timeout_minutes") is None
    assert graph.node_path("task-2-1") == "stages[2].tasks[1]"
    assert graph.parse_node("add-stage-3") == ("add-stage", 3) and graph.parse_node("nope") == ()


def test_selection_and_run_annotations_become_classes():
    els = by_id(graph.spec_to_elements(sample(), selected="stage-1",
                                       annotations={"task-0-0": {"status": "failed", "note": "12s"}}))
    assert "chosen" in els["stage-1"]["classes"]
    assert "status-failed" in els["task-0-0"]["classes"] and els["task-0-0"]["data"]["label"].endswith("\n12s")


def test_round_trip():
    for spec in (sample(), new_spec()):
        assert graph.elements_to_spec(graph.spec_to_elements(spec)) == spec
