"""The Code repositories page in headless Chromium against a real dashboard and the fake forge
over real HTTP: connect a GitHub account (the public address, moved to the fake) and a
GitLab private-instance account through the forge's consent page, see them connected, and
deregister — refused while a pipeline names the account, done after it no longer does."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import screenshot, via_models
from tests.browser.pages import Page
from tests.conftest import wait_for

pytestmark = pytest.mark.slow

USES_ACCOUNT = """
name: uses-gitlab-account
source:
  repository: {url}/octocat/app.git
  account: {account}
stages:
- name: S
  tasks:
  - {{name: t, type: script, image: busybox, script: "true"}}
"""


def connect(page, instance, tab_label, private_url=""):
    """Paste the application's credentials into the tab's form, click Connect, approve on the forge."""
    driver = page.driver
    page.open("/repositories", ready=".repos-setup")
    if tab_label != "GitHub":
        driver.find_element(By.LINK_TEXT, tab_label).click()
    setup = f".repos-setup-{instance.kind}"
    callback = wait_for(lambda: page.text_of(f"{setup} .repos-callback"), message="the callback URL")
    assert callback == page.base + f"/repository/{instance.kind}/redirect"     # the served address
    app = instance.register_app(callback)
    page.css(f"{setup} .repos-client-id").send_keys(app.client_id)
    page.css(f"{setup} .repos-client-secret").send_keys(app.client_secret)
    if private_url:
        page.click(f"{setup} .repos-private input")
        page.css(f"{setup} .repos-instance-url").send_keys(private_url)
    page.click(f"{setup} .repos-connect")
    wait_for(lambda: driver.find_elements(By.ID, "consent"), message="the forge's consent page")
    assert driver.current_url.startswith(instance.url)
    driver.find_element(By.ID, "approve").click()
    page.wait_text(".repos-notice", "is connected")
    return app


def test_connect_github_and_a_private_gitlab_then_deregister(chrome, millrace, fake_forge):
    page = Page(chrome, millrace.url)
    fake_forge.github.sign_in("octocat")
    fake_forge.private_gitlab.sign_in("octocat")

    connect(page, fake_forge.github, "GitHub")
    page.wait_text(".repos-setup-github ~ * tr[data-state='connected']", "octocat")
    assert fake_forge.github.live_tokens()

    app = connect(page, fake_forge.private_gitlab, "GitLab", private_url=fake_forge.private_gitlab.url)
    row = ".repos-setup-gitlab ~ * tr[data-state='connected']"
    page.wait_text(f"{row}", fake_forge.private_gitlab.url)
    assert app.client_secret not in chrome.page_source
    assert fake_forge.private_gitlab.token_requests[-1].get("code_verifier")       # PKCE was used
    screenshot(chrome, "repositories")

    accounts = via_models(millrace, "[(a.id, a.forge, a.base_url, a.state) for a in "
                                    "__import__('models.forge_accounts').forge_accounts.visible('tester')]")
    gitlab_id = next(a[0] for a in accounts if a[1] == "gitlab")
    assert [a[3] for a in accounts] == ["connected", "connected"]
    millrace.apply(USES_ACCOUNT.format(url=fake_forge.private_gitlab.url, account=gitlab_id))

    deregister = f"tr[data-account='{gitlab_id}'] .repos-deregister"
    page.click(deregister)
    page.wait_text(".modal.show .repos-in-use-warning", "uses-gitlab-account")
    assert not page.css(".modal.show #repos-dialog-confirm").is_enabled()
    page.click(".modal.show #repos-dialog-cancel")
    wait_for(lambda: not page.all(".modal.show"), message="the dialog to close")

    millrace.cli("delete", "uses-gitlab-account", "--yes")
    page.click(deregister)
    page.wait_text(".modal.show #repos-dialog-body", "Deregister")
    page.click(".modal.show #repos-dialog-confirm")
    page.wait_text("#repos-feedback", "deregistered")
    wait_for(lambda: not page.all(f"tr[data-account='{gitlab_id}']"), message="the account's row to go")
