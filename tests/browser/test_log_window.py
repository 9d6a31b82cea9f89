"""The run page's log as a window on a log of any size (issue 12, defect 6).

A 1,000,000-line log opens at its tail and pages backwards five times, each page
replacing the one shown (the DOM holds one window, never a growing list); a link to a
task and a line (`…/runs/1?task=flood#L340`) opens that window with the line
highlighted, and survives a reload; a search runs on the server and jumps from match to
match, writing the match's line into the address. The log is stored straight through
models.logs (as the shipper stores it: 5,000-line chunks), not by running a task, so the
test spends its time in the browser. Times are the bench's business (bench/browser_log.py).
"""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from dashboard import ids
from dashboard.runlog.panel import PAGE
from tests.browser.conftest import screenshot
from tests.browser.pages import Page
from tests.conftest import wait_for

pytestmark = pytest.mark.slow

LINES = 1_000_000
NEEDLE_AT = (340, 123_456, 777_777)      # the only lines that say "needle"

BIGLOG = """
name: biglog
stages:
- name: Build
  tasks:
  - name: small
    type: script
    image: busybox
    script: echo small
  - name: flood
    type: script
    image: busybox
    script: echo flood
"""


def store_big_run(home) -> None:
    """Run #1 of `biglog`, finished, with a 10-line `small` and a 1,000,000-line `flood` task."""
    from models import home as home_mod, logs, pipelines
    from models.db import database, utcnow, write_transaction
    from models.tables import Pipeline, Run, StageRun, TaskRun
    home_mod.open_home(home)
    try:
        p = Pipeline.get(Pipeline.name == "biglog")
        now = utcnow()
        with write_transaction():
            run = Run.create(pipeline=p, number=1, version=pipelines.current_version(p), cause="manual",
                             status="succeeded", queued_at=now, started_at=now, finished_at=now)
            stage = StageRun.create(run=run, position=1, name="Build", mode="serial", status="succeeded")
            small = TaskRun.create(run=run, stage_run=stage, position=0, name="small", task_type="script",
                                   status="succeeded", started_at=now, finished_at=now)
            flood = TaskRun.create(run=run, stage_run=stage, position=1, name="flood", task_type="script",
                                   status="succeeded", started_at=now, finished_at=now)
            logs.append(small, [f"small {n}" for n in range(1, 11)], None)
        for start in range(0, LINES, 5000):
            with write_transaction():
                logs.append(flood, [f"\x1b[1mstep\x1b[0m {n} {'needle here' if n in NEEDLE_AT else 'compiling'}"
                                    for n in range(start + 1, start + 5001)], None)
    finally:
        database.close()


@pytest.fixture(scope="module")
def page(millrace, chrome):
    millrace.apply(BIGLOG)
    store_big_run(millrace.home)
    return Page(chrome, millrace.url)


def _path(page) -> str:
    page.open("/pipelines", ready=page.row("biglog"))
    href = page.css(f'{page.row("biglog")} a[href$="/runs/1"]').get_attribute("href")
    return href[len(page.base):]


def numbers(page) -> list[int]:
    try:
        return [int(e.text) for e in page.all(f"#{ids.LOG_VIEW} .log-line .log-no")]
    except Exception:  # noqa: BLE001 — a line replaced mid-read: read again
        return []


def shows(page, first: int, last: int) -> list[int]:
    want = list(range(first, last + 1))
    return wait_for(lambda: numbers(page) == want and want,
                    message=lambda: f"lines {first}..{last} (shown: {numbers(page)[:1]}..{numbers(page)[-1:]})")


