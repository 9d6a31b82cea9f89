"""The dashboard's pages in headless Chromium against a real dashboard and a real daemon:
the list and its actions, the live log of a running task, stop, re-run, a failed run, copy,
activate/deactivate, delete, run records as list and timeline, and a 200,000-line log.

Tests run in file order and share one data directory: the first one sees no daemon yet.
Screenshots of the list, a running run and a failed run land in docs/screenshots/.
"""
from __future__ import annotations

import re
import urllib.request

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from dashboard import ids
from dashboard.runlog.panel import PAGE
from tests.browser.conftest import screenshot
from tests.conftest import wait_for
from tests.browser.pages import Page

pytestmark = pytest.mark.slow

SLEEPY = """
name: sleepy
stages:
- name: Work
  tasks:
  - name: tick
    type: script
    image: busybox
    script: |
      i=0
      while true; do i=$((i+1)); echo "tick $i"; sleep 0.3; done
"""
BROKEN = r"""
name: broken
description: prints colours and markup, then fails
timeout_minutes: 10
stages:
- name: Build
  tasks:
  - name: compile
    type: script
    image: busybox
    script: |
      printf '\033[31mred alert\033[0m <b>not bold</b>\n'
      echo '<img src=x onerror="window.pwned=1">'
      exit 3
- name: Test
  tasks:
  - name: unit
    type: script
    image: busybox
    script: echo never
"""
TWOSTEP = """
name: twostep
stages:
- name: Build
  tasks:
  - name: first
    type: script
    image: busybox
    script: echo first-task-output; sleep 2
- name: Deploy
  tasks:
  - name: second
    type: script
    image: busybox
    script: echo second-task-output; sleep 1
"""
CHATTY = """
name: chatty
stages:
- name: Build
  tasks:
  - name: flood
    type: script
    image: busybox
    script: seq 1 200000
"""


@pytest.fixture(scope="module")
def page(millrace, chrome):
    for text in (SLEEPY, BROKEN, CHATTY, TWOSTEP):
        millrace.apply(text)
    return Page(chrome, millrace.url)


def pipeline_path(page: Page, name: str) -> str:
    page.open("/pipelines", ready=page.row(name))
    href = page.css(f"{page.row(name)} a.pipeline-name").get_attribute("href")
    return re.sub(r"^https?://[^/]+", "", href)


def test_list_shows_every_pipeline_and_warns_when_no_daemon_runs(page):
    page.open("/", ready=page.row("sleepy"))
    assert "No daemon is running" in page.by_id(ids.NAV_DAEMON_WARNING).text
    assert page.by_id(ids.NAV_DAEMON).text == "daemon: not running"
    for name in ("broken", "chatty", "sleepy", "twostep"):
        row = page.css(page.row(name)).text
        assert "never run" in row and "manual" in row and "active" in row


def test_clusters_and_repositories_say_what_the_engine_supports(page):
    page.open("/pipelines", ready=page.row("sleepy"))
    page.click("a.nav-link[href='/clusters']")
    page.wait_text(".clusters-local-only", "No Kubernetes cluster is registered")
    assert "local processes on the daemon's machine" in page.text_of("#_pages_content")
    page.click("a.nav-link[href='/repositories']")
    page.wait_text("#_pages_content", "Connect a GitHub account")
    assert "GitHub" in page.text_of("#_pages_content") and "GitLab" in page.text_of("#_pages_content")
    # A tab is selected when the page opens, and its panel is not empty (issue 12).
    assert page.text_of(f"#{ids.REPOS_TABS} .nav-link.active") == "GitHub"
    assert "Authorization callback URL" in page.text_of(".tab-pane.active")
    page.driver.find_element(By.LINK_TEXT, "Git URLs").click()
    page.wait_text(".tab-pane.active", "any git URL the daemon can clone")


def test_run_from_the_list_shows_the_log_live_then_stop_ends_it(page, daemon):
    page.open("/pipelines", ready=page.row("sleepy"))
    page.wait_text(f"#{ids.NAV_DAEMON}", "daemon: running")
    page.row_action("sleepy", "run")                  # no parameters, deploys nothing: one click runs it
    page.feedback("Queued sleepy#1.")
    page.wait_text(page.row("sleepy"), "running")
    page.click(f'{page.row("sleepy")} a[href$="/runs/1"]')
    seen = wait_for(lambda: last_tick(page) >= 3 and last_tick(page), message="the first lines of the log")
    # Lines keep arriving while the task still runs, without a reload.
    wait_for(lambda: last_tick(page) >= seen + 4, message=lambda: f"lines after tick {seen} (at {last_tick(page)})")
    # (The status badge is re-rendered as the run's facts change: read it by waiting, never once.)
    page.wait_text(f"#{ids.RUN_STATUS}", "running")
    # Following the tail: the newest line is scrolled into view.
    view = page.by_id(ids.LOG_VIEW)
    assert wait_for(lambda: chrome_gap(page, view) < 60, message="the log view to follow its tail")
    screenshot(page.driver, "run-running")
    # Scrolled up, the reader stays where they are while lines keep arriving; back at the bottom, it follows again.
    # (A line may land between the scroll and its event; scroll again until the page has noticed.)
    wait_for(lambda: page.driver.execute_script("arguments[0].scrollTop = 0; return arguments[0].dataset.follow",
                                                view) == "false", message="the log view to notice the reader scrolled up")
    seen = last_tick(page)
    wait_for(lambda: last_tick(page) >= seen + 3, message=lambda: f"lines after tick {seen} (at {last_tick(page)})")
    assert page.driver.execute_script("return arguments[0].scrollTop", view) == 0
    page.driver.execute_script("arguments[0].scrollTop = arguments[0].scrollHeight", view)
    seen = last_tick(page)
    wait_for(lambda: last_tick(page) >= seen + 3, message=lambda: f"lines after tick {seen} (at {last_tick(page)})")
    assert wait_for(lambda: chrome_gap(page, view) < 60, message="following again after scrolling to the bottom")
    page.click(f'#{ids.RUN_HEADER} button[data-action="stop"]')
    page.dialog_open("Stop sleepy#1")
    page.confirm()
    page.feedback("Stop requested for sleepy#1.")
    page.wait_text(f"#{ids.RUN_STATUS}", "stopped")


