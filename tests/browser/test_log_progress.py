"""The live log panel with output a terminal would draw: a `\\r` progress bar is shown in its
last state, `\\v`, `\\f` and `\\u2028` never split a line, and the lines printed after it
arrive live, numbered as stored. Then the per-task and whole-run downloads, clicked in the
browser, save files named by their RFC 6266 headers (non-Latin-1 task name included)."""
from __future__ import annotations

import json
import re

import pytest
from selenium.webdriver.common.by import By

from dashboard import ids
from tests.browser.pages import Page
from tests.conftest import wait_for

pytestmark = pytest.mark.slow

PROGRESS = r"""
name: progress
stages:
- name: Build
  tasks:
  - name: bar-日本-é
    type: script
    image: busybox
    env:
    - name: GO
      value: GO_PATH
    script: |
      printf 'download 10%%\rdownload 60%%\rdownload 100%%\n'
      printf 'tab\vstop\nform\ffeed\nline\342\200\250sep\n'
      echo BEFORE
      while [ ! -e "$GO-1" ]; do sleep 0.1; done
      echo LATER-1; echo LATER-2
      while [ ! -e "$GO-2" ]; do sleep 0.1; done
      echo LATER-3; echo LATER-4
"""


@pytest.fixture(scope="module")
def page(millrace, chrome):
    millrace.apply(PROGRESS.replace("GO_PATH", str(millrace.home / "progress-go")))
    return Page(chrome, millrace.url)


def numbers(page) -> list[int]:
    """The line numbers shown (empty while the panel is being re-rendered)."""
    try:
        return [int(e.text) for e in page.all(f"#{ids.LOG_VIEW} .log-line .log-no")]
    except Exception:  # noqa: BLE001 — a stale element mid re-render: read again
        return []


def test_a_progress_bar_shows_its_last_state_and_later_lines_arrive_live(page, daemon, millrace, tmp_path):
    millrace.cli("run", "progress")
    page.open("/pipelines", ready=page.row("progress"))
    page.click(f'{page.row("progress")} a[href$="/runs/1"]')
    page.wait_text(f"#{ids.LOG_TITLE}", "Build / bar-日本-é")
    shown = page.wait_text(f"#{ids.LOG_LINES}", "BEFORE")
    assert "download 100%" in shown and "download 10%" not in shown and "download 60%" not in shown
    lines = [e.text for e in page.all(f"#{ids.LOG_LINES} .log-line")]
    bar = [t for t in lines if "download" in t]
    assert len(bar) == 1 and bar[0].endswith("download 100%")
    for part in ("tabstop", "formfeed"):
        assert any(t.endswith(part) for t in lines), (part, lines)
    page.wait_text(f"#{ids.RUN_STATUS}", "running")
    # The later lines arrive while the task still runs (it waits for the test between them), without a reload …
    (millrace.home / "progress-go-1").touch()
    page.wait_text(f"#{ids.LOG_LINES}", "LATER-2")
    assert "LATER-3" not in page.text_of(f"#{ids.LOG_LINES}")
    page.wait_text(f"#{ids.RUN_STATUS}", "running")
    (millrace.home / "progress-go-2").touch()
    page.wait_text(f"#{ids.LOG_LINES}", "LATER-4")
    page.wait_text(f"#{ids.RUN_STATUS}", "succeeded")
    # … every one of them, once, and numbered as stored: 1..log_lines with no gap or repeat.
    text = page.text_of(f"#{ids.LOG_LINES}")
    assert [int(n) for n in re.findall(r"LATER-(\d)", text)] == [1, 2, 3, 4]
    stored = json.loads(millrace.cli("show", "progress#1", "--json"))["stages"][0]["tasks"][0]["log_lines"]
    assert wait_for(lambda: numbers(page) == list(range(1, stored + 1)),
                    message=lambda: f"line numbers 1..{stored} (shown: {numbers(page)})")
    # A reload opens the same lines with the same numbers.
    page.driver.refresh()
    page.wait_text(f"#{ids.LOG_LINES}", "LATER-4")
    assert wait_for(lambda: numbers(page) == list(range(1, stored + 1)),
                    message=lambda: f"after a reload, line numbers 1..{stored} (shown: {numbers(page)})")


def test_downloads_from_the_run_page_save_under_their_names(page, daemon, millrace, tmp_path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    page.driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    page.open("/pipelines", ready=page.row("progress"))
    page.click(f'{page.row("progress")} a[href$="/runs/1"]')
    page.wait_text(f"#{ids.LOG_LINES}", "LATER-4")

    def saved():
        done = sorted(p.name for p in downloads.iterdir() if not p.name.endswith(".crdownload"))
        return done if len(done) == want else None
    want = 1
    page.click(f"#{ids.LOG_DOWNLOAD}")
    assert wait_for(saved, message=lambda: f"the task's log download (have {list(downloads.iterdir())})") == \
        ["progress-1-bar-日本-é.log"]
    task_log = (downloads / "progress-1-bar-日本-é.log").read_bytes().decode()  # read_text() turns each \r into \n
    assert "download 10%\rdownload 60%\rdownload 100%" in task_log and "LATER-4" in task_log
    want = 2
    page.click("a.run-log-download")
    assert wait_for(saved, message=lambda: f"the run's log download (have {list(downloads.iterdir())})") == \
        ["progress-1-bar-日本-é.log", "progress-1.log"]
    run_log = (downloads / "progress-1.log").read_bytes().decode()
    assert run_log.startswith("progress#1 succeeded\n") and "── Build / bar-日本-é (succeeded)" in run_log
    assert task_log in run_log
    assert page.driver.find_element(By.CSS_SELECTOR, "a.run-log-download").get_attribute("href").endswith("/log")


STREAMS = """
name: streams
stages:
- name: Build
  tasks:
  - name: both
    type: script
    image: busybox
    script: |
      echo OUT-1
      echo ERR-1 >&2
      sleep 0.5
      echo OUT-2
"""


def test_stderr_lines_are_marked_and_stdout_lines_are_not(page, daemon, millrace):
    """A line the script wrote to stderr is drawn with the log-err class (a red bar), one from
    stdout without it (downloads without markers: tests/test_log_streams.py)."""
    millrace.apply(STREAMS)
    millrace.cli("run", "streams", "--wait")
    page.open("/pipelines", ready=page.row("streams"))
    page.click(f'{page.row("streams")} a[href$="/runs/1"]')
    page.wait_text(f"#{ids.LOG_LINES}", "OUT-2")

    def marked() -> dict:                # textContent: a row scrolled out of the panel has no visible text
        rows = page.driver.execute_script("return [...document.querySelectorAll(arguments[0])].map("
                                          "e => [e.textContent, e.classList.contains('log-err')]);",
                                          f"#{ids.LOG_LINES} .log-line")
        return {word: err for text, err in rows for word in ("OUT-1", "ERR-1", "OUT-2") if text.endswith(word)}
    shown = wait_for(lambda: marked().get("OUT-2") is not None and marked(), message=lambda: f"the streams' lines (shown: {marked()})")
    assert shown["ERR-1"] is True and shown["OUT-1"] is False and shown["OUT-2"] is False
    colour = page.driver.execute_script("return getComputedStyle(document.querySelector('.log-err')).boxShadow")
    assert "224, 82, 82" in colour                                       # the red bar is drawn
