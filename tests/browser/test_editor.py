"""The canvas editor in a real browser (headless Chromium) against the real dashboard:
create from scratch, stage and task operations, undo/redo/reset, a validation error on
its field, save and run (the log arrives), and the YAML tab.

Canvas nodes are clicked with the mouse where cytoscape drew them; what the canvas shows
is read back from cytoscape itself (`window.cy`). What was stored is read from the
dashboard's SQLite file, read-only.
"""
from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing

import pytest
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from dashboard.editor import ids as eid
from tests.browser.conftest import screenshot
from tests.conftest import wait_for

pytestmark = pytest.mark.slow

SECRET_PIPELINE = """
name: yaml-edit
stages:
- name: Build
  tasks:
  - name: compile
    type: script
    image: alpine
    script: make
    env:
    - name: TOKEN
      value: hunter2
      secret: true
"""


def query(millrace, sql, *args):
    with closing(sqlite3.connect(f"file:{millrace.home / 'millrace.db'}?mode=ro", uri=True)) as db:
        return db.execute(sql, args).fetchall()


def stored(millrace, name):
    """(pipeline id, version number, definition) of the live pipeline `name`, or None."""
    rows = query(millrace, "SELECT p.id, v.version_number, v.definition_json FROM pipeline p JOIN pipeline_version v"
                           " ON v.id = p.current_version_id WHERE p.name = ? AND p.deleted_at IS NULL", name)
    return (rows[0][0], rows[0][1], json.loads(rows[0][2])) if rows else None


# --- helpers --------------------------------------------------------------------------
class Editor:
    def __init__(self, driver, url):
        self.d = driver
        driver.get(url)
        wait_for(lambda: self.labels("stage"), message="the canvas")

    def el(self, component_id):
        """The element of a component id; form controls are found by type and path, whatever
        panel revision they belong to. (By.ID would put a pattern id's JSON into a CSS
        selector unescaped.)"""
        if isinstance(component_id, dict) and "rev" in component_id:
            found = self.d.execute_script(
                "for (const el of document.querySelectorAll('[id^=\"{\"]')) {"
                "  let i; try { i = JSON.parse(el.id); } catch (e) { continue; }"
                "  if (i.type === arguments[0] && i.path === arguments[1]) return el; } return null;",
                component_id["type"], component_id["path"])
        else:
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
        """A real mouse click where cytoscape drew the node, once the view has stopped moving
        (the canvas re-fits itself shortly after its elements change)."""
        def where():
            return self.d.execute_script(
                "const n = cy.getElementById(arguments[0]); if (!n.length) return null;"
                "const c = cy.container().getBoundingClientRect(), p = n.renderedPosition();"
                "return [Math.round(p.x - c.width / 2), Math.round(p.y - c.height / 2)];", node_id)

        def settled():
            first = where()
            time.sleep(0.25)
            return first if first and first == where() else None
        # Wholly in view first: a pointer offset counts from the element's in-view centre, which
        # moves when a box above (the problems list) pushes the canvas partly out of the window.
        self.d.execute_script("cy.container().scrollIntoView({block: 'center', behavior: 'instant'});")
        box = wait_for(settled, message=f"node {node_id} to stay put")
        container = self.d.execute_script("return cy.container();")
        ActionChains(self.d).move_to_element_with_offset(container, int(box[0]), int(box[1])).click().perform()

    def click(self, op):
        def press():
            button = self.el(eid.op(op))
            if button.is_displayed() and button.is_enabled():
                button.click()
                return True
        wait_for(press, message=f"button {op}")

    def type(self, path, text):
        """Replace the field's text, again if the form re-rendered it meanwhile (under load a
        freshly opened editor can re-render between finding the field and typing in it)."""
        def typed():
            field = self.el(eid.field(path))
            field.send_keys(Keys.CONTROL, "a")
            field.send_keys(Keys.DELETE)
            if text:
                field.send_keys(text)
            return field.get_attribute("value") == text
        wait_for(typed, message=f"{text!r} typed in field {path}")

    def wait_labels(self, kind, expected):
        return wait_for(lambda: self.labels(kind) == expected, message=lambda: f"{kind} labels {expected} (have {self.labels(kind)})")

    def stages(self):
        return [label.replace("⚠ ", "").split("\n")[0] for label in self.labels("stage")]

    def wait_stages(self, expected):
        wait_for(lambda: self.stages() == expected, message=lambda: f"stages {expected} (have {self.stages()})")

    def tasks(self):
        return [label.replace("⚠ ", "").split("\n")[0] for label in self.labels("task")]

    def wait_tasks(self, expected):
        wait_for(lambda: self.tasks() == expected, message=lambda: f"tasks {expected} (have {self.tasks()})")


