"""The settings page and the pipeline's placement choice without a browser: a registry's
password never reaches a component, model errors land on their fields, the daemon
settings are validated before anything is stored, the chart repository is set, and the
cluster choice (editor form and advanced settings) stores `cluster` in a new version."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from dash import no_update

from dashboard import actions, ids, placement, settings_forms as forms
from dashboard.editor import values as editor_values
from models import clusters, daemon_state, pipelines, registries
from tests.conftest import pipeline_spec, script_task

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "s3cret-Passw0rd"
SPEC = pipeline_spec("app", [{"name": "Build", "tasks": [script_task("b", "echo hi")]}])
KUBECONFIG = """
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}]
current-context: ctx
users: [{name: u, user: {token: abc}}]
"""


@pytest.fixture
def page(home):
    """The page module (pages register themselves with an app, so one is made first)."""
    import sys
    if "dashboard.pages.settings" not in sys.modules:
        from dashboard.app import create_app
        create_app()
    from dashboard.pages import settings
    return settings


def rendered(component) -> str:
    return json.dumps(component.to_plotly_json(), default=lambda o: o.to_plotly_json())


def test_a_registry_added_from_the_form_keeps_its_password_sealed_and_unshown(page):
    out = page.add_registry(1, "", "http://127.0.0.1:5000", "bot", PASSWORD, True, "", False, 0, anyway=True)
    assert "Registry '127.0.0.1-5000' added" in rendered(out[0]) and out[1] == 1
    assert out[-5:] == ("", "", "", "", "")                          # every field emptied, the password too
    row = registries.get("127.0.0.1-5000")
    assert row.password == PASSWORD and PASSWORD not in row.password_sealed and row.is_default and row.insecure
    shown = rendered(forms.registries_table(forms.registry_rows()))
    assert PASSWORD not in shown and row.password_sealed not in shown and "stored" in shown


@pytest.mark.parametrize("url, username, password, ca, control, words", [
    ("not a url!", "", "", "", ids.REGISTRY_URL, "is not valid"),
    ("registry.example.com", "", "pw", "", ids.REGISTRY_USERNAME, "needs a username"),
    ("registry.example.com", "", "", "hello", ids.REGISTRY_CA, "PEM"),
])
def test_a_refused_registry_shows_the_models_reason_on_its_field(page, url, username, password, ca, control, words):
    out = page.add_registry(1, "r", url, username, password, False, ca, False, 0, anyway=True)
    end = 2 + 2 * len(page.REGISTRY_CONTROLS)          # after the feedback and the change counter
    marks = dict(zip(page.REGISTRY_CONTROLS, zip(out[2:end:2], out[3:end:2])))
    assert marks[control][0] is True and words in marks[control][1]
    assert [c for c, (bad, _) in marks.items() if bad] == [control]
    assert out[0] is None and out[1] is no_update and registries.all_registries() == []


def test_a_taken_name_is_marked_on_the_name(page):
    registries.add("main", "registry.example.com", "tester")
    out = page.add_registry(1, "main", "other.example.com", "", "", False, "", False, 0, anyway=True)
    assert out[2] is True and "already exists" in out[3]


def test_the_chart_repository_is_set_or_its_error_shown_on_the_field(page):
    registries.add("main", "registry.example.com", "tester")
    feedback, _, invalid, message = page.save_chart_repo(1, "ftp://nope", forms.BY_HOST, 0)
    assert invalid and "expected oci://" in message and "http(s)://" in message and registries.chart_repository() is None
    feedback, changed, invalid, _ = page.save_chart_repo(1, "https://charts.example.com/stable", "main", 0)
    assert not invalid and registries.chart_repository().url == "https://charts.example.com/stable"
    feedback, changed, invalid, _ = page.save_chart_repo(1, "oci://registry.example.com/charts", "main", 0)
    repo = registries.chart_repository()
    assert not invalid and changed == 1 and repo.url == "oci://registry.example.com/charts"
    assert registries.chart_registry(repo).name == "main"
    assert "registry 'main'" in json.dumps(forms.chart_repo_text(), default=lambda o: o.to_plotly_json())


def test_daemon_settings_are_validated_on_their_fields_before_anything_is_stored(page):
    kaniko = daemon_state.get_setting("kaniko_image")
    out = page.save_daemon(1, "zero", "podman", "bad net!", " ")
    assert out[0] is None and out[1] is True and "at least 1" in out[2] and out[3] is True and "network" in out[4]
    assert out[5] is True and "kaniko_image must name an image" in out[6]
    assert daemon_state.get_setting("container_runtime") == ""            # nothing stored
    out = page.save_daemon(1, "3", "podman", "host", kaniko)
    assert out[1:] == (False, "", False, "", False, "")
    assert [daemon_state.get_setting(k) for k in ("task_slots", "container_runtime", "container_network")] == [
        "3", "podman", "host"]
    out = page.save_daemon(1, "3", forms.NO_RUNTIME, "host", "registry.local/kaniko:debug")
    assert out[1:] == (False, "", False, "", False, "")
    assert daemon_state.get_setting("container_runtime") == ""
    assert daemon_state.get_setting("kaniko_image") == "registry.local/kaniko:debug"


@pytest.mark.parametrize("bad, words", [
    ("0", "at least 1 (megabytes): 0 would keep no log"), ("-5", "at least 1 (megabytes): -5 would keep"),
    ("1.5", "whole number of megabytes (e.g. 64), not 1.5"), ("abc", "'abc' is not a number"),
    ("", "it is empty"), ("10241", "at most 10240")])
def test_the_log_cap_is_refused_on_its_field_and_by_the_cli_in_the_same_words(page, home, bad, words):
    kaniko = daemon_state.get_setting("kaniko_image")
    invalid, message = page.mark_log_cap(1, bad)
    assert invalid is True and words in message and message.startswith("log_cap_mb must be")
    out = page.save_daemon(1, "3", forms.NO_RUNTIME, "host", kaniko, "10", bad)
    assert out[0] is None                                                   # refused: nothing stored
    assert [daemon_state.get_setting(k) for k in ("log_cap_mb", "task_slots")] == ["64", "8"]
    refused = subprocess.run([sys.executable, str(ROOT / "run.py"), "--home", str(home), "settings", "log_cap_mb", bad],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and message in refused.stderr
    assert daemon_state.get_setting("log_cap_mb") == "64"


def test_the_log_cap_is_stored_from_the_settings_page(page):
    kaniko = daemon_state.get_setting("kaniko_image")
    assert page.mark_log_cap(1, " 256 ") == (False, "")
    out = page.save_daemon(1, "3", forms.NO_RUNTIME, "host", kaniko, "10", " 256 ")
    assert "task logs kept up to 256 MB" in rendered(out[0])
    assert daemon_state.get_setting("log_cap_mb") == "256" and daemon_state.log_cap_bytes() == 256 * 1024 * 1024
    assert ids.DAEMON_LOG_CAP in rendered(forms.daemon_form()[1])


def test_cluster_choices_name_the_default_this_machine_and_each_registered_cluster(home):
    assert placement.cluster_options(placement.placement_choices()) == [
        ("(default)", "default (this machine: no default cluster)"), ("local", "this machine (local processes)")]
    clusters.add("prod", "tester", kubeconfig=KUBECONFIG)
    options = placement.cluster_options(placement.placement_choices(), "gone")
    assert options[0] == ("(default)", "default (cluster prod)") and ("prod", "cluster prod") in options
    assert options[-1] == ("gone", "cluster gone (not registered)")


def test_the_editor_form_writes_cluster_and_scheduling_timeout(home):
    spec, changed = editor_values.apply_form(pipelines.current_spec(pipelines.create(SPEC, "tester")),
                                            [("cluster", placement.DEFAULT_CLUSTER), ("scheduling_timeout_minutes", None)])
    assert changed == []                                         # the default stays unwritten
    spec, changed = editor_values.apply_form(spec, [("cluster", "local"), ("scheduling_timeout_minutes", 15)])
    assert changed == ["cluster", "scheduling_timeout_minutes"]
    assert (spec["cluster"], spec["scheduling_timeout_minutes"]) == ("local", 15)
    spec, changed = editor_values.apply_form(spec, [("cluster", placement.DEFAULT_CLUSTER), ("scheduling_timeout_minutes", None)])
    assert changed == ["cluster", "scheduling_timeout_minutes"]


def test_advanced_settings_store_the_cluster_in_a_new_version(home):
    clusters.add("prod", "tester", kubeconfig=KUBECONFIG)
    p = pipelines.create(SPEC, "tester")
    d = actions.describe("settings", p.id, None)
    assert d["cluster"] == placement.DEFAULT_CLUSTER and {"label": "cluster prod", "value": "prod"} in d["clusters"]
    message, _ = actions.perform({"action": "settings", "pipeline": p.id}, timeout=10,
                                 placement={"cluster": "prod", "scheduling": 5})
    assert message == "Saved the timeout of 'app' (10 min, runs on cluster prod)."
    spec = pipelines.current_spec(pipelines.get(p.id))
    assert (spec["cluster"], spec["scheduling_timeout_minutes"]) == ("prod", 5)
    assert pipelines.current_version(pipelines.get(p.id)).version_number == 2
    actions.perform({"action": "settings", "pipeline": p.id}, timeout=10)        # no placement: kept
    assert pipelines.current_spec(pipelines.get(p.id))["cluster"] == "prod"
    actions.perform({"action": "settings", "pipeline": p.id}, timeout=10,
                    placement={"cluster": placement.DEFAULT_CLUSTER, "scheduling": None})
    spec = pipelines.current_spec(pipelines.get(p.id))
    assert "cluster" not in spec and "scheduling_timeout_minutes" not in spec
