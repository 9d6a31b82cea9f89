"""Webhooks Millrace registers itself and statuses back on the commit, against the fake
forge over real HTTP, with the daemon really running (in this process, or as a process
killed at a fault point): one hook per repository, fan-out, removal, a hook deleted by
hand, a bad signature, pending → success / failure, a forge that is down."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from daemon import forge_hooks as reconciler
from dashboard.hooks import hooks_blueprint
from models import account_settings, commit_statuses, forge_accounts, forge_hooks, pipelines, runs, triggers
from models.db import utcnow
from models.errors import InUse
from models.tables import Run
from tests import webhook_payloads as wp
from tests.conftest import pipeline_spec, run_until_done, script_task, tick_until, wait_for
from tests.fakeforge.fixture import forge  # noqa: F401
from tests.test_fakeforge import connect

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def receiver(home):
    """The dashboard's webhook receiver over real HTTP; base_url points at it."""
    app = Flask("forge-hooks-test")
    app.register_blueprint(hooks_blueprint)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_port}"
    account_settings.set_value("base_url", url, "tester")
    yield url
    srv.shutdown()


def account_on(instance, login="octo"):
    account, tokens = connect(instance, "tester", login)
    return forge_accounts.store_tokens(account.id, tokens, login=login, actor="tester")


def managed(name, account, instance, repo="app", script="true", **events):
    source = {"repository": f"{instance.url}/octo/{repo}.git", "branch": "main", "account": account.id}
    p = pipelines.create(pipeline_spec(name, [{"name": "S", "tasks": [script_task("t", script)]}], source=source),
                         "tester")
    triggers.save_webhook(p, "tester", **({"push": True} | events))
    return p


def hooks_on(instance, repo="octo/app"):
    return list(instance.store.hooks.get(repo, []))


def registered(daemon, instance, repo="octo/app"):
    tick_until(daemon, lambda: hooks_on(instance, repo) and forge_hooks.ForgeHook.get_or_none(
        forge_hooks.ForgeHook.state == forge_hooks.REGISTERED), message="the hook to be registered")
    return forge_hooks.ForgeHook.get()


def runs_of(p):
    return list(Run.select().where(Run.pipeline == p))


def test_one_hook_for_two_pipelines_and_a_signed_push_runs_each_once(receiver, forge, daemon):  # noqa: F811
    instance = forge.github
    account = account_on(instance)
    instance.add_repos("octo", ["app"])
    first, second = managed("first", account, instance), managed("second", account, instance)
    row = registered(daemon, instance)
    (hook,) = hooks_on(instance)
    assert hook["config"]["url"] == f"{receiver}/hooks/repository/{row.id}" == row.receiver_url
    assert set(hook["events"]) == {"push", "pull_request"} and row.forge_hook_id == str(hook["id"])
    secret = instance.hook_secrets[hook["id"]]
    assert secret == row.secret and secret.encode() not in b"".join(
        f.read_bytes() for f in Path(os.environ["MILLRACE_HOME"]).glob("millrace.db*"))
    payload = wp.github_push(after=wp.SHA_A)
    payload["repository"] = dict(payload["repository"], html_url=f"{instance.url}/octo/app")
    headers, body = wp.github_request("push", payload, secret=secret)
    answer = requests.post(hook["config"]["url"], data=body, headers=headers, timeout=10)
    assert answer.status_code == 202
    tick_until(daemon, lambda: runs_of(first) and runs_of(second), message="a run in each pipeline")
    for _ in range(5):
        daemon.tick()
    assert [len(runs_of(first)), len(runs_of(second))] == [1, 1]
    assert runs_of(first)[0].commit_sha == wp.SHA_A
    assert forge_hooks.ForgeHook.get().last_delivery_at is not None
    # the same delivery again: a replay, no new run
    assert requests.post(hook["config"]["url"], data=body, headers=headers, timeout=10).status_code == 200
    # removing both rules: the hook is deleted on the forge and the row goes
    for p in (first, second):
        triggers.save_webhook(p, "tester", push=False, merge=False, tag=False)
    tick_until(daemon, lambda: not hooks_on(instance) and not forge_hooks.ForgeHook.select().exists(),
               message="the hook to be deleted")