# --- tests ----------------------------------------------------------------------------
def test_a_newcomer_creates_a_pipeline_adds_a_script_task_saves_and_runs_it(millrace, daemon, chrome):
    ed = Editor(chrome, f"{millrace.url}/pipelines/new")
    ed.wait_stages(["Source", "Build", "Test", "Deploy"])
    ed.type("name", "hello-world")
    ed.click_node("add-task-1")                               # the "+ task" card under Build
    ed.wait_tasks(["task-1"])
    wait_for(lambda: ed.el(eid.field("stages[1].tasks[0].script")), message="the task form")
    assert ed.el(eid.field("stages[1].tasks[0].type")).get_attribute("value") == "script"
    ed.type("stages[1].tasks[0].name", "greet")
    ed.type("stages[1].tasks[0].script", "echo hello from the canvas")
    ed.wait_tasks(["greet"])
    screenshot(chrome, "editor")
    ed.el(eid.SAVE_RUN).click()
    wait_for(lambda: chrome.current_url.endswith("/runs/1"), message="the run page")
    pipeline_id, version, spec = wait_for(lambda: stored(millrace, "hello-world"), message="the stored pipeline")
    task = spec["stages"][1]["tasks"][0]
    assert (version, task["name"], task["type"], task["script"]) == (1, "greet", "script", "echo hello from the canvas")
    assert query(millrace, "SELECT number, cause, triggered_by FROM run WHERE pipeline_id = ?", pipeline_id) == [
        (1, "manual", "tester")]                 # the signed-in user, not "dashboard"
    wait_for(lambda: "hello from the canvas" in chrome.find_element(By.TAG_NAME, "body").text,
             message="the task's log line on the run page")


def test_stage_and_task_operations_with_undo_redo_and_reset(millrace, chrome):
    ed = Editor(chrome, f"{millrace.url}/pipelines/new")
    ed.click_node("stage-1")
    ed.click("add-stage-after")
    ed.wait_stages(["Source", "Build", "Stage 5", "Test", "Deploy"])
    ed.click("copy-stage")                                    # the new stage is selected: copy it
    ed.wait_stages(["Source", "Build", "Stage 5", "Stage 5-copy", "Test", "Deploy"])
    ed.click("stage-left")
    ed.wait_stages(["Source", "Build", "Stage 5-copy", "Stage 5", "Test", "Deploy"])
    ed.click("stage-right")
    ed.wait_stages(["Source", "Build", "Stage 5", "Stage 5-copy", "Test", "Deploy"])
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
    wait_for(lambda: not ed.el(eid.op("task-up")).is_enabled(), message="'move up' disabled on the first task")
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

    ed.click_node("source")                                   # the "+ code source" card
    ed.click("add-source")
    ed.type("source.repository", "https://git.example.com/app.git")
    wait_for(lambda: ed.labels("source")[0].endswith("/app.git\nbranch main"), message="the source card")     # cut to fit
    ed.click("delete-source")
    wait_for(lambda: ed.labels("source") == ["+ code source"], message="the empty source card")


def test_choosing_a_task_type_shows_exactly_its_fields(millrace, chrome):
    ed = Editor(chrome, f"{millrace.url}/pipelines/new")
    ed.click_node("add-task-3")
    Select(wait_for(lambda: ed.el(eid.field("stages[3].tasks[0].type")), message="the type")).select_by_visible_text(
        "deploy YAML")
    wait_for(lambda: ed.el(eid.field("stages[3].tasks[0].namespace")), message="the deploy YAML fields")
    fields = chrome.execute_script(
        "return [...document.querySelectorAll('#editor-panel [id^=\"{\"]')].map(e => JSON.parse(e.id))"
        ".filter(i => i.type === arguments[0]).map(i => i.path);", eid.FIELD)
    assert fields == [f"stages[3].tasks[0].{f}" for f in ("name", "type", "file", "cluster", "namespace")]
    assert ed.labels("task") == ["task-1\ndeploy YAML"]


