"""The trigger rules dialog and the detail page's trigger records in headless Chromium,
against a real dashboard and daemon: a timed rule's preview while typing and a bad rule's
error (saving nothing), the saved rule in the summary; webhook events with the URLs and the
secret shown once (not after a reload); a signed GitHub push posted to the running
dashboard listed under "recent deliveries" with its outcome; a deactivated pipeline that
says why nothing starts it.
"""
from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from dashboard import ids
from tests import webhook_payloads as payloads
from tests.conftest import wait_for
from tests.browser.pages import Page

pytestmark = pytest.mark.slow

HOOKED = f"""
name: hooked
source:
  repository: {payloads.GH_REPO["clone_url"]}
  branch: main
stages:
- name: Build
  tasks:
  - name: hello
    type: script
    image: busybox
    script: echo hello
"""
DIALOG = f"#{ids.TRIG_DIALOG}"


@pytest.fixture(scope="module")
def page(millrace, chrome):
    millrace.apply(HOOKED)
    return Page(chrome, millrace.url)


def detail_path(page: Page) -> str:
    page.open("/pipelines", ready=page.row("hooked"))
    href = page.css(f"{page.row('hooked')} a.pipeline-name").get_attribute("href")
    return re.sub(r"^https?://[^/]+", "", href)


def open_dialog(page: Page) -> None:
    page.click(f"#{ids.TRIG_OPEN}")
    page.wait_text(f"#{ids.TRIG_TITLE}", "Trigger rules of hooked")


def close_dialog(page: Page) -> None:
    page.click(f"#{ids.TRIG_CANCEL}")
    wait_for(lambda: not page.all(f".modal.show #{ids.TRIG_SAVE}"), message="the trigger dialog to close")


def preview_times(page: Page) -> list[str]:
    return [li.text for li in page.all(f"#{ids.TRIG_PREVIEW} li")]


def post(url: str, headers: dict, body: bytes) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as err:
        return err.code


def test_timed_rule_previews_while_typing_refuses_a_bad_rule_and_saves_into_the_summary(page):
    detail_path(page)
    page.more(page.row("hooked"), "Trigger rules")          # the list's More menu opens the dialog on the detail page
    page.wait_text(f"#{ids.TRIG_TITLE}", "Trigger rules of hooked")
    assert "server's zone" in page.by_id(ids.TRIG_TZ).get_attribute("placeholder")
    page.fill(ids.TRIG_RULE, "every 2 minutes")
    wait_for(lambda: len(preview_times(page)) == 5, message="five fire times under the rule")
    assert all(int(t.split(":")[1][:2]) % 2 == 0 for t in preview_times(page))
    page.fill(ids.TRIG_RULE, "every 2 hours at 75")
    page.wait_text(f"#{ids.TRIG_RULE_FEEDBACK}", "minute in 'every N hours at M' must be from 0 to 59, got 75")
    assert "is-invalid" in page.by_id(ids.TRIG_RULE).get_attribute("class") and not preview_times(page)
    Select(page.by_id(ids.TRIG_CONCURRENCY)).select_by_value("forbid")
    page.click(f"#{ids.TRIG_SAVE}")
    page.wait_text(f"#{ids.TRIG_MESSAGE}", "Nothing was saved.")
    assert "timed rule: minute in 'every N hours at M'" in page.text_of(f"#{ids.TRIG_MESSAGE}")
    assert "concurrency allow" in page.text_of("#triggers .concurrency")
    # A good rule in a named zone: the preview follows the typing, the zone included.
    page.fill(ids.TRIG_RULE, "weekly on mon,fri at 08:00")
    page.fill(ids.TRIG_TZ, "Europe/Berli")
    page.wait_text(f"#{ids.TRIG_TZ_FEEDBACK}", "unknown timezone 'Europe/Berli'")
    page.fill(ids.TRIG_TZ, "Europe/Berlin")
    wait_for(lambda: len(preview_times(page)) == 5 and all(re.match(r"(Mon|Fri) .* 08:00 CES?T$", t)
                                                          for t in preview_times(page)), message="weekly times in Berlin")
    Select(page.by_id(ids.TRIG_MISFIRE)).select_by_value("run_once")
    page.fill(ids.TRIG_DEADLINE, "30")
    page.click(f"#{ids.TRIG_SAVE}")
    page.feedback("Saved the trigger rules of 'hooked'")
    wait_for(lambda: not page.all(f".modal.show #{ids.TRIG_SAVE}"), message="the dialog to close after saving")
    page.wait_text("#triggers .timer-rule", "weekly on mon,fri at 08:00 (Europe/Berlin); missed fires: run_once within 30 min")
    assert "concurrency forbid" in page.text_of("#triggers .concurrency")
    assert "weekly on mon,fri at 08:00" in page.text_of("#triggers")
    # Reopened, the dialog shows what is stored; "remove" drops the timed rule.
    open_dialog(page)
    assert page.by_id(ids.TRIG_RULE).get_attribute("value") == "weekly on mon,fri at 08:00"
    page.click(f"#{ids.TRIG_REMOVE_TIMER}")
    page.wait_text(f"#{ids.TRIG_MESSAGE}", "Removed the timed rule of 'hooked'.")
    page.wait_text("#triggers .timer-rule", "none")
    page.fill(ids.TRIG_RULE, "daily at 09:30")
    page.fill(ids.TRIG_TZ, "")
    page.click(f"#{ids.TRIG_SAVE}")
    page.wait_text("#triggers .timer-rule", "daily at 09:30 (server's zone, ")


