"""The dashboard's intents and read-side queries on a real SQLite database: what the list
shows, and what run / stop / copy / settings / activate / delete leave behind."""
import pytest

from dashboard import actions
from dashboard.app import _specificity
from dashboard.queries import latest_runs, trigger_summaries
from models import audit, pipelines, runs
from models.spec import SpecError
from models.tables import Run
from tests.conftest import pipeline_spec, script_task

SPEC = pipeline_spec("app", [{"name": "Build", "tasks": [script_task("b", "echo hi")]}], timeout_minutes=5)


@pytest.fixture
def app_pipeline(home):
    return pipelines.create(SPEC, "tester")


def test_latest_run_of_each_pipeline_in_one_query(app_pipeline):
    other = pipelines.create(dict(SPEC, name="other"), "tester")
    for _ in range(3):
        runs.enqueue_run(app_pipeline, "manual", "tester")
    latest = latest_runs([app_pipeline.id, other.id])
    assert latest[app_pipeline.id].number == 3 and other.id not in latest
    assert trigger_summaries([app_pipeline.id]) == {app_pipeline.id: "manual"}


def test_run_then_stop_the_latest_running_run(app_pipeline):
    message, _ = actions.perform({"action": "run", "pipeline": app_pipeline.id})
    assert message == "Queued app#1."
    message, _ = actions.perform({"action": "stop", "pipeline": app_pipeline.id})
    assert message == "Stop requested for app#1."
    assert Run.get(Run.number == 1).stop_requested_by == "system"      # no request: the operator's
    assert [e.action for e in audit.recent(5)][:2] == ["stop", "run"]


def test_rerun_uses_the_old_runs_version(app_pipeline):
    first = runs.enqueue_run(app_pipeline, "manual", "tester")
    pipelines.save(app_pipeline, dict(SPEC, description="changed"), "tester")
    message, _ = actions.perform({"action": "rerun", "run": first.id})
    again = Run.get(Run.number == 2)
    assert message == "Queued app#2 (re-run of #1)." and again.version_id == first.version_id


def test_copy_takes_stages_tasks_and_timeout_and_leaves_the_original(app_pipeline):
    actions.perform({"action": "copy", "pipeline": app_pipeline.id}, name="app-copy")
    copied = pipelines.get("app-copy")
    assert pipelines.current_spec(copied)["stages"] == pipelines.current_spec(app_pipeline)["stages"]
    assert pipelines.current_spec(copied)["timeout_minutes"] == 5
    assert pipelines.get("app").id == app_pipeline.id
    with pytest.raises(pipelines.Conflict, match="already exists"):
        actions.perform({"action": "copy", "pipeline": app_pipeline.id}, name="app-copy")


def test_settings_store_a_new_version_and_refuse_a_bad_timeout(app_pipeline):
    actions.perform({"action": "settings", "pipeline": app_pipeline.id}, timeout=30)
    assert pipelines.current_spec(pipelines.get("app"))["timeout_minutes"] == 30
    assert pipelines.current_version(pipelines.get("app")).version_number == 2
    with pytest.raises(SpecError) as err:
        actions.perform({"action": "settings", "pipeline": app_pipeline.id}, timeout=0)
    assert "timeout_minutes" in actions._message(err.value)
    actions.perform({"action": "settings", "pipeline": app_pipeline.id}, timeout=None)
    assert pipelines.current_spec(pipelines.get("app"))["timeout_minutes"] is None


def test_deactivated_pipeline_refuses_to_run_until_activated(app_pipeline):
    actions.perform({"action": "deactivate", "pipeline": app_pipeline.id})
    with pytest.raises(runs.RunError, match="deactivated"):
        actions.perform({"action": "run", "pipeline": app_pipeline.id})
    actions.perform({"action": "activate", "pipeline": app_pipeline.id})
    assert actions.perform({"action": "run", "pipeline": app_pipeline.id})[0] == "Queued app#1."


def test_delete_is_refused_while_running_then_frees_the_name(app_pipeline):
    runs.enqueue_run(app_pipeline, "manual", "tester")
    with pytest.raises(pipelines.Conflict, match="active runs"):
        actions.perform({"action": "delete", "pipeline": app_pipeline.id})
    Run.update(status="stopped").execute()
    assert actions.perform({"action": "delete", "pipeline": app_pipeline.id}) == ("Deleted 'app'.", "/pipelines")
    with pytest.raises(pipelines.NotFound):
        pipelines.get("app")


def test_routes_are_tried_most_specific_first():
    pages = [{"module": m, "path": p, "path_template": t} for m, p, t in (
        ("list", "/pipelines", None), ("detail", "/pipelines/none", "/pipelines/<pipeline_id>"),
        ("run", "/pipelines/none/runs/none", "/pipelines/<pipeline_id>/runs/<number>"),
        ("new", "/pipelines/new", None), ("edit", "/pipelines/none/edit", "/pipelines/<pipeline_id>/edit"),
        ("home", "/", None))]
    assert [p["module"] for p in sorted(pages, key=_specificity)] == ["run", "edit", "new", "detail", "list", "home"]


def test_trigger_summary_names_timed_and_webhook_rules(app_pipeline):
    from models import triggers
    triggers.save_timer(app_pipeline, "every 2 minutes", "tester")
    triggers.save_webhook(app_pipeline, "tester", push=True, tag=True)
    assert trigger_summaries([app_pipeline.id])[app_pipeline.id] == "manual, every 2 minutes, on push/tag"
