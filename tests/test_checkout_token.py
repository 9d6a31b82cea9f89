"""Checking out with a code repository account's token (daemon/git_credentials.py)
against a real `git http-backend` that requires the token (tests/fakeforge/git_http.py): the
checkout succeeds, and the token appears nowhere else — not in the data directory's bytes
(the sealed column is ciphertext), the task log, the workspace's .git/config, or any
process's command line sampled while git waits for the server's answer. An expired GitLab
token is refreshed before the checkout; a revoked one fails it naming the Code repositories
page."""
from __future__ import annotations

from pathlib import Path

import pytest

from models import forge_accounts, logs, pipelines, runs
from models.forge_accounts import State
from models.tables import Run, TaskRun
from tests.conftest import pipeline_spec, run_until_done, script_task
from tests.fakeforge.accounts import connected_account
from tests.fakeforge.fixture import forge  # noqa: F401  (pytest fixture)
from tests.fakeforge.git_http import TokenGitServer
from tests.fakekube.fixture import fake_kube  # noqa: F401  (pytest fixture)


@pytest.fixture
def git_remote(tmp_path, forge):  # noqa: F811
    servers = []

    def make(instance):
        server = TokenGitServer(tmp_path / f"remote-{instance.kind}", instance)
        server.publish("team/app", {"README.md": "hello from the private repository\n"}, branch="main")
        servers.append(server)
        return server
    yield make
    for server in servers:
        server.stop()


def all_command_lines() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
            except OSError:
                continue
    return found


def account_pipeline(remote, account):
    spec = pipeline_spec("private", source={"repository": remote.url("team/app"), "branch": "main",
                                            "account": account.id},
                         stages=[{"name": "S", "tasks": [script_task("show", "cat README.md")]}])
    return pipelines.create(spec, "tester")


