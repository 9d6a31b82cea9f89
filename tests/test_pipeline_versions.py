"""Optimistic saves, unchanged saves, restores and the one minutes rule, on a real SQLite
database: what models.pipelines stores (and refuses) for the editor, the dialogs and the CLI."""
import pytest

from dashboard import actions
from models import audit, pipelines
from models.spec import MINUTES_PROBLEM, minutes_problem, minutes_value
from tests.conftest import pipeline_spec, script_task

SPEC = pipeline_spec("app", [{"name": "Build", "tasks": [script_task("b", "echo hi")]}], timeout_minutes=10)


@pytest.fixture
def app(home):
    return pipelines.create(SPEC, "tester")


def test_a_save_based_on_an_older_version_is_refused_and_stores_nothing(app):
    pipelines.apply(dict(SPEC, description="from the CLI"), "cli-user")           # version 2, meanwhile
    with pytest.raises(pipelines.Stale) as refused:
        pipelines.save(app, dict(SPEC, description="from the browser"), "dashboard", based_on=1)
    assert refused.value.current.version_number == 2 and refused.value.current.created_by == "cli-user"
    assert "was changed meanwhile: version 2 was saved by cli-user" in str(refused.value)
    assert pipelines.current_spec(pipelines.get("app"))["description"] == "from the CLI"
    saved = pipelines.save(app, dict(SPEC, description="from the browser"), "dashboard", based_on=2)   # overwrite
    assert (saved.version_number, saved.is_new) == (3, True)


def test_saving_an_unchanged_definition_stores_no_version(app):
    same = pipelines.save(app, SPEC, "dashboard", based_on=1)
    assert (same.version_number, same.is_new) == (1, False)
    assert len(pipelines.versions(app)) == 1
    assert pipelines.apply(SPEC, "cli")[1] == "unchanged"


def test_restore_stores_an_old_definition_as_a_new_audited_version(app):
    pipelines.save(app, dict(SPEC, description="second"), "tester")
    restored = pipelines.restore(app, 1, "dashboard", based_on=2)
    assert restored.version_number == 3 and pipelines.current_spec(app)["description"] == ""
    event = audit.recent(1)[0]
    assert (event.action, event.actor, '"restored": 1' in event.detail_json) == ("restore", "dashboard", True)
    with pytest.raises(pipelines.Stale):
        pipelines.restore(app, 2, "dashboard", based_on=2)
    with pytest.raises(pipelines.NotFound, match="no version 9"):
        pipelines.restore(app, 9, "dashboard")


@pytest.mark.parametrize("typed", ["0", "-5", "1.5", "abc", 0, 1.5, "20161"])
def test_one_minutes_rule_refuses_what_is_not_a_whole_number_of_minutes(typed):
    assert minutes_problem(minutes_value(typed)) == MINUTES_PROBLEM


@pytest.mark.parametrize("typed, value", [("", None), (None, None), (" 15 ", 15), (15, 15), (15.0, 15)])
def test_minutes_as_typed(typed, value):
    assert minutes_value(typed) == value and minutes_problem(value) is None


def test_the_settings_dialog_never_stores_a_bad_timeout_and_says_when_nothing_changed(app):
    pending = {"action": "settings", "pipeline": app.id, "version": 1}
    assert actions._minutes_marks(pending, "1.5", "") == (MINUTES_PROBLEM, None)
    message, _ = actions.perform(pending, timeout="10")
    assert message == "Nothing changed: 'app' stays at version 1."
    message, _ = actions.perform(pending, timeout="15")
    assert message == "Saved the timeout of 'app' (15 min)."
    with pytest.raises(pipelines.Stale):                          # the dialog was opened on version 1
        actions.perform(pending, timeout="20")


def test_the_cli_apply_based_on_an_older_version_is_refused(tmp_path):
    from tests.test_cli import cli
    home = tmp_path / "home"
    cli(home, "migrate")
    text = "name: app\nstages:\n- name: B\n  tasks:\n  - {name: t, type: script, image: alpine, script: 'true'}\n"
    (tmp_path / "p.yaml").write_text(text)
    cli(home, "apply", "-f", str(tmp_path / "p.yaml"))
    (tmp_path / "p.yaml").write_text(text.replace("'true'", "'make'"))
    assert "updated" in cli(home, "apply", "-f", str(tmp_path / "p.yaml"), "--based-on", "1").stdout
    (tmp_path / "p.yaml").write_text(text.replace("'true'", "'make all'"))
    refused = cli(home, "apply", "-f", str(tmp_path / "p.yaml"), "--based-on", "1", check=False)
    assert refused.returncode != 0 and "was changed meanwhile: version 2 was saved by" in refused.stderr
