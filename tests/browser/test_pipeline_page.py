"""The pipeline page in a real browser against the real dashboard, daemon and CLI (issue 12):
the Advanced settings dialog refuses a bad timeout on its field and stores nothing; the
version history lists every version with its author, diffs any two side by side and
restores one as a new version; Run lists the parameters to override (the run sees the
override), runs at once when there is nothing to ask, asks first for a pipeline that
deploys, and refuses a deactivated pipeline without a dialog.
"""
from __future__ import annotations

import json
import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboard import ids
from tests.browser.conftest import screenshot
from tests.browser.pages import Page
from tests.browser.test_editor import query, stored
from tests.conftest import wait_for

pytestmark = pytest.mark.slow

TIMED = """
name: timed
timeout_minutes: 10
stages:
- name: Build
  tasks:
  - name: compile
    type: script
    image: alpine
    script: make
"""
GREETER = """
name: greeter
parameters:
  GREETING: hello
  TARGET: world
stages:
- name: Say
  tasks:
  - name: say
    type: script
    image: busybox
    script: echo "said ${GREETING} ${TARGET}"
"""
DEPLOYER = """
name: deployer
stages:
- name: Ship
  tasks:
  - name: apply-manifests
    type: deploy_yaml
    file: k8s/app.yaml
    namespace: prod
"""


@pytest.fixture(scope="module")
def page(millrace, chrome):
    for text in (TIMED, GREETER, DEPLOYER):
        millrace.apply(text)
    return Page(chrome, millrace.url)


def open_pipeline(page: Page, millrace, name: str) -> int:
    pipeline_id = stored(millrace, name)[0]
    page.open(f"/pipelines/{pipeline_id}", ready=f"#{ids.DETAIL_INFO} h2")
    page.wait_text("h2", name)
    return pipeline_id


@pytest.mark.parametrize("typed", ["0", "-5", "1.5", "abc"])
def test_the_advanced_settings_refuse_a_bad_timeout_on_its_field_and_store_nothing(page, millrace, typed):
    open_pipeline(page, millrace, "timed")
    before = stored(millrace, "timed")[1]
    page.more(f"#{ids.DETAIL_INFO}", "Advanced settings")
    page.dialog_open("Advanced settings of timed")
    page.fill(ids.DIALOG_TIMEOUT, typed)
    page.confirm()
    page.wait_text(f"#{ids.DIALOG_TIMEOUT_FEEDBACK}", "must be a whole number of minutes from 1 to 20160")
    assert "is-invalid" in page.by_id(ids.DIALOG_TIMEOUT).get_attribute("class")
    assert page.all(f".modal.show #{ids.DIALOG_CONFIRM}")                          # still open, nothing saved
    _, version, spec = stored(millrace, "timed")
    assert (version, spec["timeout_minutes"]) == (before, 10)
    page.fill(ids.DIALOG_TIMEOUT, "15")                                             # then a good one is saved
    page.confirm()
    page.feedback("Saved the timeout of 'timed' (15 min")
    assert stored(millrace, "timed")[2]["timeout_minutes"] == 15
    millrace.apply(TIMED)                                                           # back to 10 for the next case


