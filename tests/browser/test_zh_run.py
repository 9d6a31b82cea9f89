"""A run read in Chinese, in headless Chromium against a real dashboard and daemon: the
reader picks 中文 (`/lang/zh_CN`), runs a pipeline whose script fails from the list, opens
its run page and finds the failure reason in Chinese (recorded by the daemon as English
text plus its message) beside the Chinese log-panel controls; the pipeline page's trigger
rules dialog is Chinese too. The browser is switched back to English whatever happens
(the browser is the session's, shared by the other browser tests).
"""
from __future__ import annotations

import pytest

from dashboard import ids
from models import i18n
from tests.browser.conftest import screenshot
from tests.browser.pages import Page
from tests.conftest import wait_for

pytestmark = pytest.mark.slow

FAILING = """
name: zh-fails
stages:
- name: Build
  tasks:
  - name: compile
    type: script
    image: busybox
    script: echo 正在构建; exit 3
"""


@pytest.fixture(scope="module")
def page(millrace, chrome):
    millrace.apply(FAILING)
    page = Page(chrome, millrace.url)
    try:
        yield page
    finally:
        chrome.get(millrace.url + "/lang/en?next=/pipelines")       # the next test reads English again


def test_a_failed_run_and_the_trigger_rules_read_in_chinese(page, daemon):
    page.driver.get(page.base + "/lang/zh_CN?next=/pipelines")
    page.css(page.row("zh-fails"))
    page.row_action("zh-fails", "run")                   # no parameters: one click queues the run
    page.feedback("zh-fails#1 已排队。")
    wait_for(lambda: page.all(f'{page.row("zh-fails")} a[href$="/runs/1"]'), message="the run's link in the list")
    run_href = page.css(f'{page.row("zh-fails")} a[href$="/runs/1"]').get_attribute("href")
    page.open(run_href[len(page.base):])

    # The reason the daemon stored ("exit code 3" and its message) in the reader's language.
    reason = i18n.Msg("exit code {code}", code=3).render("zh_CN")
    assert reason != "exit code 3"
    title = page.wait_text(f"#{ids.LOG_TITLE}", reason, timeout=120)
    assert "Build / compile" in title and "exit code" not in title
    page.wait_text(f"#{ids.LOG_LINES}", "正在构建")       # the task's own output, as it printed it
    assert page.by_id(ids.LOG_DOWNLOAD).text == "下载完整日志"
    assert page.by_id(ids.LOG_EARLIER).text == "上一页" and page.by_id(ids.LOG_TAIL).text == "最新"
    assert page.by_id(ids.LOG_SEARCH).get_attribute("placeholder") == "搜索日志"
    assert page.by_id(ids.LOG_SEARCH_GO).text == "查找"
    page.wait_text(f"#{ids.LOG_RANGE}", "共")               # "第 1–1 行，共 1 行"
    screenshot(page.driver, "run_zh_CN")

    page.fill(ids.LOG_SEARCH, "nothing-like-this")
    page.click(f"#{ids.LOG_SEARCH_GO}")
    page.wait_text(f"#{ids.LOG_SEARCH_INFO}", "没有包含“nothing-like-this”的行。")

    # The pipeline page's trigger rules dialog.
    page.open("/pipelines", ready=page.row("zh-fails"))
    detail = page.css(f"{page.row('zh-fails')} a.pipeline-name").get_attribute("href")
    page.open(detail[len(page.base):], ready=f"#{ids.TRIG_OPEN}")
    page.wait_text(f"#{ids.TRIG_OPEN}", "编辑触发规则")
    page.click(f"#{ids.TRIG_OPEN}")
    page.wait_text(f"#{ids.TRIG_TITLE}", "zh-fails 的触发规则")
    dialog = page.wait_text(f"#{ids.TRIG_DIALOG}", "定时触发")
    for words in ("事件触发", "生成新密钥", "移除定时触发", "守护进程停止期间错过的触发", "无定时触发。"):
        assert words in dialog, words
    assert page.by_id(ids.TRIG_SAVE).text == "保存" and page.by_id(ids.TRIG_CANCEL).text == "关闭"
    assert "服务器时区" in page.by_id(ids.TRIG_TZ).get_attribute("placeholder")
    page.fill(ids.TRIG_RULE, "daily at 09:30")
    page.wait_text(f"#{ids.TRIG_PREVIEW}", "接下来的触发时间：")
    page.click(f"#{ids.TRIG_CANCEL}")
    wait_for(lambda: not page.all(f".modal.show #{ids.TRIG_SAVE}"), message="the trigger dialog to close")
