"""The run page's record of a deleted pipeline, the list's filters in the address, and both
pages in a 500 px wide window (issue 12: defect 2, URL state, narrow windows).

Defect 2 is reproduced as a user met it: a run page opened before its pipeline was
deleted (by the CLI) still shows Re-run; pressing it must queue nothing and say why.
"""
from __future__ import annotations

import sqlite3

import pytest

from dashboard import ids
from tests.browser.pages import Page
from tests.conftest import wait_for

pytestmark = pytest.mark.slow

QUICK = """
name: NAME
stages:
- name: Build
  tasks:
  - name: hello
    type: script
    image: busybox
    script: echo hello from NAME
"""


@pytest.fixture(scope="module")
def page(millrace, chrome):
    for name in ("doomed", "narrow-a", "narrow-b"):
        millrace.apply(QUICK.replace("NAME", name))
    return Page(chrome, millrace.url)


def run_count(millrace, name: str) -> int:
    with sqlite3.connect(millrace.home / "millrace.db") as db:
        return db.execute("SELECT count(*) FROM run JOIN pipeline ON pipeline.id = run.pipeline_id "
                          "WHERE pipeline.name = ?", (name,)).fetchone()[0]


def run_path(page, name: str) -> str:
    page.open("/pipelines", ready=page.row(name))
    href = page.css(f'{page.row(name)} a[href$="/runs/1"]').get_attribute("href")
    return href[len(page.base):]


def test_a_deleted_pipelines_run_cannot_be_rerun(page, daemon, millrace):
    millrace.cli("run", "doomed", "--wait")
    path = run_path(page, "doomed")
    page.open(path)
    page.wait_text(f"#{ids.RUN_STATUS}", "succeeded")
    page.css('button[data-action="rerun"]')
    millrace.cli("delete", "doomed", "--yes")          # meanwhile, in a terminal
    page.click('button[data-action="rerun"]')          # the page opened before the delete
    page.dialog_open("Re-run doomed#1")
    page.confirm()
    page.wait_text(f"#{ids.DIALOG_ERROR}", "was deleted")
    assert run_count(millrace, "doomed") == 1           # nothing queued
    page.click(f"#{ids.DIALOG_CANCEL}")
    page.dialog_closed()
    # Opened now, the page has no Re-run and says the run is a read-only record; its log still reads.
    page.open(path)
    page.wait_text(".run-archived", "Pipeline deleted")
    assert not page.all('button[data-action="rerun"]')
    page.wait_text(f"#{ids.LOG_LINES}", "hello from doomed")


def test_the_list_filters_live_in_the_address(page):
    page.open("/pipelines", ready=page.row("narrow-a"))
    page.fill(ids.LIST_SEARCH, "narrow")
    page.choose(ids.LIST_STATUS, "never run")
    wait_for(lambda: {r.get_attribute("data-pipeline") for r in page.all("tr[data-pipeline]")} ==
             {"narrow-a", "narrow-b"}, message="the two never-run 'narrow' pipelines")
    wait_for(lambda: "search=narrow" in page.driver.current_url and "status=never" in page.driver.current_url,
             message=lambda: f"the filters in the address (is {page.driver.current_url})")
    page.driver.refresh()
    page.css(page.row("narrow-a"))
    assert {r.get_attribute("data-pipeline") for r in page.all("tr[data-pipeline]")} == {"narrow-a", "narrow-b"}
    assert page.by_id(ids.LIST_SEARCH).get_attribute("value") == "narrow"


def overflow(driver) -> dict:
    """How far the page and the main table reach past their boxes, in px (0 = fits)."""
    return driver.execute_script("""
        var doc = document.documentElement, table = document.querySelector('table');
        var box = table ? table.parentElement : null;
        return {page: doc.scrollWidth - doc.clientWidth,
                table: table ? Math.max(0, table.scrollWidth - box.clientWidth) : 0};""")


def test_the_list_and_run_pages_at_500px(page, daemon, millrace):
    millrace.cli("run", "narrow-a", "--wait")
    driver = page.driver
    driver.set_window_size(500, 900)
    try:
        page.open("/pipelines", ready=page.row("narrow-a"))
        assert overflow(driver) == {"page": 0, "table": 0}
        # The navbar folds behind its toggler; the links are one click away.
        assert not page.css(f'#{ids.NAV_COLLAPSE} a[href="/settings"]').is_displayed()
        page.click(f"#{ids.NAV_TOGGLER}")
        wait_for(lambda: page.css(f'#{ids.NAV_COLLAPSE} a[href="/settings"]').is_displayed(),
                 message="the navbar's links after the toggler")
        path = "/pipelines?search=narrow"
        page.open(path, ready=page.row("narrow-b"))
        screenshot_500(driver, "pipelines-500px")
        # Every action of a row is reachable: Run, Stop and the More menu are shown and answer.
        for action in ("run", "stop"):
            assert page.css(f'{page.row("narrow-b")} button[data-action="{action}"]').is_displayed()
        page.more(page.row("narrow-b"), "Advanced settings")
        page.dialog_open("Advanced settings of narrow-b")
        page.click(f"#{ids.DIALOG_CANCEL}")
        page.dialog_closed()
        page.row_action("narrow-b", "run")             # no parameters, deploys nothing: one click runs it
        page.feedback("Queued narrow-b#1.")
        # The run page: Re-run, the task list, the log's controls and its text, without sideways scrolling.
        page.open(run_path(page, "narrow-a"))
        page.wait_text(f"#{ids.LOG_LINES}", "hello from narrow-a")
        assert overflow(driver)["page"] == 0
        for selector in ('button[data-action="rerun"]', f"#{ids.LOG_EARLIER}", f"#{ids.LOG_SEARCH}",
                         f"#{ids.LOG_DOWNLOAD}", "a.run-log-download", ".task-pick"):
            element = page.css(selector)
            driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element)
            assert element.is_displayed(), selector
            rect = element.rect
            assert rect["x"] >= 0 and rect["x"] + rect["width"] <= 500, (selector, rect)
    finally:
        driver.set_window_size(1400, 1000)


def screenshot_500(driver, name: str) -> None:
    from tests.browser.conftest import SCREENSHOTS
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
