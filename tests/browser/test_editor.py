"""The canvas editor in a real browser (headless Chromium): create from scratch, stage and
task operations, undo/redo/reset, a validation error on its field, save and run, YAML tab.

Canvas nodes are clicked with the mouse at the position cytoscape drew them; what the
canvas shows is read back from cytoscape itself (`window.cy`).
"""
from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

from dashboard import editor_ids as eid  # noqa: E402

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "editor.png"


# --- fixtures (minimal: a dashboard on a free port over a fresh data directory, one browser) ---
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("chromium and chromium-driver are not installed (apt-get install -y chromium chromium-driver)")
    from werkzeug.serving import make_server

    from dashboard.app import create_app
    from models import home
    from models.db import database

    path = tmp_path_factory.mktemp("editor-home")
    os.environ["MILLRACE_HOME"] = str(path)
    home.open_home(path, migrate=True)
    httpd = make_server("127.0.0.1", 0, create_app().server, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    database.close()


@pytest.fixture(scope="module")
def browser(server):
    os.environ.setdefault("SE_OFFLINE", "true")
    os.environ.setdefault("SE_AVOID_STATS", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1500,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


# --- helpers --------------------------------------------------------------------------
def wait_for(check, timeout=10.0, what="condition"):
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except (StaleElementReferenceException, WebDriverException):
            pass
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


class Editor:
    def __init__(self, driver, url):
        self.d = driver
        driver.get(url)
        wait_for(lambda: self.labels("stage"), what="the canvas")

    def el(self, component_id):
        # By.ID would quote the JSON of a pattern id into a CSS selector unescaped
        found = self.d.execute_script("return document.getElementById(arguments[0]);", eid.dom_id(component_id))
        if found is None:
            raise NoSuchElementException(eid.dom_id(component_id))
        return found

    def labels(self, kind):
        """What the canvas shows, in left-to-right / top-to-bottom order."""
        return self.d.execute_script(
            "if (!window.cy) return null; return cy.nodes('.' + arguments[0]).sort((a, b) =>"
            " a.position('x') - b.position('x') || a.position('y') - b.position('y')).map(n => n.data('label'));",
            kind)

    def node_classes(self, node_id):
        return self.d.execute_script("const n = cy.getElementById(arguments[0]); return n.length ? n.classes() : null;",
                                     node_id)

    def click_node(self, node_id):
        """A real mouse click where cytoscape drew the node."""
        box = wait_for(lambda: self.d.execute_script(
            "const n = cy.getElementById(arguments[0]); if (!n.length) return null;"
            "const c = cy.container().getBoundingClientRect(), p = n.renderedPosition();"
            "return [p.x - c.width / 2, p.y - c.height / 2];", node_id), what=f"node {node_id}")
        container = self.d.execute_script("return cy.container();")
        ActionChains(self.d).move_to_element_with_offset(container, int(box[0]), int(box[1])).click().perform()

    def click(self, op):
        wait_for(lambda: self.el(eid.op(op)).is_enabled(), what=f"button {op}")
        self.el(eid.op(op)).click()

    def type(self, path, text):
        field = wait_for(lambda: self.el(eid.field(path)), what=f"field {path}")
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(Keys.DELETE)
        if text:
            field.send_keys(text)

    def wait_labels(self, kind, expected):
        return wait_for(lambda: self.labels(kind) == expected, what=f"{kind} labels {expected} (have {self.labels(kind)})")

    def stages(self):
        return [label.replace("⚠ ", "").split("\n")[0] for label in self.labels("stage")]

    def wait_stages(self, expected):
        wait_for(lambda: self.stages() == expected, what=f"stages {expected} (have {self.stages()})")

    def tasks(self):
        return [label.replace("⚠ ", "").split("\n")[0] for label in self.labels("task")]

    def wait_tasks(self, expected):
        wait_for(lambda: self.tasks() == expected, what=f"tasks {expected} (have {self.tasks()})")


def pipeline_named(name):
    from models import pipelines
    try:
        return pipelines.get(name)
    except pipelines.NotFound:
        return None


# --- tests ----------------------------------------------------------------------------
def test_a_newcomer_creates_a_pipeline_adds_a_script_task_saves_and_runs_it(server, browser):
    from models import pipelines
    from models.tables import Run

    ed = Editor(browser, f"{server}/pipelines/new")
    ed.wait_stages(["Source", "Build", "Test", "Deploy"])
    ed.type("name", "hello-world")
    ed.click_node("add-task-1")                               # the "+ task" card under Build
    ed.wait_tasks(["task-1"])
    wait_for(lambda: ed.el(eid.field("stages[1].tasks[0].script")), what="the task form")
    assert ed.el(eid.field("stages[1].tasks[0].type")).get_attribute("value") == "script"
    ed.type("stages[1].tasks[0].name", "greet")
    ed.type("stages[1].tasks[0].script", "echo hello from the canvas")
    ed.wait_tasks(["greet"])
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT))
    ed.el(eid.SAVE_RUN).click()
    wait_for(lambda: "/runs/1" in browser.current_url, what="the run page")
    pipeline = wait_for(lambda: pipeline_named("hello-world"), what="the pipeline row")
    task = pipelines.current_spec(pipeline)["stages"][1]["tasks"][0]
    assert (task["name"], task["type"], task["script"]) == ("greet", "script", "echo hello from the canvas")
    run = Run.get(Run.pipeline == pipeline)
    assert (run.number, run.cause, run.triggered_by) == (1, "manual", "dashboard")