def test_the_version_history_diffs_any_two_versions_and_restores_one(page, millrace):
    millrace.apply(GREETER.replace('echo "said', 'echo "now says'))                 # version 2, by the CLI
    pipeline_id = open_pipeline(page, millrace, "greeter")
    page.wait_text(f"#{ids.DETAIL_VERSIONS}", "v2")
    rows = [r.text for r in page.all(f"#{ids.DETAIL_VERSIONS} tr[data-version]")]
    assert re.match(r"v2 current \d{4}-\d\d-\d\d .* UTC tester", rows[0]) and rows[1].startswith("v1 ")
    table = page.css("#version-diff-table")
    wait_for(lambda: "now says" in table.text and 'echo "said' in table.text, message="the diff of v1 and v2")
    assert page.all("#version-diff-table td.diff-del") and page.all("#version-diff-table td.diff-add")
    page.choose(ids.VERSION_FROM, "version 2")                                      # any two: the same → nothing
    page.wait_text(f"#{ids.VERSION_DIFF}", "No differences between version 2 and version 2")
    page.click(f'#{ids.DETAIL_VERSIONS} tr[data-version="2"] button[id*="{ids.VERSION_COMPARE}"]')
    page.wait_text("#version-diff-table", "now says")
    screenshot(page.driver, "version-history")

    page.click(f'#{ids.DETAIL_VERSIONS} button[data-action="restore:1"]')
    page.dialog_open("Restore version 1 of greeter")
    page.confirm()
    page.feedback("Restored version 1 of 'greeter' as version 3.")
    _, version, spec = stored(millrace, "greeter")
    assert version == 3 and 'echo "said' in spec["stages"][0]["tasks"][0]["script"]
    page.wait_text(f"#{ids.DETAIL_VERSIONS} tr[data-version='3']", "current")
    assert query(millrace, "SELECT actor, detail_json FROM audit_event WHERE action = 'restore' AND object_id = ?",
                 pipeline_id) == [("tester", json.dumps({"restored": 1, "version": 3}, sort_keys=True))]


def test_run_lists_the_parameters_and_the_run_sees_the_override(page, millrace, daemon):
    open_pipeline(page, millrace, "greeter")
    page.click(f'#{ids.DETAIL_INFO} button[data-action="run"]')
    page.dialog_open("Run greeter")
    fields = page.driver.execute_script(
        "return [...document.querySelectorAll('#%s input')].map(i => [JSON.parse(i.id).name, i.value]);" % ids.DIALOG_PARAMS)
    assert fields == [["GREETING", "hello"], ["TARGET", "world"]]
    box = page.driver.execute_script("return document.getElementById(arguments[0]);",
                                     json.dumps({"name": "GREETING", "type": ids.DIALOG_PARAM}, separators=(",", ":")))
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys("hi")
    page.confirm()
    page.feedback("Queued greeter#1 with GREETING=hi.")
    run = query(millrace, "SELECT r.parameters_json FROM run r JOIN pipeline p ON p.id = r.pipeline_id"
                          " WHERE p.name = 'greeter' AND r.number = 1")
    assert json.loads(run[0][0]) == {"GREETING": "hi"}
    page.open(f"/pipelines/{stored(millrace, 'greeter')[0]}/runs/1")
    wait_for(lambda: "said hi world" in page.driver.find_element(By.TAG_NAME, "body").text, message="the override in the log")


def test_run_asks_only_for_a_deploying_pipeline_and_refuses_a_deactivated_one(page, millrace):
    open_pipeline(page, millrace, "deployer")
    page.click(f'#{ids.DETAIL_INFO} button[data-action="run"]')
    page.dialog_open("Run deployer")
    page.wait_text(f"#{ids.DIALOG_BODY}", "This pipeline deploys (apply-manifests)")
    page.click(f"#{ids.DIALOG_CANCEL}")
    page.dialog_closed()

    open_pipeline(page, millrace, "timed")
    page.click(f'#{ids.DETAIL_INFO} button[data-action="run"]')                    # nothing to ask: one click
    page.feedback("Queued timed#1.")
    page.more(f"#{ids.DETAIL_INFO}", "Deactivate")
    page.wait_text(f"#{ids.DETAIL_INFO} .active-flag", "inactive")
    page.click(f'#{ids.DETAIL_INFO} button[data-action="run"]')
    page.feedback("'timed' is deactivated, so it cannot run")
    assert not page.all(f".modal.show #{ids.DIALOG_CONFIRM}")
    assert query(millrace, "SELECT count(*) FROM run r JOIN pipeline p ON p.id = r.pipeline_id WHERE p.name = 'timed'") == [(1,)]
