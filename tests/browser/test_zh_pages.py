"""The dashboard in Chinese in a real browser (issue 13): the navbar's switcher sets the
language for the browser, the pipelines list, a pipeline page, the settings page and the
clusters page show their headings and buttons in Chinese (the glossary's terms), the
switcher works in a 500 px window with the navbar collapsed and returns to the page shown,
in English again. The browser is shared with later tests: English is restored in a finally.
"""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from dashboard import ids
from tests.browser.conftest import screenshot
from tests.browser.pages import Page
from tests.conftest import wait_for

pytestmark = pytest.mark.slow

QUICK = """
name: zh-pages
stages:
- name: Build
  tasks:
  - name: hello
    type: script
    image: busybox
    script: echo hello
"""


@pytest.fixture(scope="module")
def page(millrace, chrome):
    millrace.apply(QUICK)
    return Page(chrome, millrace.url)


def switcher(page, code: str):
    return page.css(f'#{ids.NAV_COLLAPSE} a.language-choice[href^="/lang/{code}?"]')


def test_the_pages_in_chinese_and_back_to_english(page):
    driver = page.driver
    try:
        driver.get(page.base + "/lang/zh_CN?next=/pipelines")
        page.wait_text("#_pages_content h2", "流水线")
        wait_for(lambda: driver.title == "流水线列表 · Millrace", message=lambda: f"the Chinese title ({driver.title!r})")
        assert driver.current_url.endswith("/pipelines")            # the switcher came back to the page
        assert switcher(page, "zh_CN").get_attribute("aria-current") == "true"
        assert switcher(page, "en").text == "English" and switcher(page, "zh_CN").text == "中文"
        wait_for(lambda: driver.execute_script("return document.documentElement.lang") == "zh-CN",
                 message="<html lang=zh-CN> (Chinese glyphs)")
        page.wait_text(f"#{ids.LIST_CREATE_MENU}", "创建流水线")
        row = page.row("zh-pages")
        assert page.css(f'{row} button[data-action="run"]').text == "执行"
        assert page.css(f'{row} button[data-action="stop"]').text == "停止"
        assert "从未执行" in page.text_of(row) and "更多" in page.text_of(row)
        nav = page.text_of(f"#{ids.NAV_COLLAPSE}")
        assert all(word in nav for word in ("流水线", "发布", "集群", "代码仓库", "设置"))
        screenshot(driver, "pipelines_zh_CN")

        page.click(f'{row} a.pipeline-name')                          # the pipeline page, by the app's own link
        page.wait_text("#_pages_content", "基本信息")
        shown = page.text_of("#_pages_content")
        for words in ("高级设置", "运行记录", "流水线图", "编辑", "代码源"):
            assert words in shown, words
        assert page.css('#_pages_content button[data-action="run"]').text == "执行"
        wait_for(lambda: driver.title == "zh-pages · Millrace", message="the pipeline's title")

        page.open("/settings")
        page.wait_text("#_pages_content h2", "设置")
        shown = page.text_of("#_pages_content")
        for words in ("镜像仓库", "添加镜像仓库", "应用模板仓库", "守护进程", "保存守护进程设置", "任务槽"):
            assert words in shown, words
        assert page.by_id(ids.REGISTRY_ADD).text == "添加镜像仓库"

        page.click(f'#{ids.NAV_COLLAPSE} a[href="/clusters"]')          # moving inside the app, no reload
        page.wait_text("#_pages_content h2", "集群")
        assert page.by_id(ids.CLUSTER_ADD).text == "添加集群"
        assert "本地执行" in page.text_of("#_pages_content")
        # the switcher's way back names the page now shown (kept current as the reader moves)
        wait_for(lambda: "next=%2Fclusters" in switcher(page, "en").get_attribute("href"),
                 message=lambda: f"next=/clusters in {switcher(page, 'en').get_attribute('href')}")

        driver.set_window_size(500, 900)                              # the navbar folds behind its toggler
        assert not switcher(page, "en").is_displayed()
        page.click(f"#{ids.NAV_TOGGLER}")
        wait_for(lambda: switcher(page, "en").is_displayed(), message="the switcher in the opened navbar")
        switcher(page, "en").click()
        page.wait_text("#_pages_content h2", "Clusters")
        assert driver.current_url.endswith("/clusters")
        assert page.by_id(ids.CLUSTER_ADD).text == "Add cluster"
        assert "集群" not in page.text_of("#_pages_content")
        assert switcher(page, "en").get_attribute("aria-current") == "true"
        wait_for(lambda: driver.execute_script("return document.documentElement.lang") == "en", message="<html lang=en>")
    finally:
        driver.set_window_size(1400, 1000)
        driver.get(page.base + "/lang/en?next=/pipelines")             # later tests read English
        wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#_pages_content > *"), message="English again")