def last_tick(page) -> int:
    """The newest "tick N" line shown (0 while the log is absent or being re-rendered). A number,
    not a text match: "tick 4" is also found inside "tick 40", and a count of the lines read
    during a re-render would be 0."""
    return max(map(int, re.findall(r"tick (\d+)", page.text_of(f"#{ids.LOG_LINES}"))), default=0)


def chrome_gap(page, element) -> float:
    return page.driver.execute_script("return arguments[0].scrollHeight - arguments[0].scrollTop"
                                      " - arguments[0].clientHeight", element)


def test_a_failed_run_shows_its_reason_and_a_safe_coloured_log(page, daemon, millrace):
    path = pipeline_path(page, "broken")
    page.click(f"{page.row('broken')} a.pipeline-name")
    page.wait_text("h2", "broken")
    page.click(f'#{ids.DETAIL_INFO} button[data-action="run"]')
    page.feedback("Queued broken#1.")
    page.open(f"{path}/runs/1")
    page.wait_text(f"#{ids.RUN_STATUS}", "failed")
    assert "exit code 3" in page.text_of(f"#{ids.RUN_HEADER}")
    # The failed task is the one shown; markup in its log is text and never runs.
    page.wait_text(f"#{ids.LOG_TITLE}", "Build / compile")
    log = page.wait_text(f"#{ids.LOG_LINES}", "<b>not bold</b>")
    assert '<img src=x onerror="window.pwned=1">' in log
    assert page.driver.execute_script("return window.pwned === undefined")
    assert page.css(f"#{ids.LOG_LINES} .ansi-fg-red").text == "red alert"
    tasks = page.text_of(f"#{ids.RUN_TASKS}")
    assert "compile" in tasks and "failed" in tasks and "skipped" in tasks
    screenshot(page.driver, "run-failed")
    href = page.by_id(ids.LOG_DOWNLOAD).get_attribute("href")
    with urllib.request.urlopen(urllib.request.Request(href, headers=millrace.headers()), timeout=5) as response:
        body = response.read().decode()
    assert "\x1b[31mred alert\x1b[0m <b>not bold</b>" in body and "attachment" in response.headers["Content-Disposition"]


def test_the_log_moves_on_to_the_next_running_task_until_the_reader_picks_one(page, daemon, millrace):
    path = pipeline_path(page, "twostep")
    millrace.cli("run", "twostep")
    page.open(f"{path}/runs/1")
    page.wait_text(f"#{ids.LOG_LINES}", "first-task-output")
    page.wait_text(f"#{ids.LOG_TITLE}", "Deploy / second")
    page.wait_text(f"#{ids.LOG_LINES}", "second-task-output")
    page.wait_text(f"#{ids.RUN_STATUS}", "succeeded")
    page.click('.task-pick[data-task="first"]')
    page.wait_text(f"#{ids.LOG_TITLE}", "Build / first")
    page.wait_text(f"#{ids.LOG_LINES}", "first-task-output")
    assert "second-task-output" not in page.text_of(f"#{ids.LOG_LINES}")


def test_rerun_from_the_records_and_the_timeline_view(page, daemon):
    path = pipeline_path(page, "broken")
    page.open(path, ready='tr[data-run="1"]')
    page.click('tr[data-run="1"] button[data-action="rerun"]')
    page.dialog_open("Re-run broken#1")
    page.confirm()
    page.feedback("Queued broken#2 (re-run of #1).")
    page.wait_text('tr[data-run="2"]', "failed")
    assert "re-run of #1" in page.text_of('tr[data-run="2"]')
    page.click(f"#{ids.DETAIL_RUNS_VIEW} input[value='timeline']")
    wait_for(lambda: len(page.all(".run-timeline g.point")) == 2, message="one timeline bar per run")
    assert "failed" in page.text_of(".run-timeline .legend")
    # A bar opens its run (the top bar is the newest run).
    bars = sorted(page.all(".run-timeline g.point path"), key=lambda el: el.location["y"])
    ActionChains(page.driver).move_to_element(bars[0]).pause(0.3).click().perform()   # plotly's drag layer takes the click
    wait_for(lambda: page.driver.current_url.endswith(f"{path}/runs/2"), message="the clicked run to open")
    page.wait_text(f"#{ids.RUN_STATUS}", "failed")


