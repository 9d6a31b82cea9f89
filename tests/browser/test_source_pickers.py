"""The code source pickers in headless Chromium against a real dashboard and the fake forge
(issue 15, part B): connect a GitHub account, open the editor on a pipeline with a plain
git URL, choose GitHub, the account, page through and search its 5,000 repositories, pick
one and a branch, save → the definition names the clone URL, the branch and the account;
the grant revoked on the forge → the picker names the Code repositories page.
Per-page picker latency (from the action to the options shown) is printed, not asserted."""
from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from dashboard.editor import ids as eid
from tests.browser.conftest import via_models
from tests.browser.pages import Page
from tests.browser.test_editor import Editor, stored
from tests.browser.test_repositories import connect
from tests.conftest import wait_for

pytestmark = pytest.mark.slow

LOGIN = "picker-user"
PLAIN = """
name: picked-source
source:
  repository: https://git.example/plain.git
  branch: main
stages:
- name: S
  tasks:
  - {name: t, type: script, image: busybox, script: "true"}
"""


def options(ed, part):
    """The select's option values, read in one script (per-option WebDriver calls would be the
    slowest part of the latency measured)."""
    return ed.d.execute_script("return [...arguments[0].options].map(o => o.value).filter(v => v);",
                               ed.el(eid.pick(part)))


def timed(what, action, shown, ed=None):
    started = time.perf_counter()
    action()
    wait_for(shown, message=lambda: f"{what} (repositories offered: {options(ed, 'repo')[:5]})" if ed else what,
             interval=0.01)
    print(f"picker latency (browser): {what}: {1000 * (time.perf_counter() - started):.0f} ms")


def test_pick_account_repository_and_branch_then_save(chrome, millrace, fake_forge):
    github = fake_forge.github
    github.sign_in(LOGIN)
    github.add_repos(LOGIN, [f"service-{n:04d}" for n in range(5000)], branches=("main", "develop"))
    connect(Page(chrome, millrace.url), github, "GitHub")
    millrace.apply(PLAIN)
    pipeline_id = stored(millrace, "picked-source")[0]
    ed = Editor(chrome, f"{millrace.url}/pipelines/{pipeline_id}/edit")
    ed.click_node("source")
    wait_for(lambda: ed.el(eid.pick("forge")), message="the forge select")
    url = f"{github.url}/{LOGIN}/service-"
    account = str(via_models(millrace, "next(a.id for a in __import__('models.forge_accounts').forge_accounts"
                                       f".visible('tester') if a.login == {LOGIN!r})"))

    def choose_account():
        Select(ed.el(eid.pick("forge"))).select_by_value("github")
        wait_for(lambda: account in [o.get_attribute("value") for o in
                                     Select(ed.el(eid.field("source.account"))).options], message="the account offered")
        if ed.el(eid.field("source.account")).get_attribute("value") != account:    # another account came first
            Select(ed.el(eid.field("source.account"))).select_by_value(account)
    timed("forge and account chosen → first page", choose_account, lambda: f"{url}0000.git" in options(ed, "repo"), ed)
    timed("next page", lambda: ed.el(eid.pick("next")).click(), lambda: f"{url}0050.git" in options(ed, "repo"))
    timed("previous page", lambda: ed.el(eid.pick("prev")).click(), lambda: f"{url}0000.git" in options(ed, "repo"))

    def search():
        box = ed.el(eid.pick("search"))
        box.send_keys("service-4321")
        box.send_keys(Keys.ENTER)
    timed("search", search, lambda: f"{url}4321.git" in options(ed, "repo") and len(options(ed, "repo")) == 2, ed)
    timed("refresh", lambda: ed.el(eid.pick("refresh")).click(), lambda: f"{url}4321.git" in options(ed, "repo"))
    timed("branches", lambda: Select(ed.el(eid.pick("repo"))).select_by_value(f"{url}4321.git"),
          lambda: "develop" in options(ed, "branch"))
    wait_for(lambda: ed.el(eid.field("source.repository")).get_attribute("value") == f"{url}4321.git",
             message="the repository field filled in")
    Select(ed.el(eid.pick("branch"))).select_by_value("develop")
    wait_for(lambda: ed.el(eid.field("source.branch")).get_attribute("value") == "develop",
             message="the branch field filled in")
    ed.el(eid.SAVE).click()
    wait_for(lambda: stored(millrace, "picked-source")[1] == 2, message="version 2")
    assert stored(millrace, "picked-source")[2]["source"] == {
        "repository": f"{url}4321.git", "branch": "develop", "account": int(account)}
    # The account's grant revoked on the forge (this user's tokens only: the forge is the session's):
    # the picker says so, naming the page that fixes it.
    with github.store.lock:
        for token in github.store.tokens:
            if token.user.login == LOGIN:
                token.revoked = True
    ed = Editor(chrome, f"{millrace.url}/pipelines/{pipeline_id}/edit")        # saving left the editor
    ed.click_node("source")
    wait_for(lambda: Select(ed.el(eid.pick("forge"))).first_selected_option.get_attribute("value") == "github",
             message="the stored account's forge shown")
    ed.el(eid.pick("refresh")).click()
    wait_for(lambda: "Code repositories page" in ed.el(eid.pick("note")).text, message="the forge's refusal shown")
    assert "needs re-authorisation" in ed.el(eid.pick("note")).text
    millrace.cli("delete", "picked-source", "--yes")
