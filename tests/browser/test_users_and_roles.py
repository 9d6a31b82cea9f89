"""Accounts in a real browser: the first sign-in with a printed password and its forced
change, a member who sees only their own pipeline and is refused the rest (in the page and
by a direct callback post), sign-out, and a session ended on the server."""
from __future__ import annotations

import pytest

from dashboard import ids
from tests.browser.conftest import sign_in
from tests.browser.pages import Page
from tests.conftest import wait_for

pytestmark = pytest.mark.slow

OWN = """name: handed
stages:
  - name: S
    tasks:
      - {name: t, type: script, image: busybox, script: "echo mine"}
"""
OTHERS = OWN.replace("handed", "not-hers").replace("mine", "theirs")
NEW_PASSWORD = "a long new password"


def password_of(printed: str) -> str:
    return printed.strip().splitlines()[-1].rsplit(" ", 1)[-1]


@pytest.fixture
def as_someone_else(chrome, millrace):
    """The session's browser, signed out of the tester's session for the test and back in after."""
    chrome.delete_all_cookies()
    try:
        yield Page(chrome, millrace.url)
    finally:
        chrome.delete_all_cookies()
        sign_in(chrome, millrace.url)


def post_callback(page: Page, output: str) -> int:
    """A callback posted from the page's own origin, as a hand-made request would be."""
    return page.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch('/_dash-update-component', {method: 'POST', headers: {'Content-Type': 'application/json'},
              body: JSON.stringify({output: arguments[0], inputs: [], state: []})}).then(r => done(r.status));
    """, output)


def test_a_new_user_signs_in_with_the_printed_password_and_must_change_it(millrace, as_someone_else):
    page = as_someone_else
    password = password_of(millrace.cli("user", "add", "newbie"))
    page.driver.get(millrace.url + "/pipelines")
    wait_for(lambda: "/login" in page.driver.current_url, message="the login page")
    page.driver.find_element("id", "username").send_keys("newbie")
    page.driver.find_element("id", "password").send_keys(password)
    page.driver.find_element("id", "login-submit").click()
    wait_for(lambda: page.driver.current_url.endswith("/password"), message="the forced password change")
    assert "Choose a new password" in page.text_of("#auth-forced")
    for field, value in (("current", password), ("new", NEW_PASSWORD), ("again", NEW_PASSWORD)):
        page.driver.find_element("id", field).send_keys(value)
    page.driver.find_element("id", "password-submit").click()
    page.wait_text(f"#{ids.NAV_ACCOUNT}", "newbie")
    # signing out ends the session: the next page is the login page
    page.click(f"#{ids.NAV_ACCOUNT} .dropdown-toggle")
    page.click(f"#{ids.NAV_SIGN_OUT}")
    wait_for(lambda: "/login" in page.driver.current_url, message="the login page after signing out")
    page.driver.get(millrace.url + "/pipelines")
    wait_for(lambda: "/login" in page.driver.current_url, message="no way back without signing in")


def test_a_member_sees_only_her_own_pipeline_and_may_not_run_it(millrace, as_someone_else, request):
    # the session's later tests expect only their own pipelines: these two are deleted after
    page = as_someone_else
    millrace.cli("user", "add", "mia", "--password-stdin", "--no-forced-change", stdin=NEW_PASSWORD)
    millrace.cli("project", "role", "default", "mia", "member")
    millrace.cli("--as", "mia", "apply", "-f", "-", stdin=OWN)       # hers (its owner is who made it)
    millrace.apply(OTHERS)                                            # the tester's
    request.addfinalizer(lambda: [millrace.cli("delete", name, "--yes") for name in ("handed", "not-hers")])
    sign_in(page.driver, millrace.url, "mia", NEW_PASSWORD)
    page.open("/pipelines", ready=f"#{ids.LIST_TABLE}")
    page.wait_text(f"#{ids.LIST_TABLE}", "handed")
    assert "not-hers" not in page.text_of(f"#{ids.LIST_TABLE}")
    assert not page.all('tr[data-pipeline="handed"] button[data-action="run"]')   # members do not run…
    assert not page.all('tr[data-pipeline="handed"] .more-menu')                  # …nor change it
    assert post_callback(page, "settings-feedback.children") == 403          # an administrator's callback
    assert "Settings" not in page.text_of(f"#{ids.NAV_COLLAPSE}") and "Audit" not in page.text_of(f"#{ids.NAV_COLLAPSE}")


def test_a_session_ended_on_the_server_sends_the_page_to_the_login(millrace, as_someone_else):
    page = as_someone_else
    millrace.cli("user", "add", "ended", "--password-stdin", "--no-forced-change", stdin=NEW_PASSWORD)
    sign_in(page.driver, millrace.url, "ended", NEW_PASSWORD)
    page.open("/pipelines", ready=f"#{ids.LIST_TABLE}")
    millrace.cli("user", "disable", "ended")                           # ends its sessions
    wait_for(lambda: "/login" in page.driver.current_url, message="the page's next poll to go to the login page")


def test_an_administrator_adds_resets_and_disables_a_user_on_the_users_page(millrace, chrome):
    page = Page(chrome, millrace.url)
    page.open("/users", ready="#users-add")
    page.fill("users-new-name", "paged")
    page.click("#users-add")
    password = wait_for(lambda: page.text_of(".users-password .user-password"), message="the password, shown once")
    assert "paged" in page.text_of("#users-table")
    page.click('tr[data-user="paged"] button[data-action="reset"]')
    wait_for(lambda: page.text_of(".users-password .user-password") not in ("", password), message="a new password")
    page.click('tr[data-user="paged"] button[data-action="disable"]')
    page.wait_text("#users-feedback", "'paged' is disabled and signed out.")
    page.wait_text('tr[data-user="paged"]', "(disabled)")


AGE_SESSIONS = ("__import__('models.account_tables', fromlist=['x']).LoginSession.update({{'{column}': "
                "__import__('models.db', fromlist=['x']).utcnow() - __import__('datetime').timedelta(hours={hours})}})"
                ".where(__import__('models.account_tables', fromlist=['x']).LoginSession.ended_at.is_null()"
                " & (__import__('models.account_tables', fromlist=['x']).LoginSession.user == "
                "__import__('models.accounts', fromlist=['x']).get('{user}').id)).execute()")
END_REASONS = ("[s.end_reason for s in __import__('models.accounts', fromlist=['x']).get('{user}').sessions]")


@pytest.mark.parametrize("column, hours, reason", [("seen_at", 9, "idle"), ("created_at", 169, "expired")],
                         ids=["idle", "absolute"])
def test_a_session_past_its_lifetime_sends_the_page_to_the_login(millrace, as_someone_else, column, hours, reason):
    """Idle (8 h by default) and absolute (168 h) lifetimes: the session's times are moved back
    by more than the lifetime (no waiting for hours); the page's next poll is refused and the
    browser lands on the login page, the session ended with its reason."""
    page, user = as_someone_else, f"aged-{reason}"
    from tests.browser.conftest import via_models
    millrace.cli("user", "add", user, "--password-stdin", "--no-forced-change", stdin=NEW_PASSWORD)
    sign_in(page.driver, millrace.url, user, NEW_PASSWORD)
    page.open("/pipelines", ready=f"#{ids.LIST_TABLE}")

    def aged_and_refused():
        # moved back again on every try: a poll answered meanwhile would have refreshed seen_at
        via_models(millrace, AGE_SESSIONS.format(column=column, hours=hours, user=user))
        return "/login" in page.driver.current_url
    wait_for(aged_and_refused, message="the page's next poll to go to the login page")
    assert reason in via_models(millrace, END_REASONS.format(user=user))