def test_stage_and_task_operations_with_undo_redo_and_reset(server, browser):
    ed = Editor(browser, f"{server}/pipelines/new")
    ed.click_node("stage-1")
    ed.click("add-stage-after")
    ed.wait_stages(["Source", "Build", "Stage 5", "Test", "Deploy"])
    ed.click("copy-stage")                                    # the new stage is selected: copy it
    ed.wait_stages(["Source", "Build", "Stage 5", "Stage 5-copy", "Test", "Deploy"])
    ed.click("stage-left")
    ed.wait_stages(["Source", "Build", "Stage 5-copy", "Stage 5", "Test", "Deploy"])
    ed.click("stage-right")
    ed.click("stage-right")
    ed.wait_stages(["Source", "Build", "Stage 5", "Test", "Stage 5-copy", "Deploy"])
    ed.click("delete-stage")
    ed.wait_stages(["Source", "Build", "Stage 5", "Test", "Deploy"])

    ed.click_node("stage-0")
    ed.click("add-task")
    ed.wait_tasks(["task-1"])
    ed.click("copy-task")
    ed.wait_tasks(["task-1", "task-1-copy"])
    ed.click("task-up")
    ed.wait_tasks(["task-1-copy", "task-1"])
    wait_for(lambda: not ed.el(eid.op("task-up")).is_enabled(), what="'move up' disabled on the first task")
    ed.click("task-down")
    ed.wait_tasks(["task-1", "task-1-copy"])
    ed.click("delete-task")
    ed.wait_tasks(["task-1"])

    ed.click("undo")
    ed.wait_tasks(["task-1", "task-1-copy"])
    ed.click("undo")
    ed.wait_tasks(["task-1-copy", "task-1"])
    ed.click("redo")
    ed.wait_tasks(["task-1", "task-1-copy"])
    ed.click("reset")
    ed.wait_stages(["Source", "Build", "Test", "Deploy"])
    ed.wait_tasks([])
    ed.click("undo")                                          # reset is one step too
    ed.wait_tasks(["task-1", "task-1-copy"])


def test_validation_errors_show_on_the_node_and_the_field_and_nothing_is_saved(server, browser):
    ed = Editor(browser, f"{server}/pipelines/new")
    ed.type("name", "needs-a-script")
    ed.click_node("add-task-2")
    ed.wait_tasks(["task-1"])
    wait_for(lambda: ed.el(eid.field("stages[2].tasks[0].script")), what="the task form")
    ed.el(eid.SAVE).click()
    wait_for(lambda: ed.el(eid.feedback("stages[2].tasks[0].script")).text == "required",
             what="'required' under the script field")
    assert "is-invalid" in ed.el(eid.field("stages[2].tasks[0].script")).get_attribute("class")
    wait_for(lambda: "invalid" in ed.node_classes("task-2-0"), what="the task card marked red")
    assert "task 'task-1' › Script: required" in ed.el(eid.PROBLEMS).text
    assert pipeline_named("needs-a-script") is None

    ed.type("stages[2].tasks[0].script", "true")
    wait_for(lambda: "invalid" not in ed.node_classes("task-2-0"), what="the mark to clear")
    assert "is-invalid" not in ed.el(eid.field("stages[2].tasks[0].script")).get_attribute("class")
    ed.el(eid.SAVE).click()
    wait_for(lambda: pipeline_named("needs-a-script"), what="the pipeline to be saved")


def test_the_yaml_tab_shows_and_edits_the_same_definition(server, browser):
    from models import pipelines

    pipeline = pipelines.create({"name": "yaml-edit", "stages": [{"name": "Build", "tasks": [
        {"name": "compile", "type": "script", "image": "alpine", "script": "make",
         "env": [{"name": "TOKEN", "value": "hunter2", "secret": True}]}]}]}, "test")
    token = pipelines.current_spec(pipeline)["stages"][0]["tasks"][0]["env"][0]["encrypted"]
    ed = Editor(browser, f"{server}/pipelines/{pipeline.id}/edit")
    ed.wait_stages(["Build"])
    assert token not in browser.page_source and "hunter2" not in browser.page_source

    browser.find_element(By.LINK_TEXT, "YAML").click()
    box = ed.el(eid.YAML)
    wait_for(lambda: "name: yaml-edit" in box.get_attribute("value"), what="the YAML text")
    text = box.get_attribute("value")
    assert token not in text and "secret: true" in text
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(text.replace("script: make", "script: make all") + "- name: Ship\n  tasks: []\n")
    browser.find_element(By.LINK_TEXT, "Canvas").click()
    ed.wait_stages(["Build", "Ship"])

    browser.find_element(By.LINK_TEXT, "YAML").click()
    wait_for(lambda: "name: Ship" in ed.el(eid.YAML).get_attribute("value"), what="the edit in the YAML text")
    ed.click("undo")                                          # undo rewrites the open YAML tab too
    wait_for(lambda: "name: Ship" not in ed.el(eid.YAML).get_attribute("value"), what="undo in the YAML text")
    ed.click("redo")
    wait_for(lambda: "name: Ship" in ed.el(eid.YAML).get_attribute("value"), what="redo in the YAML text")
    box = ed.el(eid.YAML)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys("stages: [oops")
    browser.find_element(By.LINK_TEXT, "Canvas").click()
    wait_for(lambda: "not valid YAML" in browser.execute_script(
        "return document.getElementById(arguments[0]).textContent;", eid.YAML_ERROR), what="the YAML error")
    ed.wait_stages(["Build", "Ship"])                         # bad YAML changed nothing

    ed.el(eid.SAVE).click()
    wait_for(lambda: pipelines.current_version(pipelines.get(pipeline.id)).version_number == 2, what="version 2")
    saved = pipelines.current_spec(pipelines.get(pipeline.id))
    assert [s["name"] for s in saved["stages"]] == ["Build", "Ship"]
    assert saved["stages"][0]["tasks"][0]["script"] == "make all"
    assert saved["stages"][0]["tasks"][0]["env"][0]["encrypted"] == token        # the secret was kept
