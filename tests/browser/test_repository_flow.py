"""Issue 15's whole flow in headless Chromium, against the real dashboard and daemon and the
fake forge over real HTTP: connect a GitHub and a GitLab private-instance account on the
forge's consent page; pick a repository and branch of the GitHub account in the editor and
save; a push rule in the trigger rules dialog → exactly one hook on the forge; a second
pipeline on the repository with a push rule → still one; a push signed with the hook's
secret, sent to the hook's URL as the forge sends it → one run in each pipeline, whose
checkout clones the forge's git with the account's token; both rules removed → the hook
deleted on the forge; deregistering the account refused while the pipelines name it (naming
them), done once they are deleted. Everything made here is removed (the session is shared)."""
from __future__ import annotations

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from dashboard import ids
from dashboard.editor import ids as eid
from tests import webhook_payloads as wp
from tests.browser.conftest import via_models
from tests.browser.pages import Page
from tests.browser.test_editor import Editor, stored
from tests.browser.test_repositories import connect
from tests.browser.test_source_pickers import options
from tests.browser.test_triggers_ui import close_dialog
from tests.conftest import wait_for
from tests.fakeforge.git_http import TokenGitServer

pytestmark = pytest.mark.slow

LOGIN, REPO = "flow-user", "flow-app"
PLAIN = """
name: flow-one
source:
  repository: https://git.example/plain.git
  branch: main
stages:
- name: S
  tasks:
  - {name: t, type: script, image: busybox, script: "cat README.md"}
"""
SECOND = """
name: flow-two
source:
  repository: {url}
  branch: main
  account: {account}
stages:
- name: S
  tasks:
  - {{name: t, type: script, image: busybox, script: "cat README.md"}}
"""
ACCOUNTS = "__import__('models.forge_accounts').forge_accounts.visible('tester')"
RUNS = ("[[r.finished_at is not None and r.status for r in __import__('models.tables').tables.Run.select()"
        ".where(__import__('models.tables').tables.Run.pipeline == pipelines.get(n))] for n in ('flow-one', 'flow-two')]")
HOOK_ROWS = "__import__('models.forge_hooks').forge_hooks.ForgeHook.select().count()"


@pytest.fixture
def forge_git(tmp_path, fake_forge):
    """The fake GitHub's clone URL of flow-user/flow-app answers git (a README on main)."""
    github = fake_forge.github
    github.add_repos(LOGIN, [REPO])
    remote = TokenGitServer(tmp_path / "forge-git", github)
    sha = remote.publish(f"{LOGIN}/{REPO}", {"README.md": "hello from the forge\n"}, branch="main")
    github.git_remote = remote
    yield sha
    github.git_remote = None
    remote.stop()


def account_of(millrace, instance):
    return via_models(millrace, f"next(a.id for a in {ACCOUNTS} if a.login == {LOGIN!r} "
                                f"and a.base_url == {instance.url!r})")


def pick_repository(chrome, millrace, account, clone_url):
    """In the editor of flow-one: GitHub, the account, the repository, branch main; save."""
    pipeline_id = stored(millrace, "flow-one")[0]
    ed = Editor(chrome, f"{millrace.url}/pipelines/{pipeline_id}/edit")
    ed.click_node("source")
    wait_for(lambda: ed.el(eid.pick("forge")), message="the forge select")
    Select(ed.el(eid.pick("forge"))).select_by_value("github")
    account_select = eid.field("source.account")
    wait_for(lambda: str(account) in [o.get_attribute("value") for o in Select(ed.el(account_select)).options],
             message="the account offered")
    if ed.el(account_select).get_attribute("value") != str(account):     # another GitHub account came first
        Select(ed.el(account_select)).select_by_value(str(account))
    wait_for(lambda: clone_url in options(ed, "repo"), message="the repository offered")
    Select(ed.el(eid.pick("repo"))).select_by_value(clone_url)
    wait_for(lambda: "main" in options(ed, "branch"), message="the branches offered")
    Select(ed.el(eid.pick("branch"))).select_by_value("main")
    wait_for(lambda: ed.el(eid.field("source.repository")).get_attribute("value") == clone_url,
             message="the repository field filled in")
    ed.el(eid.SAVE).click()
    wait_for(lambda: stored(millrace, "flow-one")[1] == 2, message="version 2")
    assert stored(millrace, "flow-one")[2]["source"] == {"repository": clone_url, "branch": "main",
                                                         "account": account}
    return pipeline_id


