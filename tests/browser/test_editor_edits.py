"""Edits that are never lost, in a real browser against the real dashboard and CLI (issue 12):
a save after a CLI `apply` offers reload or a diff and overwrite; an unchanged save stores
nothing; invalid YAML keeps its tab and is never replaced by the older definition at save;
Esc or a tap on the empty canvas shows the pipeline's settings; unsaved edits make the
browser ask before leaving; undo/redo from the keyboard; Tab reaches the canvas; a typed
secret never shows in clear in the YAML tab.

Helpers (Editor, stored) are test_editor.py's; what was stored is read from SQLite, read-only.
"""
from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import ids
from dashboard.editor import ids as eid
from dashboard.editor.yaml_text import MASK
from tests.browser.conftest import screenshot
from tests.browser.test_editor import Editor, stored
from tests.conftest import WAIT_SECONDS, wait_for

pytestmark = pytest.mark.slow


def definition(name, description="", script="make"):
    return f"""
name: {name}
description: {description or '""'}
stages:
- name: Build
  tasks:
  - name: compile
    type: script
    image: alpine
    script: {script}
"""


def open_editor(millrace, chrome, name, text=None):
    millrace.apply(text or definition(name))
    pipeline_id = stored(millrace, name)[0]
    ed = Editor(chrome, f"{millrace.url}/pipelines/{pipeline_id}/edit")
    ed.wait_stages(["Build"])
    return ed, pipeline_id


def panel_shows_settings(ed):
    return ed.d.execute_script("return !!document.querySelector('#editor-panel h5') && "
                               "document.querySelector('#editor-panel h5').textContent === 'Pipeline settings';")


def yaml_error(chrome):
    return chrome.execute_script("return document.getElementById(arguments[0]).textContent;", eid.YAML_ERROR)


def test_a_save_after_a_cli_apply_offers_reload_or_a_diff_and_overwrite(millrace, chrome):
    ed, pipeline_id = open_editor(millrace, chrome, "contested")
    ed.type("description", "from the browser")
    millrace.apply(definition("contested", "from the CLI"))                     # version 2, meanwhile
    ed.el(eid.SAVE).click()
    wait_for(lambda: "Version 2 was saved by tester" in ed.el(eid.CONFLICT_TEXT).text, message="the conflict dialog")
    assert stored(millrace, "contested")[1] == 2                                # nothing saved
    chrome.find_element(By.ID, eid.CONFLICT_SHOW_DIFF).click()
    table = wait_for(lambda: chrome.find_element(By.ID, "editor-conflict-table").is_displayed()
                     and chrome.find_element(By.ID, "editor-conflict-table"), message="the diff")
    wait_for(lambda: "from the CLI" in table.text and "from the browser" in table.text, message="both sides")
    assert table.find_elements(By.CSS_SELECTOR, "td.diff-del") and table.find_elements(By.CSS_SELECTOR, "td.diff-add")
    screenshot(chrome, "editor-conflict")
    chrome.find_element(By.ID, eid.CONFLICT_OVERWRITE).click()
    wait_for(lambda: chrome.current_url.endswith(f"/pipelines/{pipeline_id}"), message="the pipeline page")
    _, version, spec = stored(millrace, "contested")
    assert (version, spec["description"]) == (3, "from the browser")

    ed = Editor(chrome, f"{millrace.url}/pipelines/{pipeline_id}/edit")         # and now: reload instead
    ed.type("description", "lost on purpose")
    millrace.apply(definition("contested", "the CLI again"))                    # version 4
    ed.el(eid.SAVE).click()
    wait_for(lambda: "Version 4 was saved by tester" in ed.el(eid.CONFLICT_TEXT).text, message="the conflict dialog")
    chrome.find_element(By.ID, eid.CONFLICT_RELOAD).click()
    wait_for(lambda: ed.el(eid.field("description")).get_attribute("value") == "the CLI again",
             message="the stored version in the editor")
    wait_for(lambda: not chrome.find_elements(By.CSS_SELECTOR, f"#{eid.CONFLICT_MODAL}.show"), message="closed")
    ed.type("description", "after the reload")
    ed.el(eid.SAVE).click()                                                     # based on version 4 now
    wait_for(lambda: stored(millrace, "contested")[1] == 5, message="version 5")
    assert stored(millrace, "contested")[2]["description"] == "after the reload"

    ed = Editor(chrome, f"{millrace.url}/pipelines/{pipeline_id}/edit")         # "Save and run", then overwrite:
    ed.type("description", "run it")                                           # the run asked for starts too
    millrace.apply(definition("contested", "the CLI a third time"))             # version 6
    ed.el(eid.SAVE_RUN).click()
    wait_for(lambda: "Version 6 was saved by tester" in ed.el(eid.CONFLICT_TEXT).text, message="the conflict dialog")
    chrome.find_element(By.ID, eid.CONFLICT_OVERWRITE).click()
    wait_for(lambda: f"/pipelines/{pipeline_id}/runs/" in chrome.current_url, message="the new run's page")
    _, version, spec = stored(millrace, "contested")
    assert (version, spec["description"]) == (7, "run it")


