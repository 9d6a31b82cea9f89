"""The editor's pickers and the deploy check on a real SQLite database, and the side-by-side diff (pure)."""
import pytest

from dashboard import diffview
from dashboard.editor import forms, pickers
from models import pipelines, registries
from models.spec import validate
from tests.conftest import pipeline_spec

DEPLOY = pipeline_spec("ship", [{"name": "Deploy", "tasks": [
    {"name": "m", "type": "deploy_yaml", "file": "k8s.yaml", "namespace": "web"}]}])
BUILD = pipeline_spec("build", [{"name": "Build", "tasks": [
    {"name": "i", "type": "build_image", "image": "app", "tag": "1", "workspace": "team-a"},
    {"name": "c", "type": "build_chart", "chart_dir": "chart", "chart_name": "app-chart", "chart_version": "1.0.0"}]}])


@pytest.fixture
def registered(home):
    registries.add("hub", "registry.example.com", "tester")
    pipelines.create(BUILD, "tester")


def test_choices_come_from_what_is_registered_and_saved(registered):
    offered = pickers.choices()
    assert offered["registries"] == ["hub"] and offered["workspaces"] == ["team-a"]
    assert pickers.select_options("registry", offered, "gone")[-1] == ("gone", "gone (not registered)")
    assert pickers.suggestions("chart", offered, validate(BUILD)) == ["app-chart"]
    form = repr(forms.panel(validate(BUILD), "task-0-0", [], offered=offered))
    assert "Datalist" in form and "'team-a'" in form and "'hub'" in form


def test_a_deploy_task_needs_a_usable_cluster(home):
    problems = pickers.deploy_problems(validate(DEPLOY))
    assert problems == [("stages[0].tasks[0].cluster", "no usable cluster: choose one here, or register one and make "
                         "it the default on the Clusters page (/clusters)")]
    ghost = validate({**DEPLOY, "cluster": "ghost"})
    assert "cluster 'ghost' is not registered" in pickers.deploy_problems(ghost)[0][1]


def test_the_diff_pairs_changed_lines_and_folds_unchanged_runs():
    old = "\n".join(f"line {i}" for i in range(20))
    new = old.replace("line 10", "line ten") + "\nadded"
    kinds = [r[0] for r in diffview.rows(old, new)]
    assert kinds.count("fold") == 2 and ("chg", 11, "line 10", 11, "line ten") in diffview.rows(old, new)
    assert diffview.rows(old, new)[-1] == ("add", None, "", 21, "added")
    assert "No differences" in repr(diffview.side_by_side(old, old, "a", "b"))


def test_an_unreadable_chart_repository_leaves_a_note_and_the_other_suggestions(registered):
    from dashboard.editor import chart_picker
    from models import chart_listing
    from tests.delivery.registry_server import free_port

    chart_listing._cache.clear()
    url = f"http://127.0.0.1:{free_port()}/charts"
    registries.set_chart_repository(url, "tester")
    offered = pickers.choices()
    assert offered["chart_note"] == f"the chart repository {url} could not be read (connection refused)"
    assert offered["repository_charts"] == []
    spec = validate(pipeline_spec("ship", [*BUILD["stages"], {"name": "Deploy", "tasks": [
        {"name": "d", "type": "deploy_chart", "release": "app", "chart": "app-chart", "chart_version": "1.0.0",
         "namespace": "web"}]}]))
    assert chart_picker.version_choices("app-chart", offered, spec) == (["1.0.0"], offered["chart_note"])
    form = repr(forms.panel(spec, "task-1-0", [], offered=offered))
    assert form.count("could not be read (connection refused)") == 2           # under the name and the version
    assert "editor-chart-versions" in form
    chart_listing._cache.clear()