def bytes_under(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def test_a_checkout_uses_the_accounts_token_and_shows_it_nowhere(home, daemon, forge, git_remote):  # noqa: F811
    account = connected_account(forge.github)
    remote = git_remote(forge.github)
    token = forge.github.live_tokens()[-1].access_token
    samples = []
    remote.during_request = lambda: samples.append(all_command_lines())
    run = runs.enqueue_run(account_pipeline(remote, account), "manual", "tester")
    done = run_until_done(daemon, run.id, timeout=120)
    checkout_task = TaskRun.get(TaskRun.run == run.id, TaskRun.name == "checkout")
    show = TaskRun.get(TaskRun.run == run.id, TaskRun.name == "show")
    assert done.status == "succeeded", (done.reason, logs.text(checkout_task.id))
    assert "hello from the private repository" in logs.text(show.id)
    assert remote.authorised >= 2 and remote.refused >= 1      # asked without, then with the token
    # At each authorised request git was waiting for the answer: its processes were sampled then.
    port = remote.base_url.rsplit(":", 1)[1]
    assert any(f"127.0.0.1:{port}" in line for sample in samples for line in sample), samples[:1]
    assert not [line for sample in samples for line in sample if token in line]
    for task in (checkout_task, show):
        assert token not in logs.text(task.id)
    workspaces = [p for p in home.rglob(".git") if p.is_dir()]
    assert workspaces and all(token not in (p / "config").read_text() for p in workspaces)
    assert token.encode() not in bytes_under(home)
    assert "using the token of code repository account" in logs.text(checkout_task.id)


def test_an_expired_gitlab_token_is_refreshed_before_the_checkout(home, daemon, forge, git_remote):  # noqa: F811
    account = connected_account(forge.gitlab)
    remote = git_remote(forge.gitlab)
    old = forge.gitlab.live_tokens()[-1].access_token
    forge.gitlab.expire_tokens()
    forge_accounts.ForgeAccount.update(token_expires_at=forge_accounts.utcnow()).where(
        forge_accounts.ForgeAccount.id == account.id).execute()       # the product's view: it expired too
    run = runs.enqueue_run(account_pipeline(remote, account), "manual", "tester")
    done = run_until_done(daemon, run.id, timeout=120)
    assert done.status == "succeeded", done.reason
    assert [r["grant_type"] for r in forge.gitlab.token_requests][-1] == "refresh_token"
    fresh = forge.gitlab.live_tokens()[-1].access_token
    assert fresh != old and remote.authorised >= 1
    assert fresh.encode() not in bytes_under(home)


def test_a_revoked_account_fails_the_checkout_naming_the_page(home, daemon, forge, git_remote):  # noqa: F811
    account = connected_account(forge.gitlab)
    remote = git_remote(forge.gitlab)
    forge.gitlab.revoke_tokens()
    forge_accounts.mark_revoked(account.id, "GitLab refused the token")
    run = runs.enqueue_run(account_pipeline(remote, account), "manual", "tester")
    done = run_until_done(daemon, run.id, timeout=120)
    checkout_task = TaskRun.get(TaskRun.run == run.id, TaskRun.name == "checkout")
    assert done.status == "failed"
    assert "needs re-authorisation" in checkout_task.reason
    assert "the Code repositories page (/repositories)" in checkout_task.reason
    assert forge_accounts.get(account.id).state == State.NEEDS_REAUTHORISATION
    assert remote.authorised == 0


def test_a_pods_checkout_takes_the_token_from_its_secret_never_the_pod_spec(home, forge, git_remote, fake_kube,  # noqa: F811
                                                                            clock, tmp_path):
    import base64
    import json

    from daemon import git_credentials
    from tests.fakekube.kubelet import run_pod
    from tests.fakekube.routes import BY_KEY
    from tests.test_kube_executor import make_executor, make_launch, read_all
    account = connected_account(forge.github)
    remote = git_remote(forge.github)
    source = {"repository": remote.url("team/app"), "branch": "main", "account": account.id}
    credential = git_credentials.for_source(source)
    token = credential["MILLRACE_GIT_TOKEN"]
    executor = make_executor(fake_kube, clock, [])
    launch = make_launch(tmp_path, script="cat README.md\n",
                         source={**source, "commit": "", "credential": credential})
    handle = executor.start(launch)
    pod = fake_kube.pod(handle["pod"])
    assert token not in json.dumps(pod)
    init_env = {e["name"]: e for e in pod["spec"]["initContainers"][0]["env"]}
    assert init_env["MILLRACE_GIT_TOKEN"]["valueFrom"]["secretKeyRef"]["key"] == "source.token"
    stored = fake_kube.store.get(BY_KEY["secrets"], fake_kube.namespace, handle["pod"])["data"]
    assert base64.b64decode(stored["source.token"]).decode() == token
    assert run_pod(fake_kube, handle["pod"], tmp_path / "kubelet") == 0
    executor.poll(handle)
    text, _ = read_all(executor, handle, clock=clock)
    assert "hello from the private repository" in text and token not in text
    assert remote.authorised >= 1
    assert all(token not in p.read_text() for p in (tmp_path / "kubelet").rglob(".git/config"))


def test_on_a_cluster_the_daemon_puts_the_token_in_the_secret_only(home, forge, git_remote, fake_kube,  # noqa: F811
                                                                    tmp_path):
    """The whole path: the daemon's local checkout, then a pod whose init container checks out
    with the token the daemon fetched at its start; every pod spec the fake API received is
    free of it, and the log and data directory too."""
    import json

    from tests.fakekube.kubelet import run_pod
    from tests.fakekube.millrace import make_daemon, pod_of, register
    from tests.conftest import tick_until
    register(fake_kube)
    account = connected_account(forge.github)
    remote = git_remote(forge.github)
    token = forge.github.live_tokens()[-1].access_token
    spec = pipeline_spec("on-cluster", source={"repository": remote.url("team/app"), "branch": "main",
                                               "account": account.id},
                         stages=[{"name": "S", "tasks": [script_task("show", "cat README.md", image="busybox")]}])
    daemon = make_daemon()
    try:
        run = runs.enqueue_run(pipelines.create(spec, "tester"), "manual", "tester")
        pod = tick_until(daemon, lambda: pod_of(run.id, "show"), message="the task's pod")
        assert run_pod(fake_kube, pod, tmp_path / "kubelet") == 0
        done = tick_until(daemon, lambda: (r := Run.get_by_id(run.id)).finished_at and r, message="the end")
    finally:
        daemon.shutdown()
    show = TaskRun.get(TaskRun.run == run.id, TaskRun.name == "show")
    assert done.status == "succeeded", (done.reason, logs.text(show.id))
    assert "hello from the private repository" in logs.text(show.id) and token not in logs.text(show.id)
    pods_ever = [json.dumps(obj) for _, _, key, obj in fake_kube.store.history if key == "pods"]
    assert pods_ever and not any(token in text for text in pods_ever)
    assert remote.authorised >= 4          # the daemon's checkout, then the pod's
    assert token.encode() not in bytes_under(home)