def toggle_push_rule(page, pipeline_id, name):
    """The trigger rules dialog on the pipeline page: tick (or untick) push, save."""
    page.open(f"/pipelines/{pipeline_id}", ready=f"#{ids.TRIG_OPEN}")
    page.click(f"#{ids.TRIG_OPEN}")
    page.wait_text(f"#{ids.TRIG_TITLE}", f"Trigger rules of {name}")
    page.click(f"#{ids.TRIG_EVENTS} input[value='push']")
    page.click(f"#{ids.TRIG_SAVE}")
    wait_for(lambda: page.all(f".modal.show #{ids.TRIG_SECRET_VALUE}")
             or not page.all(f".modal.show #{ids.TRIG_SAVE}"), message="the rules saved")
    if page.all(f".modal.show #{ids.TRIG_SAVE}"):       # a new webhook's secret is shown: close the dialog
        close_dialog(page)


def deregister(page, account, refused_naming=(), tab_label="GitHub"):
    page.open("/repositories", ready=".repos-setup")
    if tab_label != "GitHub":
        page.driver.find_element(By.LINK_TEXT, tab_label).click()
    page.click(f"tr[data-account='{account}'] .repos-deregister")
    if refused_naming:
        for name in refused_naming:
            page.wait_text(".modal.show .repos-in-use-warning", name)
        assert not page.css(".modal.show #repos-dialog-confirm").is_enabled()
        page.click(".modal.show #repos-dialog-cancel")
        wait_for(lambda: not page.all(".modal.show"), message="the dialog to close")
        return
    page.wait_text(".modal.show #repos-dialog-body", "Deregister")
    page.click(".modal.show #repos-dialog-confirm")
    page.wait_text("#repos-feedback", "deregistered")
    wait_for(lambda: not page.all(f"tr[data-account='{account}']"), message="the account's row to go")


def test_connect_pick_hook_push_runs_unhook_and_deregister(chrome, millrace, fake_forge, daemon, forge_git):
    github, gitlab = fake_forge.github, fake_forge.private_gitlab
    page = Page(chrome, millrace.url)
    github.sign_in(LOGIN)
    gitlab.sign_in(LOGIN)
    connect(page, github, "GitHub")
    connect(page, gitlab, "GitLab", private_url=gitlab.url)
    github_account, gitlab_account = account_of(millrace, github), account_of(millrace, gitlab)
    clone_url, full_name = f"{github.url}/{LOGIN}/{REPO}.git", f"{LOGIN}/{REPO}"

    def hooks():
        return list(github.store.hooks.get(full_name, []))

    millrace.apply(PLAIN)
    first = pick_repository(chrome, millrace, github_account, clone_url)
    toggle_push_rule(page, first, "flow-one")
    page.open(f"/pipelines/{first}", ready=".forge-hook")
    page.wait_text(".forge-hook-state", "registered (forge id")
    (hook,) = wait_for(hooks, message="the hook on the forge")

    millrace.apply(SECOND.format(url=clone_url, account=github_account))
    millrace.cli("webhook", "flow-two", "--events", "push")
    second = via_models(millrace, "pipelines.get('flow-two').id")
    page.open(f"/pipelines/{second}", ready=".forge-hook")
    page.wait_text(".forge-hook-state", "registered (forge id")      # the shared hook, as flow-two sees it
    assert [h["id"] for h in hooks()] == [hook["id"]]

    payload = wp.github_push(after=forge_git)
    payload["repository"] = dict(payload["repository"], html_url=f"{github.url}/{full_name}")
    headers, body = wp.github_request("push", payload, secret=github.hook_secrets[hook["id"]])
    assert requests.post(hook["config"]["url"], data=body, headers=headers, timeout=10).status_code == 202
    finished = wait_for(lambda: (lambda runs: runs if all(r and all(r) for r in runs) else None)(
        via_models(millrace, RUNS)), timeout=300, message="a finished run in each pipeline")
    assert finished == [["succeeded"], ["succeeded"]]

    toggle_push_rule(page, first, "flow-one")                        # unticked
    millrace.cli("webhook", "flow-two", "--events", "")
    wait_for(lambda: not hooks() and via_models(millrace, HOOK_ROWS) == 0, message="the hook deleted on the forge")

    deregister(page, github_account, refused_naming=("flow-one", "flow-two"))
    for name in ("flow-one", "flow-two"):
        millrace.cli("delete", name, "--yes")
    deregister(page, github_account)
    deregister(page, gitlab_account, tab_label="GitLab")