def test_a_million_line_log_opens_at_its_tail_and_pages_backwards(page):
    path = _path(page)
    page.open(path + "?task=small")
    page.wait_text(f"#{ids.LOG_TITLE}", "Build / small")
    page.click('.task-pick[data-task="flood"]')
    page.wait_text(f"#{ids.LOG_TITLE}", "Build / flood")
    shows(page, LINES - PAGE + 1, LINES)
    assert page.text_of(f"#{ids.LOG_RANGE}") == f"Lines {LINES - PAGE + 1:,}–{LINES:,} of {LINES:,}"
    # The whole run's download stays in reach beside the window.
    assert page.css("a.run-log-download").is_displayed() and page.by_id(ids.LOG_DOWNLOAD).is_displayed()
    first = LINES - PAGE + 1
    for _ in range(5):
        page.click(f"#{ids.LOG_EARLIER}")
        first -= PAGE
        shows(page, first, first + PAGE - 1)       # replaced, not prepended: one window in the DOM
    assert "step" in page.text_of(f"#{ids.LOG_LINES}") and "\x1b" not in page.text_of(f"#{ids.LOG_LINES}")
    page.click(f"#{ids.LOG_LATER}")
    shows(page, first + PAGE, first + 2 * PAGE - 1)
    page.click(f"#{ids.LOG_TAIL}")
    shows(page, LINES - PAGE + 1, LINES)
    # The reader chose `flood`: the address says so, and a reload keeps it.
    assert wait_for(lambda: "task=flood" in page.driver.current_url, message="?task=flood in the address")
    page.driver.refresh()
    page.wait_text(f"#{ids.LOG_TITLE}", "Build / flood")
    assert page.driver.title == "biglog #1 · succeeded · Millrace"


def test_a_link_to_a_line_opens_it_highlighted(page):
    path = _path(page)
    page.open(path + "?task=flood#L340")
    page.wait_text(f"#{ids.LOG_TITLE}", "Build / flood")
    mark = wait_for(lambda: page.all(f"#{ids.LOG_VIEW} .log-mark"), message="the highlighted line")[0]
    assert mark.find_element(By.CSS_SELECTOR, ".log-no").text == "340" and "needle here" in mark.text
    assert 340 in numbers(page) and len(numbers(page)) == PAGE
    # It is scrolled into view inside the log box.
    assert page.driver.execute_script(
        "var v = document.getElementById(arguments[0]), m = arguments[1];"
        "var a = v.getBoundingClientRect(), b = m.getBoundingClientRect();"
        "return b.top >= a.top && b.bottom <= a.bottom;", ids.LOG_VIEW, mark)
    screenshot(page.driver, "log-window")
    # Clicking another line's number links to it (the address changes, the line is highlighted).
    page.click(f'#{ids.LOG_VIEW} .log-line[data-line="350"] .log-no')
    wait_for(lambda: page.driver.current_url.endswith("#L350"), message="#L350 in the address")
    wait_for(lambda: [e.get_attribute("data-line") for e in page.all(f"#{ids.LOG_VIEW} .log-mark")] == ["350"],
             message="line 350 highlighted")
    # A task that the run does not have is said, and the page still opens.
    page.open(path + "?task=nosuch")
    page.wait_text("#_pages_content", "no task named “nosuch”")


def test_search_jumps_from_match_to_match_on_the_server(page):
    path = _path(page)
    page.open(path + "?task=flood")
    page.wait_text(f"#{ids.LOG_TITLE}", "Build / flood")
    shows(page, LINES - PAGE + 1, LINES)
    page.fill(ids.LOG_SEARCH, "NEEDLE")          # case does not matter
    page.click(f"#{ids.LOG_SEARCH_GO}")
    page.wait_text(f"#{ids.LOG_SEARCH_INFO}", "Match 1 of 3")

    def marked():
        return [e.get_attribute("data-line") for e in page.all(f"#{ids.LOG_VIEW} .log-mark")]
    wait_for(lambda: marked() == ["340"], message=lambda: f"line 340 marked (marked: {marked()})")
    page.click(f"#{ids.LOG_MATCH_NEXT}")
    page.wait_text(f"#{ids.LOG_SEARCH_INFO}", "Match 2 of 3")
    wait_for(lambda: marked() == ["123456"], message=lambda: f"line 123456 marked (marked: {marked()})")
    assert wait_for(lambda: page.driver.current_url.endswith("?task=flood#L123456"), message="the match's link")
    page.click(f"#{ids.LOG_MATCH_NEXT}")
    wait_for(lambda: marked() == ["777777"], message="line 777777 marked")
    assert page.by_id(ids.LOG_MATCH_NEXT).get_attribute("disabled") is not None
    page.click(f"#{ids.LOG_MATCH_PREV}")
    wait_for(lambda: marked() == ["123456"], message="back to line 123456")
    page.fill(ids.LOG_SEARCH, "no such text anywhere")
    page.click(f"#{ids.LOG_SEARCH_GO}")
    page.wait_text(f"#{ids.LOG_SEARCH_INFO}", "No line contains “no such text anywhere”.")
