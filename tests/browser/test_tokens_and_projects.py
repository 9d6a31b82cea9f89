"""Access tokens and projects in a real browser: a token made on the page is shown once,
opens the API (Bearer) and is refused once revoked through the confirming dialog; an
administrator creates a project and gives a user a role in it, and that user's new pipeline
goes there; an administrator saves a new pipeline into the project chosen in the editor."""
from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from selenium.webdriver.support.ui import Select

from dashboard import ids
from dashboard.editor import ids as eid
from tests.browser.conftest import sign_in
from tests.browser.pages import Page
from tests.browser.test_editor import Editor, query
from tests.browser.test_users_and_roles import NEW_PASSWORD
from tests.conftest import wait_for

pytestmark = pytest.mark.slow


def api_status(millrace, token: str) -> int:
    """The answer to an API request carrying `token` (404: let in, and no such run)."""
    asked = urllib.request.Request(millrace.url + "/api/runs/999999/log", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(asked, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_token_is_shown_once_opens_the_api_and_is_refused_once_revoked(millrace, chrome):
    page = Page(chrome, millrace.url)
    page.open("/pipelines", ready=f"#{ids.NAV_ACCOUNT}")
    page.click(f"#{ids.NAV_ACCOUNT} .dropdown-toggle")
    page.click(f"#{ids.NAV_TOKENS}")
    page.css("#tokens-create")
    page.fill("tokens-new-name", "browser script")
    page.fill("tokens-new-expiry", "7")
    page.click("#tokens-create")
    value = wait_for(lambda: page.text_of(".tokens-value .token-value"), message="the token, shown once")
    assert "Copy it now" in page.text_of(".tokens-value")
    page.wait_text('tr[data-token="browser script"]', "active")
    assert api_status(millrace, value) == 404
    page.open("/tokens", ready='tr[data-token="browser script"]')             # never shown again
    assert value not in chrome.page_source
    page.click('tr[data-token="browser script"] button[data-action="revoke"]')
    page.dialog_open("Revoke token browser script")
    page.confirm()
    page.feedback("Revoked token 'browser script'.")
    page.wait_text('tr[data-token="browser script"]', "revoked")
    assert api_status(millrace, value) == 401


def new_pipeline(driver, url, name: str, project: str | None = None) -> None:
    """A pipeline made in the editor, with one script task, saved (into `project` if given)."""
    ed = Editor(driver, f"{url}/pipelines/new")
    ed.type("name", name)
    ed.click_node("add-task-1")
    wait_for(lambda: ed.el(eid.field("stages[1].tasks[0].script")), message="the task form")
    ed.type("stages[1].tasks[0].script", "echo placed")
    if project:
        Select(ed.el(eid.PROJECT)).select_by_visible_text(project)
    ed.el(eid.SAVE).click()
    wait_for(lambda: "/edit" not in driver.current_url and "/new" not in driver.current_url, message="the saved page")


def project_of(millrace, name: str):
    rows = query(millrace, "SELECT project FROM pipeline WHERE name = ? AND deleted_at IS NULL", name)
    return rows[0][0] if rows else None


def test_an_administrator_makes_a_project_and_a_role_and_that_user_creates_there(millrace, chrome, request):
    page = Page(chrome, millrace.url)
    millrace.cli("user", "add", "pia", "--password-stdin", "--no-forced-change", stdin=NEW_PASSWORD)
    page.open("/projects", ready="#projects-add")
    page.fill("projects-new-name", "team-a")
    page.click("#projects-add")
    page.wait_text("#projects-feedback", "Project 'team-a' created.")
    wait_for(lambda: "team-a" in [o.text for o in Select(page.by_id("projects-role-project")).options],
             message="team-a among the role form's projects")
    page.choose("projects-role-project", "team-a")
    page.choose("projects-role-user", "pia")
    page.choose("projects-role", "project administrator")
    page.click("#projects-role-set")
    page.wait_text('tr[data-project="team-a"] .members', "pia (project administrator)")
    request.addfinalizer(lambda: [millrace.cli("delete", name, "--yes") for name in ("pias", "chosen")
                                  if project_of(millrace, name)])
    # the administrator's own new pipeline, into the project chosen in the editor
    new_pipeline(chrome, millrace.url, "chosen", project="team-a")
    wait_for(lambda: project_of(millrace, "chosen") == "team-a", message="'chosen' stored in team-a")
    # and pia, project administrator of team-a only: her new pipeline goes there, and she sees it
    chrome.delete_all_cookies()
    try:
        sign_in(chrome, millrace.url, "pia", NEW_PASSWORD)
        ed = Editor(chrome, f"{millrace.url}/pipelines/new")
        assert ed.el(eid.PROJECT).get_attribute("value") == "team-a"
        assert "Projects" not in page.text_of(f"#{ids.NAV_COLLAPSE}")          # the page is administrators'
        new_pipeline(chrome, millrace.url, "pias")
        wait_for(lambda: project_of(millrace, "pias") == "team-a", message="'pias' stored in team-a")
        page.open("/pipelines", ready=f"#{ids.LIST_TABLE}")
        page.wait_text(f"#{ids.LIST_TABLE}", "chosen")                        # team-a's, which she administers
    finally:
        chrome.delete_all_cookies()
        sign_in(chrome, millrace.url)