def test_validation_errors_show_on_the_node_and_the_field_and_nothing_is_saved(millrace, chrome):
    ed = Editor(chrome, f"{millrace.url}/pipelines/new")
    ed.type("name", "needs-a-script")
    ed.click_node("add-task-2")
    ed.wait_tasks(["task-1"])
    wait_for(lambda: ed.el(eid.field("stages[2].tasks[0].script")), message="the task form")
    ed.el(eid.SAVE).click()
    wait_for(lambda: ed.el(eid.feedback("stages[2].tasks[0].script")).text == "required",
             message="'required' under the script field")
    assert "is-invalid" in ed.el(eid.field("stages[2].tasks[0].script")).get_attribute("class")
    wait_for(lambda: "invalid" in ed.node_classes("task-2-0"), message="the task card marked red")
    assert "task 'task-1' › Script: required" in ed.el(eid.PROBLEMS).text
    assert stored(millrace, "needs-a-script") is None

    ed.type("stages[2].tasks[0].script", "true")
    wait_for(lambda: "invalid" not in ed.node_classes("task-2-0"), message="the mark to clear")
    wait_for(lambda: "is-invalid" not in ed.el(eid.field("stages[2].tasks[0].script")).get_attribute("class"),
             message="the field's mark to clear (its own callback, after the card's)")
    ed.el(eid.SAVE).click()
    wait_for(lambda: stored(millrace, "needs-a-script"), message="the pipeline to be saved")

    ed = Editor(chrome, f"{millrace.url}/pipelines/new")         # no task at all: refused, on the first stage
    ed.type("name", "empty")
    ed.el(eid.SAVE).click()
    wait_for(lambda: "stage 'Source' › tasks: a pipeline needs at least one task" in ed.el(eid.PROBLEMS).text,
             message="the empty-pipeline problem")
    wait_for(lambda: "invalid" in ed.node_classes("stage-0"), message="the first stage marked red")
    assert stored(millrace, "empty") is None

    ed = Editor(chrome, f"{millrace.url}/pipelines/new")         # the same name again: refused, on the name
    ed.type("name", "needs-a-script")
    ed.click_node("add-task-2")                                  # (with a task: an empty pipeline is refused first)
    ed.wait_tasks(["task-1"])
    ed.type("stages[2].tasks[0].script", "true")
    ed.el(eid.SAVE).click()
    wait_for(lambda: "already exists" in ed.el(eid.feedback("name")).text, message="the taken name on its field")
    assert "is-invalid" in ed.el(eid.field("name")).get_attribute("class")
    assert stored(millrace, "needs-a-script")[1] == 1


def test_the_yaml_tab_shows_and_edits_the_same_definition(millrace, chrome):
    millrace.apply(SECRET_PIPELINE)
    pipeline_id, _, spec = stored(millrace, "yaml-edit")
    token = spec["stages"][0]["tasks"][0]["env"][0]["encrypted"]
    ed = Editor(chrome, f"{millrace.url}/pipelines/{pipeline_id}/edit")
    ed.wait_stages(["Build"])
    assert token not in chrome.page_source and "hunter2" not in chrome.page_source

    chrome.find_element(By.LINK_TEXT, "YAML").click()
    box = ed.el(eid.YAML)
    wait_for(lambda: "name: yaml-edit" in box.get_attribute("value"), message="the YAML text")
    text = box.get_attribute("value")
    assert token not in text and "secret: true" in text
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(text.replace("script: make", "script: make all") + "- name: Ship\n  tasks: []\n")
    chrome.find_element(By.LINK_TEXT, "Canvas").click()
    ed.wait_stages(["Build", "Ship"])
    wait_for(lambda: chrome.execute_script(                  # redrawn while hidden, yet fully in view
        "const b = cy.elements().renderedBoundingBox();"
        "return cy.width() > 0 && b.w > 200 && b.x1 >= 0 && b.x2 <= cy.width() && b.y1 >= 0 && b.y2 <= cy.height();"),
        message="the whole graph in view after the YAML tab")
    ed.click_node("stage-1")
    wait_for(lambda: ed.el(eid.field("stages[1].name")).get_attribute("value") == "Ship", message="the Ship stage form")

    chrome.find_element(By.LINK_TEXT, "YAML").click()
    wait_for(lambda: "name: Ship" in ed.el(eid.YAML).get_attribute("value"), message="the edit in the YAML text")
    ed.click("undo")                                          # undo rewrites the open YAML tab too
    wait_for(lambda: "name: Ship" not in ed.el(eid.YAML).get_attribute("value"), message="undo in the YAML text")
    ed.click("redo")
    wait_for(lambda: "name: Ship" in ed.el(eid.YAML).get_attribute("value"), message="redo in the YAML text")
    box = ed.el(eid.YAML)
    good = box.get_attribute("value")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys("stages: [oops")
    chrome.find_element(By.LINK_TEXT, "Canvas").click()          # refused: the tab stays, with the parser's words
    wait_for(lambda: "not valid YAML at line" in chrome.execute_script(
        "return document.getElementById(arguments[0]).textContent;", eid.YAML_ERROR), message="the YAML error")
    wait_for(lambda: ed.el(eid.YAML).is_displayed(), message="the YAML tab kept open")
    box = ed.el(eid.YAML)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(good)
    chrome.find_element(By.LINK_TEXT, "Canvas").click()
    ed.wait_stages(["Build", "Ship"])                         # bad YAML changed nothing

    ed.el(eid.SAVE).click()
    _, version, saved = wait_for(lambda: stored(millrace, "yaml-edit")[1] == 2 and stored(millrace, "yaml-edit"),
                                 message="version 2")
    assert [s["name"] for s in saved["stages"]] == ["Build", "Ship"]
    assert saved["stages"][0]["tasks"][0]["script"] == "make all"
    assert saved["stages"][0]["tasks"][0]["env"][0]["encrypted"] == token        # the secret was kept
