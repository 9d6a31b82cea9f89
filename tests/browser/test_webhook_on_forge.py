"""The pipeline page's "Webhook on the forge" card in headless Chromium, against the real
dashboard and daemon and the fake GitHub over real HTTP: a pipeline naming an account with
a push rule gets its hook registered (shown, with the forge's id); the hook deleted on the
forge by hand is detected and shown as missing; Repair makes it again; deleting the
pipeline removes it from the forge."""
from __future__ import annotations

import pytest

from tests.browser.conftest import via_models
from tests.browser.pages import Page
from tests.browser.test_repositories import connect
from tests.conftest import wait_for

pytestmark = pytest.mark.slow

HOOKED = """
name: hooked
source:
  repository: {url}/octocat/hooked.git
  branch: main
  account: {account}
stages:
- name: S
  tasks:
  - {{name: t, type: script, image: busybox, script: "true"}}
"""


def test_the_webhook_state_on_the_forge_and_repair(chrome, millrace, fake_forge, daemon):
    github = fake_forge.github
    page = Page(chrome, millrace.url)
    github.sign_in("octocat")
    connect(page, github, "GitHub")
    github.add_repos("octocat", ["hooked"])
    account = via_models(millrace, "[a.id for a in __import__('models.forge_accounts').forge_accounts"
                                   ".visible('tester') if a.forge == 'github'][0]")
    millrace.apply(HOOKED.format(url=github.url, account=account))
    millrace.cli("webhook", "hooked", "--events", "push")
    pipeline_id = via_models(millrace, "pipelines.get('hooked').id")

    def hooks():
        return list(github.store.hooks.get("octocat/hooked", []))
    page.open(f"/pipelines/{pipeline_id}", ready=".forge-hook")
    page.wait_text(".forge-hook-state", "registered (forge id")
    (hook,) = hooks()
    assert hook["config"]["url"].startswith(f"{millrace.url}/hooks/repository/")      # the served address
    assert page.text_of(".forge-hook code") == hook["config"]["url"]

    github.store.hooks["octocat/hooked"].clear()             # deleted on the forge by hand
    page.wait_text(".forge-hook-state", "missing on the forge")
    page.wait_text(".forge-hook-error", "no longer on GitHub")

    page.click("button[data-action='repair_webhook@hook']")
    page.wait_text(".forge-hook-state", "registered (forge id")
    (again,) = wait_for(hooks, message="the hook made again")
    assert again["id"] != hook["id"] and not page.all(".forge-hook-error")

    millrace.cli("delete", "hooked", "--yes")
    wait_for(lambda: not hooks(), message="the hook removed with the pipeline")