def test_saving_an_unchanged_pipeline_stores_no_version_and_says_so(millrace, chrome):
    ed, pipeline_id = open_editor(millrace, chrome, "unchanged")
    ed.el(eid.SAVE).click()
    wait_for(lambda: "Nothing changed" in chrome.find_element(By.ID, ids.FEEDBACK).text, message="the message")
    assert "stays at version 1" in chrome.find_element(By.ID, ids.FEEDBACK).text
    assert stored(millrace, "unchanged")[1] == 1


def test_invalid_yaml_keeps_its_tab_and_save_never_stores_the_older_definition(millrace, chrome):
    ed, _ = open_editor(millrace, chrome, "yaml-guard")
    ed.type("description", "edited on the canvas")                      # the working definition differs from v1
    chrome.find_element(By.LINK_TEXT, "YAML").click()
    wait_for(lambda: "edited on the canvas" in ed.el(eid.YAML).get_attribute("value"), message="the YAML text")
    good = ed.el(eid.YAML).get_attribute("value")
    box = ed.el(eid.YAML)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(good.replace("- name: Build", "- name: [Build"))       # not YAML any more
    chrome.find_element(By.LINK_TEXT, "Canvas").click()
    wait_for(lambda: "not valid YAML at line" in yaml_error(chrome) and "column" in yaml_error(chrome),
             message=lambda: f"the parser's message (have {yaml_error(chrome)!r})")
    wait_for(lambda: ed.el(eid.YAML).is_displayed(), message="the YAML tab still open")
    assert chrome.execute_script("return document.querySelector('.nav-tabs .active').textContent;") == "YAML"
    ed.el(eid.SAVE).click()
    wait_for(lambda: "nothing was applied" in yaml_error(chrome), message="the save refused with the reason")
    box = ed.el(eid.YAML)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(good.replace("edited on the canvas", "fixed in the text"))
    chrome.find_element(By.LINK_TEXT, "Canvas").click()
    wait_for(lambda: ed.labels("stage") and ed.el(eid.field("description")).get_attribute("value") == "fixed in the text",
             message="the canvas with the fixed text")
    ed.el(eid.SAVE).click()
    wait_for(lambda: stored(millrace, "yaml-guard")[1] == 2, message="version 2")
    assert stored(millrace, "yaml-guard")[2]["description"] == "fixed in the text"   # the first save stored nothing