def test_webhook_secret_shown_once_and_a_signed_push_listed_with_its_outcome(page, millrace, daemon):
    path = detail_path(page)
    page.open(path, ready=f"#{ids.TRIG_OPEN}")
    open_dialog(page)
    assert page.text_of(".hook-url-github") == f"{millrace.url}/hooks/github"
    assert page.text_of(".hook-url-gitlab") == f"{millrace.url}/hooks/gitlab"
    assert "No webhook yet" in page.text_of(f"#{ids.TRIG_SECRET}")
    page.click(f"#{ids.TRIG_EVENTS} input[value='push']")
    page.click(f"#{ids.TRIG_SAVE}")
    secret = page.wait_text(f"#{ids.TRIG_SECRET_VALUE}", "")
    assert len(secret) >= 40 and "shown only this once" in page.text_of(f"#{ids.TRIG_SECRET}")
    close_dialog(page)
    page.wait_text("#triggers .webhook-events", "push")
    page.open(path, ready=f"#{ids.TRIG_OPEN}")
    open_dialog(page)
    page.wait_text(f"#{ids.TRIG_SECRET}", "A secret is set")
    assert secret not in page.driver.page_source
    close_dialog(page)
    # A push signed with that secret, as GitHub sends it, then its replay and a forged one.
    headers, body = payloads.github_request("push", payloads.github_push(), secret=secret)
    assert post(f"{millrace.url}/hooks/github", headers, body) == 202
    assert post(f"{millrace.url}/hooks/github", headers, body) == 200
    forged, body = payloads.github_request("push", payloads.github_push(), secret="not-the-secret")
    assert post(f"{millrace.url}/hooks/github", forged, body) == 401
    page.wait_text(f"#{ids.DETAIL_DELIVERIES}", "started run #")
    rows = [r.text for r in page.all(f"#{ids.DETAIL_DELIVERIES} tbody tr")]
    assert len(rows) == 3 and "rejected: bad signature" in rows[0] and "duplicate" in rows[1]
    assert re.search(r"github push started run #\d+$", rows[2])
    page.wait_text(f"#{ids.DETAIL_RUNS}", "webhook")


def test_a_deactivated_pipeline_says_why_nothing_starts_it(page):
    path = detail_path(page)
    page.open(path, ready=f"#{ids.TRIG_OPEN}")
    page.more(f"#{ids.DETAIL_INFO}", "Deactivate")
    page.wait_text(f"#{ids.DETAIL_INACTIVE}",
                   "'hooked' is deactivated: its timed rule and webhooks start nothing, and Run is refused")
    assert "(starts nothing: inactive)" in page.text_of("#triggers")
    run = page.css(f'#{ids.DETAIL_INFO} button[data-action="run"]')
    assert run.get_attribute("title") == "deactivated: activate it to run it"
    run.click()                                       # refused with the reason, no dialog whose Run would fail
    page.feedback("'hooked' is deactivated, so it cannot run and its triggers start nothing")
    assert not page.all(f".modal.show #{ids.DIALOG_CONFIRM}")
    open_dialog(page)
    page.wait_text(f"#{ids.TRIG_INACTIVE}", "start nothing")
    close_dialog(page)
    page.open("/pipelines", ready=page.row("hooked"))
    page.wait_text(page.row("hooked"), "inactive: starts nothing")
    page.open(path, ready=f"#{ids.DETAIL_INACTIVE}")
    page.click(f'#{ids.DETAIL_INACTIVE} button[data-action="activate@banner"]')
    wait_for(lambda: not page.all(f"#{ids.DETAIL_INACTIVE}"), message="the banner to go once active")
    assert page.driver.find_element(By.CSS_SELECTOR, f"#{ids.DETAIL_INFO} .active-flag").text == "active"