def test_copy_deactivate_activate_and_delete_from_the_list(page):
    page.open("/pipelines", ready=page.row("broken"))
    page.more(page.row("broken"), "Copy")
    page.dialog_open("Copy broken")
    page.fill(ids.DIALOG_NAME, "broken-copy")
    page.confirm()
    page.feedback("Copied 'broken' to 'broken-copy'.")
    page.wait_text(page.row("broken-copy"), "never run")
    page.more(page.row("broken-copy"), "Deactivate")
    page.wait_text(f"{page.row('broken-copy')} .active-flag", "inactive")
    page.row_action("broken-copy", "run")             # refused with the reason, no dialog
    page.feedback("'broken-copy' is deactivated, so it cannot run")
    assert not page.all(f".modal.show #{ids.DIALOG_CONFIRM}")
    page.more(page.row("broken-copy"), "Activate")
    page.wait_text(f"{page.row('broken-copy')} .active-flag", "active")
    page.more(page.row("broken-copy"), "Delete")
    page.dialog_open("Delete broken-copy")
    page.confirm()
    page.feedback("Deleted 'broken-copy'.")
    wait_for(lambda: not page.all(page.row("broken-copy")), message="the deleted row to go")
    assert page.all(page.row("broken"))


def test_create_by_copying_then_set_the_timeout(page):
    page.open("/pipelines", ready=page.row("sleepy"))
    page.click(f"#{ids.LIST_CREATE_MENU} .dropdown-toggle")
    wait_for(lambda: page.driver.find_element(By.XPATH, "//*[normalize-space()='Copy an existing pipeline…']")
             .click() or True, message="the create menu")
    page.dialog_open("Create a pipeline by copying")
    page.choose(ids.DIALOG_SOURCE, "sleepy")
    page.fill(ids.DIALOG_NAME, "sleepy-2")
    page.confirm()
    page.feedback("Created 'sleepy-2' as a copy.")
    page.wait_text("h2", "sleepy-2")
    assert re.search(r"/pipelines/\d+$", page.driver.current_url)
    page.more(f"#{ids.DETAIL_INFO}", "Advanced settings")
    page.dialog_open("Advanced settings of sleepy-2")
    page.fill(ids.DIALOG_TIMEOUT, "15")
    page.confirm()
    page.wait_text(f"#{ids.DETAIL_INFO} .timeout", "15 minutes")
    assert "v2" in page.text_of(f"#{ids.DETAIL_INFO}")


def test_search_by_name_and_filter_by_status(page):
    page.open("/pipelines", ready=page.row("sleepy-2"))
    everyone = len(page.all("tr[data-pipeline]"))     # other tests of this module add pipelines too
    page.fill(ids.LIST_SEARCH, "sleep")
    wait_for(lambda: len(page.all("tr[data-pipeline]")) == 2, message="two rows matching 'sleep'")
    assert {r.get_attribute("data-pipeline") for r in page.all("tr[data-pipeline]")} == {"sleepy", "sleepy-2"}
    page.fill(ids.LIST_SEARCH, "")
    page.choose(ids.LIST_STATUS, "failed")
    wait_for(lambda: [r.get_attribute("data-pipeline") for r in page.all("tr[data-pipeline]")] == ["broken"],
             message="only the failed pipeline")
    page.choose(ids.LIST_STATUS, "any status")
    wait_for(lambda: len(page.all("tr[data-pipeline]")) == everyone, message="every pipeline again")


def test_a_200000_line_log_opens_at_its_tail_and_pages_backwards(page, daemon, millrace):
    millrace.cli("run", "chatty", "--wait")
    page.open(pipeline_path(page, "chatty") + "/runs/1")
    page.wait_text(f"#{ids.LOG_TITLE}", "Build / flood")
    page.wait_text(f"#{ids.LOG_LINES}", "200000")
    lines = page.all(f"#{ids.LOG_VIEW} .log-line")
    assert len(lines) == PAGE
    first = int(lines[0].find_element(By.CSS_SELECTOR, ".log-no").text)
    # How fast the earlier page comes is a timing goal (bench/dashboard.py's business); here,
    # that it comes, holds the PAGE lines before the first one shown, and replaces them.
    page.click(f"#{ids.LOG_EARLIER}")
    wait_for(lambda: page.text_of(f"#{ids.LOG_VIEW} .log-line .log-no") == str(first - PAGE),
             message="a page of earlier lines")
    assert len(page.all(f"#{ids.LOG_VIEW} .log-line")) == PAGE
    page.open("/pipelines", ready=page.row("chatty"))
    page.wait_text(page.row("chatty"), "succeeded")
    screenshot(page.driver, "pipelines")