def test_esc_and_a_tap_on_the_empty_canvas_show_the_pipeline_settings(millrace, chrome):
    ed, _ = open_editor(millrace, chrome, "settings-back")
    ed.click_node("task-0-0")
    wait_for(lambda: ed.el(eid.field("stages[0].tasks[0].script")), message="the task form")
    ActionChains(chrome).send_keys(Keys.ESCAPE).perform()
    wait_for(lambda: panel_shows_settings(ed), message="the pipeline settings after Esc")
    ed.click_node("stage-0")
    wait_for(lambda: ed.el(eid.field("stages[0].name")), message="the stage form")
    container = chrome.execute_script("return cy.container();")
    size = chrome.execute_script("const r = cy.container().getBoundingClientRect(); return [r.width, r.height];")
    assert chrome.execute_script("const n = cy.nodes().filter(n => { const b = n.renderedBoundingBox();"
                                 " return b.x2 > arguments[0] - 20 && b.y2 > arguments[1] - 20; }); return n.length;",
                                 size[0], size[1]) == 0                    # the corner is empty canvas
    ActionChains(chrome).move_to_element_with_offset(container, int(size[0] / 2 - 10), int(size[1] / 2 - 10)).click().perform()
    wait_for(lambda: panel_shows_settings(ed), message="the pipeline settings after a tap on the empty canvas")


def test_unsaved_edits_make_the_browser_ask_before_leaving(millrace, chrome):
    ed, _ = open_editor(millrace, chrome, "leaving")
    asks = "const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e); return e.defaultPrevented;"
    assert chrome.execute_script(asks) is False                             # nothing to lose yet
    ed.type("description", "not saved")
    wait_for(lambda: chrome.execute_script(asks) is True, message="beforeunload to ask")
    chrome.find_element(By.CSS_SELECTOR, "nav a[href='/pipelines']").click()   # a link inside the app
    WebDriverWait(chrome, WAIT_SECONDS).until(lambda d: d.switch_to.alert).dismiss()
    assert chrome.current_url.endswith("/edit")
    wait_for(lambda: ed.el(eid.field("description")).get_attribute("value") == "not saved", message="the edit kept")
    chrome.find_element(By.CSS_SELECTOR, "nav a[href='/pipelines']").click()
    WebDriverWait(chrome, WAIT_SECONDS).until(lambda d: d.switch_to.alert).accept()
    wait_for(lambda: chrome.current_url.endswith("/pipelines"), message="the list")
    wait_for(lambda: chrome.execute_script(asks) is False, message="no question once the editor is gone")


def test_undo_and_redo_from_the_keyboard_and_tab_reaches_the_canvas(millrace, chrome):
    ed, _ = open_editor(millrace, chrome, "keys")
    ed.click_node("stage-0")
    ed.click("add-stage-after")
    ed.wait_stages(["Build", "Stage 2"])
    chrome.execute_script("document.activeElement.blur();")
    ActionChains(chrome).key_down(Keys.CONTROL).send_keys("z").key_up(Keys.CONTROL).perform()
    ed.wait_stages(["Build"])
    ActionChains(chrome).key_down(Keys.CONTROL).key_down(Keys.SHIFT).send_keys("z").key_up(Keys.SHIFT) \
        .key_up(Keys.CONTROL).perform()
    ed.wait_stages(["Build", "Stage 2"])

    chrome.execute_script("document.querySelector('#editor-tabs .nav-link').focus();")      # the Canvas tab
    reached = []
    for _ in range(5):
        ActionChains(chrome).send_keys(Keys.TAB).perform()
        reached.append(chrome.execute_script("const el = document.activeElement;"
                                             "return el.classList.contains('nav-link') ? el.textContent : el.id;"))
        if reached[-1] == eid.CANVAS:
            break
    assert reached[-1] == eid.CANVAS and "YAML" in reached, reached
    chrome.execute_script("document.querySelectorAll('#editor-tabs .nav-link')[1].focus();")
    ActionChains(chrome).send_keys(Keys.ENTER).perform()                        # Enter opens the YAML tab
    wait_for(lambda: ed.el(eid.YAML).is_displayed(), message="the YAML tab from the keyboard")
    chrome.execute_script("document.querySelector('#editor-tabs .nav-link').click();")
    ActionChains(chrome).send_keys(Keys.ESCAPE).perform()                     # the canvas has the keyboard
    wait_for(lambda: panel_shows_settings(ed), message="the settings after Esc on the canvas")


