"""The canvas editor in Chinese, in a real browser: the reader chooses 中文 (`/lang/zh_CN`),
creates a pipeline on the canvas, adds a task with a long Chinese name, and saves it. The
cards, the side panel and the button bars speak Chinese; every card's label stays inside
its card (measured by cytoscape itself); what is stored is the same as in English (modes
and task types as codes). The browser is switched back to English afterwards, whatever
happens, so later tests read English.
"""
from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import Select, WebDriverWait

from dashboard import graph, ids
from dashboard.editor import ids as eid
from dashboard.editor.words import fit
from tests.browser.conftest import screenshot
from tests.browser.pages import Page
from tests.browser.test_editor import Editor, stored
from tests.conftest import WAIT_SECONDS, wait_for

pytestmark = pytest.mark.slow

LONG_NAME = "构建并发布前端应用的生产环境镜像以及全部静态资源"


def choose_language(chrome, millrace, code, then="/"):
    chrome.get(f"{millrace.url}/lang/{code}?next={then}")


def overflowing(chrome) -> list:
    """The stage and task cards whose label cytoscape drew wider or taller than the card."""
    return chrome.execute_script(
        "return cy.nodes('.stage, .task').filter(n => {"
        "  const label = n.boundingBox({includeNodes: false, includeEdges: false, includeLabels: true});"
        "  return label.w > n.width() + 1 || label.h > n.height() + 1;"
        "}).map(n => n.data('label'));")


def panel_text(ed) -> str:
    return ed.el(eid.PANEL).text


def test_a_chinese_reader_creates_a_pipeline_on_the_canvas_and_saves_it(millrace, chrome):
    try:
        choose_language(chrome, millrace, "zh_CN")
        ed = Editor(chrome, f"{millrace.url}/pipelines/new")
        ed.wait_labels("stage", ["Source\n串行", "Build\n串行", "Test\n串行", "Deploy\n串行"])   # names stay as written
        assert ed.labels("source") == ["+ 代码源"] and ed.labels("add-task") == ["+ 任务"] * 4
        wait_for(lambda: "流水线设置" in panel_text(ed), message="the pipeline settings panel in Chinese")
        wait_for(lambda: (ed.el(eid.CANVAS).get_attribute("aria-label") or "").startswith("流水线画布"),
                 message="the canvas named in Chinese for screen readers")
        for label in ("描述", "运行位置", "单击画布上的卡片进行编辑"):
            assert label in panel_text(ed)

        ed.type("name", "zh-editor")
        ed.click_node("add-task-1")                               # the "+ 任务" card under Build
        ed.wait_tasks(["task-1"])
        wait_for(lambda: ed.el(eid.field("stages[1].tasks[0].script")), message="the task form")
        assert ed.labels("task") == ["task-1\n运行脚本"]
        kind = Select(ed.el(eid.field("stages[1].tasks[0].type")))
        assert kind.first_selected_option.text == "运行脚本" and kind.first_selected_option.get_attribute("value") == "script"
        for label in ("阶段“Build”中的任务", "任务名称", "类型", "镜像", "脚本", "环境变量"):
            assert label in panel_text(ed)
        assert ed.el(eid.op("copy-task")).text == "复制任务" and ed.el(eid.op("delete-task")).text == "删除任务"
        ed.type("stages[1].tasks[0].name", LONG_NAME)
        ed.type("stages[1].tasks[0].script", "echo 你好")
        wait_for(lambda: (ed.labels("task") or [""])[0].endswith("…\n运行脚本"), message="the long name cut on its card")
        assert overflowing(chrome) == []
        Page(chrome, millrace.url).click("nav a[href='/pipelines']")                 # unsaved: asked in Chinese
        question = WebDriverWait(chrome, WAIT_SECONDS).until(lambda d: d.switch_to.alert)
        assert question.text == "此流水线有未保存的修改。离开编辑器并放弃这些修改吗?"
        question.dismiss()
        assert chrome.current_url.endswith("/pipelines/new")

        ed.click_node("stage-3")
        wait_for(lambda: ed.el(eid.op("copy-stage")).is_displayed(), message="the stage buttons")
        assert ed.el(eid.op("copy-stage")).text == "复制阶段" and ed.el(eid.op("add-stage-after")).text == "+ 在后面添加阶段"
        Select(wait_for(lambda: ed.el(eid.field("stages[3].mode")), message="the stage form")).select_by_visible_text(
            "并行 — 同时执行")
        wait_for(lambda: ed.labels("stage")[3] == "Deploy\n并行", message="the stage card showing 并行")
        ed.click_node("add-task-3")
        ed.wait_tasks([fit(LONG_NAME, graph.TASK_CELLS), "task-1"])
        assert overflowing(chrome) == []
        screenshot(chrome, "editor_zh_CN")

        ed.el(eid.SAVE).click()                  # the new task has no script yet: refused, said in Chinese
        wait_for(lambda: "请先修正 1 个问题再保存" in ed.el(eid.PROBLEMS).text, message="the problems in Chinese")
        assert "阶段“Deploy” › 任务“task-1” › 脚本" in ed.el(eid.PROBLEMS).text
        assert stored(millrace, "zh-editor") is None
        ed.type("stages[3].tasks[0].script", "true")
        wait_for(lambda: not ed.el(eid.PROBLEMS).text, message="the problem to clear")
        ed.el(eid.SAVE).click()
        wait_for(lambda: "已保存流水线“zh-editor”(版本 1)。" in chrome.find_element("id", ids.FEEDBACK).text,
                 message=lambda: f"the saved message in Chinese (feedback: {chrome.find_element('id', ids.FEEDBACK).text!r},"
                                 f" problems: {ed.el(eid.PROBLEMS).text!r}, at {chrome.current_url})")
        _, version, spec = wait_for(lambda: stored(millrace, "zh-editor"), message="the stored pipeline")
        build, deploy = spec["stages"][1], spec["stages"][3]
        assert (version, build["mode"], build["tasks"][0]["type"], build["tasks"][0]["name"]) == (
            1, "serial", "script", LONG_NAME)
        assert (deploy["mode"], deploy["tasks"][0]["type"]) == ("parallel", "script")   # stored as codes, not words
    finally:
        choose_language(chrome, millrace, "en")


def test_back_in_english_the_editor_speaks_english(millrace, chrome):
    choose_language(chrome, millrace, "en")
    ed = Editor(chrome, f"{millrace.url}/pipelines/new")
    ed.wait_labels("stage", ["Source\nserial", "Build\nserial", "Test\nserial", "Deploy\nserial"])
    wait_for(lambda: "Pipeline settings" in panel_text(ed), message="the English settings panel")
