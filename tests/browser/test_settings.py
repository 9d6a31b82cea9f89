"""The settings page and a pipeline's placement in headless Chromium against a real
dashboard: add container registries (the password never comes back into the page), make
one the default, remove one with confirmation, set the chart repository, see a bad
task_slots value refused on its field; then choose where a pipeline runs in the canvas
editor's pipeline settings and in the list's advanced settings dialog.

What was stored is read back through models/ in a separate process (the dashboard's
home, opened read-only in spirit: nothing is written there). The cluster registered
for the placement tests (on the fake API server) is removed again at the end, so later
modules still run their pipelines on this machine.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.support.ui import Select

from dashboard import ids
from dashboard.editor import ids as eid
from tests.browser.conftest import screenshot, via_models
from tests.conftest import wait_for
from tests.browser.pages import Page
from tests.browser.test_editor import Editor
from tests.fakekube.fixture import fake_kube  # noqa: F401  (pytest fixture)

pytestmark = pytest.mark.slow

PASSWORD = "Corr3ct-Horse-Battery"
PIPELINE = """
name: placed
stages:
- name: Build
  tasks:
  - name: t
    type: script
    image: busybox
    script: echo hi
"""


def registry_row(name: str) -> str:
    return f'tr[data-registry="{name}"]'


def spec_of(millrace, name: str) -> dict:
    return via_models(millrace, f"pipelines.current_spec(pipelines.get({name!r}))")


def version_of(millrace, name: str) -> int:
    return via_models(millrace, f"pipelines.current_version(pipelines.get({name!r})).version_number")


def test_registries_chart_repository_and_daemon_settings(millrace, chrome):
    page = Page(chrome, millrace.url)
    page.open("/settings", ready=f"#{ids.REGISTRY_ADD}")
    page.fill(ids.REGISTRY_URL, "http://127.0.0.1:5999")
    page.fill(ids.REGISTRY_NAME, "local")
    page.fill(ids.REGISTRY_USERNAME, "bot")
    page.fill(ids.REGISTRY_PASSWORD, PASSWORD)
    page.click(f"#{ids.REGISTRY_INSECURE}")
    page.click(f"#{ids.REGISTRY_ANYWAY}")          # nothing listens on 5999 (tests/browser/test_registry_form.py checks that)
    page.click(f"#{ids.REGISTRY_ADD}")
    page.wait_text(f"#{ids.SETTINGS_FEEDBACK}", "Registry 'local' added (http://127.0.0.1:5999), the default registry.")
    page.wait_text(registry_row("local"), "stored")
    assert "plain HTTP" in page.text_of(registry_row("local")) and "default" in page.text_of(registry_row("local"))
    assert page.by_id(ids.REGISTRY_PASSWORD).get_attribute("value") == ""
    assert PASSWORD not in chrome.page_source
    page.open("/settings", ready=registry_row("local"))        # nor in a freshly rendered page
    assert PASSWORD not in chrome.page_source
    assert via_models(millrace, "registries.get('local').password") == PASSWORD

    page.fill(ids.REGISTRY_URL, "registry.example.com")        # a second one, named after its host
    page.click(f"#{ids.REGISTRY_ANYWAY}")                        # an example name: it answers nothing
    page.click(f"#{ids.REGISTRY_ADD}")
    page.wait_text(registry_row("registry.example.com"), "anonymous")
    page.click(f'{registry_row("registry.example.com")} button[data-action="default"]')
    page.wait_text(f"#{ids.SETTINGS_FEEDBACK}", "'registry.example.com' is now the default registry.")
    wait_for(lambda: not page.all(f"{registry_row('local')} .registry-default"), message="'local' no longer the default")
    assert via_models(millrace, "registries.default().name") == "registry.example.com"

    page.fill(ids.CHART_REPO_URL, "ftp://127.0.0.1:5999/charts")
    page.click(f"#{ids.CHART_REPO_SAVE}")
    page.wait_text(f"#{ids.CHART_REPO_URL_ERROR}", "expected oci://host[:port]/path")
    assert "is-invalid" in page.by_id(ids.CHART_REPO_URL).get_attribute("class")
    page.fill(ids.CHART_REPO_URL, "oci://127.0.0.1:5999/charts")
    page.choose(ids.CHART_REPO_REGISTRY, "local")
    page.click(f"#{ids.CHART_REPO_SAVE}")
    page.wait_text(f"#{ids.CHART_REPO_CURRENT}", "credentials and TLS settings of registry 'local'")
    assert "is-invalid" not in page.by_id(ids.CHART_REPO_URL).get_attribute("class")
    assert via_models(millrace, "[registries.chart_repository().url, registries.chart_repository().registry.name]") == [
        "oci://127.0.0.1:5999/charts", "local"]

    page.click(f'{registry_row("local")} button[data-action="remove"]')   # the chart repository needs it
    page.wait_text(f"#{ids.REGISTRY_DIALOG_BODY}", "Remove registry 'local'")
    page.click(f"#{ids.REGISTRY_DIALOG_CONFIRM}")
    page.wait_text(f"#{ids.SETTINGS_FEEDBACK}", "holds the credentials of chart repository")
    page.click(f'{registry_row("registry.example.com")} button[data-action="remove"]')
    page.wait_text(f"#{ids.REGISTRY_DIALOG_BODY}", "It is the default registry")
    page.click(f"#{ids.REGISTRY_DIALOG_CONFIRM}")
    page.wait_text(f"#{ids.SETTINGS_FEEDBACK}", "Registry 'registry.example.com' removed.")
    wait_for(lambda: not page.all(registry_row("registry.example.com")), message="the removed row to go")
    assert via_models(millrace, "[r.name for r in registries.all_registries()]") == ["local"]

    page.fill(ids.DAEMON_TASK_SLOTS, "0")
    page.click(f"#{ids.DAEMON_SAVE}")
    page.wait_text(f"#{ids.DAEMON_TASK_SLOTS_ERROR}", "task_slots must be a whole number of at least 1")
    assert "is-invalid" in page.by_id(ids.DAEMON_TASK_SLOTS).get_attribute("class")
    assert via_models(millrace, "daemon_state.get_setting('task_slots')") == "8"
    page.fill(ids.DAEMON_TASK_SLOTS, "3")
    page.click(f"#{ids.DAEMON_SAVE}")
    page.wait_text(f"#{ids.SETTINGS_FEEDBACK}", "Daemon settings saved: 3 task slots")
    assert "is-invalid" not in page.by_id(ids.DAEMON_TASK_SLOTS).get_attribute("class")
    assert via_models(millrace, "daemon_state.get_setting('task_slots')") == "3"
    page.fill(ids.DAEMON_LOG_CAP, "1.5")
    page.click(f"#{ids.DAEMON_SAVE}")
    page.wait_text(f"#{ids.DAEMON_LOG_CAP_ERROR}", "log_cap_mb must be a whole number of megabytes (e.g. 64), not 1.5")
    assert "is-invalid" in page.by_id(ids.DAEMON_LOG_CAP).get_attribute("class")
    assert via_models(millrace, "daemon_state.get_setting('log_cap_mb')") == "64"
    page.fill(ids.DAEMON_LOG_CAP, "256")
    page.click(f"#{ids.DAEMON_SAVE}")
    page.wait_text(f"#{ids.SETTINGS_FEEDBACK}", "task logs kept up to 256 MB")
    assert "is-invalid" not in page.by_id(ids.DAEMON_LOG_CAP).get_attribute("class")
    assert via_models(millrace, "daemon_state.get_setting('log_cap_mb')") == "256"
    chrome.execute_script("window.scrollTo({top: 0, behavior: 'instant'});")
    screenshot(chrome, "settings")
    millrace.cli("settings", "task_slots", "8")
    millrace.cli("settings", "log_cap_mb", "64")


@pytest.fixture
def prod_cluster(millrace, fake_kube):
    """Cluster `prod` on the fake API server (checked by the CLI), removed again afterwards."""
    millrace.cli("cluster", "add", "prod", "--kubeconfig", str(Path(fake_kube.kubeconfig_path)))
    yield "prod"
    millrace.cli("cluster", "remove", "prod", "--yes")


def test_choosing_where_a_pipeline_runs_in_the_editor_and_in_advanced_settings(millrace, chrome, prod_cluster):
    millrace.apply(PIPELINE)
    pipeline_id = via_models(millrace, "pipelines.get('placed').id")
    ed = Editor(chrome, f"{millrace.url}/pipelines/{pipeline_id}/edit")
    ed.wait_stages(["Build"])
    expected = ["default (cluster prod)", "this machine (local processes)", "cluster prod"]
    # found again on each try: the side panel may be rebuilt under the test (stale element)
    wait_for(lambda: [o.text for o in Select(ed.el(eid.field("cluster"))).options if o.get_attribute("value")]
             == expected, message="the cluster choice")
    wait_for(lambda: Select(ed.el(eid.field("cluster"))).select_by_visible_text("cluster prod") or True,
             message="choosing cluster prod")
    ed.type("scheduling_timeout_minutes", "15")
    save = ed.el(eid.SAVE)
    # typing scrolled the page (smoothly: Bootstrap's scroll-behavior), so bring the button back at once
    chrome.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", save)
    save.click()
    wait_for(lambda: chrome.current_url.endswith(f"/pipelines/{pipeline_id}"), message="the pipeline page")
    spec = spec_of(millrace, "placed")
    assert (spec["cluster"], spec["scheduling_timeout_minutes"], version_of(millrace, "placed")) == ("prod", 15, 2)

    page = Page(chrome, millrace.url)
    page.open("/pipelines", ready=page.row("placed"))
    page.more(page.row("placed"), "Advanced settings")
    page.dialog_open("Advanced settings of placed")
    cluster = Select(page.by_id(ids.DIALOG_CLUSTER))
    wait_for(lambda: cluster.first_selected_option.text == "cluster prod", message="the stored cluster chosen")
    assert page.by_id(ids.DIALOG_SCHEDULING).get_attribute("value") == "15"
    page.choose(ids.DIALOG_CLUSTER, "this machine (local processes)")
    page.confirm()
    page.feedback("Saved the timeout of 'placed' (none, runs on this machine).")
    spec = spec_of(millrace, "placed")
    assert (spec["cluster"], spec["scheduling_timeout_minutes"], version_of(millrace, "placed")) == ("local", 15, 3)