def test_an_account_is_not_deregistered_before_its_hook_is_removed(receiver, forge, daemon):  # noqa: F811
    instance = forge.github
    account = account_on(instance)
    instance.add_repos("octo", ["app"])
    p = managed("p", account, instance)
    registered(daemon, instance)
    daemon.forge_upkeep.join()              # no pass still running: the next starts with the next tick
    pipelines.delete(p, "tester")
    with pytest.raises(InUse, match="webhook on 127.0.0.1/github/octo/app to remove"):
        forge_accounts.deregister(account.id, "tester")
    tick_until(daemon, lambda: not forge_hooks.ForgeHook.select().exists(), message="the hook removed")
    assert not hooks_on(instance)
    forge_accounts.deregister(account.id, "tester")


def test_a_wrong_signature_is_refused_and_starts_nothing(receiver, forge, daemon):  # noqa: F811
    instance = forge.github
    account = account_on(instance)
    instance.add_repos("octo", ["app"])
    p = managed("p", account, instance)
    row = registered(daemon, instance)
    payload = wp.github_push()
    payload["repository"] = dict(payload["repository"], html_url=f"{instance.url}/octo/app")
    headers, body = wp.github_request("push", payload, secret="not-the-secret")
    answer = requests.post(row.receiver_url, data=body, headers=headers, timeout=10)
    assert answer.status_code == 401 and "secret" in answer.json()["error"]
    for _ in range(5):
        daemon.tick()
    assert runs_of(p) == [] and [d.outcome for d in triggers.WebhookDelivery.select()] == ["rejected: bad signature"]


def test_a_hook_deleted_on_the_forge_is_detected_shown_and_repaired(receiver, forge, daemon):  # noqa: F811
    instance = forge.private_gitlab
    account = account_on(instance)
    instance.add_repos("octo", ["app"])
    p = managed("p", account, instance, merge=True)
    row = registered(daemon, instance)
    (hook,) = hooks_on(instance)
    assert hook["url"] == row.receiver_url and hook["merge_requests_events"] and hook["tag_push_events"]
    instance.store.hooks["octo/app"].clear()            # a user deletes it on the forge
    daemon.forge_upkeep.join()                          # no pass of the daemon's own runs beside this one
    reconciler.reconcile(utcnow(), check_all=True)
    row = forge_hooks.for_pipeline(p)
    assert row.state == forge_hooks.MISSING and "no longer on GitLab" in row.last_error
    forge_hooks.request_repair(p, "tester")
    row = registered(daemon, instance)
    (again,) = hooks_on(instance)
    assert row.forge_hook_id == str(again["id"]) != str(hook["id"]) and row.last_error == ""
    headers, body = wp.gitlab_request("Push Hook", dict(wp_gitlab_push(instance)), secret=instance.hook_secrets[again["id"]])
    assert requests.post(row.receiver_url, data=body, headers=headers, timeout=10).status_code == 202
    tick_until(daemon, lambda: runs_of(p), message="the run of the GitLab push")


def wp_gitlab_push(instance):
    payload = wp.gitlab_push(ref="refs/heads/main")
    payload["project"] = dict(payload["project"], web_url=f"{instance.url}/octo/app")
    return payload


@pytest.fixture
def served_repo(repo, forge, monkeypatch):  # noqa: F811
    """The fake forge's clone URL of octo/app is the real bare repository (git's insteadOf,
    given to the checkout's git through the environment the daemon passes on)."""
    monkeypatch.setenv("GIT_CONFIG_COUNT", "2")
    for n, instance in enumerate((forge.github, forge.private_gitlab)):
        monkeypatch.setenv(f"GIT_CONFIG_KEY_{n}", f"url.{repo.url}.insteadOf")
        monkeypatch.setenv(f"GIT_CONFIG_VALUE_{n}", f"{instance.url}/octo/app.git")
    return repo


@pytest.mark.parametrize("which,script,final", [("github", "true", "success"), ("github", "exit 3", "failure"),
                                                ("private_gitlab", "true", "success"),
                                                ("private_gitlab", "exit 3", "failed")])