def test_a_typed_secret_never_shows_in_clear_in_the_yaml_tab(millrace, chrome):
    ed, _ = open_editor(millrace, chrome, "typed-secret")
    ed.click_node("task-0-0")
    ed.click("add-env")
    ed.type("stages[0].tasks[0].env[0].name", "TOKEN")
    toggle = wait_for(lambda: ed.el({"type": eid.TOGGLE, "path": "stages[0].tasks[0].env[0].secret", "rev": -1}),
                      message="the secret switch")
    chrome.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", toggle)
    toggle.click()
    wait_for(lambda: ed.el(eid.field("stages[0].tasks[0].env[0].value")).get_attribute("type") == "password",
             message="a password field")
    ed.type("stages[0].tasks[0].env[0].value", "very-secret-value")
    chrome.execute_script("window.scrollTo({top: 0, behavior: 'instant'});")      # the form scrolled the page
    chrome.find_element(By.LINK_TEXT, "YAML").click()
    wait_for(lambda: "TOKEN" in ed.el(eid.YAML).get_attribute("value"), message="the YAML text")
    text = ed.el(eid.YAML).get_attribute("value")
    assert "very-secret-value" not in text and MASK in text
    chrome.find_element(By.LINK_TEXT, "Canvas").click()
    ed.el(eid.SAVE).click()
    wait_for(lambda: stored(millrace, "typed-secret")[1] == 2, message="version 2")
    env = stored(millrace, "typed-secret")[2]["stages"][0]["tasks"][0]["env"][0]
    assert env["secret"] and env["encrypted"] and "value" not in env            # the typed value, sealed


def test_the_code_source_card_label_stays_inside_its_card(millrace, chrome):
    text = definition("long-source").replace("stages:", "source:\n  repository: https://git.example.com/"
                                             "a-team/a-rather-long-repository-name.git\n"
                                             "  branch: feature/a-very-long-branch-name\nstages:")
    ed, _ = open_editor(millrace, chrome, "long-source", text)
    inside = ("const n = cy.getElementById('source'), box = n.boundingBox({includeLabels: false}),"
              " label = n.boundingBox({includeNodes: false, includeLabels: true});"
              "return [label.x1 >= box.x1, label.x2 <= box.x2, label.y1 >= box.y1, label.y2 <= box.y2,"
              " n.data('label')];")
    found = wait_for(lambda: chrome.execute_script(inside), message="the source card")
    assert found[:4] == [True, True, True, True], found
    assert found[4].startswith("…") and "branch" in found[4]


def test_the_name_field_follows_undo_and_the_yaml_tab_and_keeps_what_was_typed(millrace, chrome):
    """Only what renames otherwise than typing writes the name field: a panel rebuild (a tap on
    a card) once wrote back the stored name, which lags the field by the keystrokes still on
    their way, and erased a name just typed (test_a_newcomer_… under load)."""
    ed, _ = open_editor(millrace, chrome, "named")
    name = lambda: ed.el(eid.field("name")).get_attribute("value")        # noqa: E731
    ed.type("name", "renamed-once")
    ed.click_node("stage-0")                                             # the panel is rebuilt
    wait_for(lambda: ed.el(eid.field("stages[0].name")), message="the stage form")
    assert name() == "renamed-once"
    ed.click("undo")
    wait_for(lambda: name() == "named", message=lambda: f"the name undone (have {name()!r})")
    ed.click("redo")
    wait_for(lambda: name() == "renamed-once", message=lambda: f"the name redone (have {name()!r})")
    chrome.find_element(By.LINK_TEXT, "YAML").click()
    wait_for(lambda: "name: renamed-once" in ed.el(eid.YAML).get_attribute("value"), message="the YAML text")
    box = ed.el(eid.YAML)
    text = box.get_attribute("value")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(text.replace("name: renamed-once", "name: renamed-in-yaml", 1))
    chrome.find_element(By.LINK_TEXT, "Canvas").click()
    wait_for(lambda: name() == "renamed-in-yaml", message=lambda: f"the name from the YAML tab (have {name()!r})")