def test_a_run_reports_pending_then_its_end_to_the_commit(receiver, forge, daemon, served_repo, which,  # noqa: F811
                                                          script, final):
    instance = getattr(forge, which)
    account = account_on(instance)
    instance.add_repos("octo", ["app"])
    p = managed("statuses", account, instance, script=script)
    run = runs.enqueue_run(p, "manual", "tester")
    done = run_until_done(daemon, run.id)
    assert done.status == ("succeeded" if script == "true" else "failed")
    sha = done.commit_sha
    tick_until(daemon, lambda: len(instance.store.statuses.get(sha, [])) == 2, message="two statuses")
    posted = instance.store.statuses[sha]
    state, context = ("state", "context") if which == "github" else ("status", "name")
    assert [s[state] for s in posted] == ["pending", final]
    assert {s["target_url"] for s in posted} == {f"{receiver}/pipelines/{p.id}/runs/{done.number}"}
    assert {s[context] for s in posted} == {"millrace/statuses"}
    for _ in range(5):
        daemon.tick()
    assert len(instance.store.statuses[sha]) == 2          # exactly once each
    assert all(r.reported_at for r in commit_statuses.of_run(done))


def test_a_forge_that_is_down_never_fails_the_run_and_the_failure_is_kept(receiver, forge, daemon,  # noqa: F811
                                                                         served_repo):
    instance = forge.github
    account = account_on(instance)
    instance.add_repos("octo", ["app"])
    p = managed("down", account, instance)
    forge.stop()
    run = runs.enqueue_run(p, "manual", "tester")
    assert run_until_done(daemon, run.id).status == "succeeded"
    rows = tick_until(daemon, lambda: [r for r in commit_statuses.of_run(run) if r.attempts] or None,
                      message="a failed report")
    assert "could not be reached" in rows[0].last_error and rows[0].reported_at is None


def test_a_daemon_killed_after_creating_the_hook_leaves_exactly_one(receiver, forge, home, tmp_path):  # noqa: F811
    instance = forge.github
    account = account_on(instance)
    instance.add_repos("octo", ["app"])
    managed("p", account, instance)

    def daemon_process(fault=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MILLRACE_FAULT")}
        if fault:
            env["MILLRACE_FAULT"] = fault
        return subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--home", str(home), "daemon"], env=env,
                                stdout=subprocess.DEVNULL, stderr=open(tmp_path / "daemon.log", "ab"))
    killed = daemon_process("forge_hook.after_create")
    assert killed.wait(timeout=60) == -9
    assert len(hooks_on(instance)) == 1 and forge_hooks.ForgeHook.get().forge_hook_id == ""
    again = daemon_process()
    try:
        wait_for(lambda: forge_hooks.ForgeHook.get().state == forge_hooks.REGISTERED, message="the hook adopted")
    finally:
        again.kill()
        again.wait()
    (hook,) = hooks_on(instance)
    assert forge_hooks.ForgeHook.get().forge_hook_id == str(hook["id"])


def test_the_pages_show_the_hook_and_a_failed_report(receiver, forge, daemon, served_repo):  # noqa: F811
    if "dashboard.pages.run_detail" not in sys.modules:     # pages register themselves with an app: make one first
        from dashboard.app import create_app
        create_app()
    from dashboard.pages import run_detail
    from dashboard.triggers import forge_hook_card
    instance = forge.github
    account = account_on(instance)
    instance.add_repos("octo", ["app"])
    p = managed("shown", account, instance)
    registered(daemon, instance)
    facts = forge_hook_card.facts(p)
    assert facts["state"] == "registered" and facts["url"].startswith(receiver) and facts["error"] == ""
    forge.stop()
    run = runs.enqueue_run(p, "manual", "tester")
    run_until_done(daemon, run.id)
    tick_until(daemon, lambda: all(r.attempts for r in commit_statuses.of_run(run)) and commit_statuses.of_run(run),
               message="both reports tried")
    shown = str(run_detail.status_reports(run_detail.snapshot(Run.get_by_id(run.id))))
    assert "not reported" in shown and "could not be reached" in shown and "trying again" in shown


def test_a_changed_base_url_moves_the_hook(receiver, forge, daemon):  # noqa: F811
    instance = forge.github
    account = account_on(instance)
    instance.add_repos("octo", ["app"])
    managed("p", account, instance)
    registered(daemon, instance)
    account_settings.set_value("base_url", "https://ci.example.com", "tester")
    daemon.forge_upkeep.join()
    reconciler.reconcile(utcnow(), check_all=True)
    (hook,) = hooks_on(instance)
    row = forge_hooks.ForgeHook.get()
    assert hook["config"]["url"] == f"https://ci.example.com/hooks/repository/{row.id}"
    assert (row.state, row.forge_hook_id) == (forge_hooks.REGISTERED, str(hook["id"]))
