"""A checkout against a server that accepts the connection and never answers fails on the
checkout's own time limit (setting checkout_timeout_minutes), or sooner on git's HTTP
low-speed limit, with a reason naming the repository without its credentials, and leaves
no git process behind; a normal checkout still works; the setting is validated in the
model, the CLI and the dashboard."""
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from daemon.tasks import checkout
from models import daemon_state, logs, pipelines, runs
from models.tables import TaskRun
from tests.conftest import pipeline_spec, run_until_done, script_task, tick_until, wait_for

ROOT = Path(__file__).resolve().parent.parent


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts every connection, reads nothing and never answers."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted, self._stop = [], False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)      # held open, never read or written

    def close(self):
        self._stop = True
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def silent():
    server = SilentServer()
    yield server
    server.close()


def checkout_pipeline(url: str):
    return pipelines.create(pipeline_spec("co", source={"repository": url, "branch": "main"}, stages=[
        {"name": "S", "tasks": [script_task("show", "cat README.md")]}]), "tester")


def git_processes_for(port: int) -> list[str]:
    """Command lines of live processes that still talk to the silent server's port."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if f"127.0.0.1:{port}" in cmdline:
                found.append(cmdline)
    return found


def test_a_server_that_never_answers_fails_the_checkout_on_its_own_time_limit(daemon, silent):
    daemon_state.set_setting("checkout_timeout_minutes", "0.05", "tester")         # 3 seconds
    p = checkout_pipeline(f"http://ci-bot:hunter2@127.0.0.1:{silent.port}/team/app.git")
    run = runs.enqueue_run(p, "manual", "tester")
    done = run_until_done(daemon, run.id, timeout=120)
    expected = f"checkout of http://127.0.0.1:{silent.port}/team/app.git timed out after 3 seconds " \
               f"(no answer from the server)"
    task = TaskRun.get(TaskRun.run == run.id, TaskRun.name == "checkout")
    assert (task.status, task.reason) == ("failed", expected)
    assert (done.status, done.reason) == ("failed", expected)
    assert silent.accepted, "git did reach the server"
    assert "hunter2" not in task.reason and "hunter2" not in logs.text(task.id)
    assert TaskRun.get(TaskRun.run == run.id, TaskRun.name == "show").status == "skipped"
    wait_for(lambda: not git_processes_for(silent.port), message=lambda: f"git to end: {git_processes_for(silent.port)}")


def test_a_stalled_http_transfer_ends_on_gits_low_speed_limit(daemon, silent, monkeypatch):
    monkeypatch.setattr(checkout, "LOW_SPEED_TIME_SECONDS", 1)    # the daemon runs in this process
    p = checkout_pipeline(f"http://127.0.0.1:{silent.port}/team/app.git")       # default 10-minute limit
    run = runs.enqueue_run(p, "manual", "tester")
    done = run_until_done(daemon, run.id, timeout=120)
    assert (done.status, done.reason) == (
        "failed", f"checkout of http://127.0.0.1:{silent.port}/team/app.git stopped: "
                  f"the server sent less than 1000 bytes/s for 1 s")


def test_a_normal_checkout_still_works_under_the_time_limit(daemon, repo):
    p = checkout_pipeline(repo.url)
    run = runs.enqueue_run(p, "manual", "tester")
    done = run_until_done(daemon, run.id, timeout=120)
    assert done.status == "succeeded", done.reason
    assert done.commit_sha


def test_the_setting_is_validated_by_the_model_and_the_cli(home):
    for bad in ("0", "-1", "abc", "nan", "1e3", "", "20161"):
        with pytest.raises(ValueError, match="checkout_timeout_minutes must be a number of minutes above 0"):
            daemon_state.set_setting("checkout_timeout_minutes", bad, "tester")
    assert daemon_state.get_setting("checkout_timeout_minutes") == "10"
    assert daemon_state.checkout_timeout_seconds() == 600
    cli = [sys.executable, str(ROOT / "run.py"), "--home", str(home), "settings", "checkout_timeout_minutes"]
    refused = subprocess.run([*cli, "0"], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "checkout_timeout_minutes must be a number" in refused.stderr
    accepted = subprocess.run([*cli, "2.5"], capture_output=True, text=True, timeout=60)
    assert accepted.returncode == 0 and "checkout_timeout_minutes = 2.5" in accepted.stdout
    assert daemon_state.checkout_timeout_seconds() == 150


def test_the_dashboard_marks_a_bad_limit_and_stores_nothing(home):
    import sys as _sys
    if "dashboard.pages.settings" not in _sys.modules:
        from dashboard.app import create_app
        create_app()
    from dashboard import settings_forms as forms
    from dashboard.pages import settings as page
    kaniko = daemon_state.get_setting("kaniko_image")
    assert page.mark_checkout_timeout(1, "0") == (True, daemon_state.CHECKOUT_TIMEOUT_ERROR)
    out = page.save_daemon(1, "3", forms.NO_RUNTIME, "host", kaniko, "0")
    assert out[0] is None and daemon_state.get_setting("task_slots") == "8"       # nothing stored
    assert page.mark_checkout_timeout(1, " 15 ") == (False, "")
    out = page.save_daemon(1, "3", forms.NO_RUNTIME, "host", kaniko, " 15 ")
    assert "checkouts limited to 15 minutes" in str(out[0].to_plotly_json())
    assert daemon_state.get_setting("checkout_timeout_minutes") == "15"
    assert "daemon-checkout-timeout" in str([c.to_plotly_json() for c in forms.daemon_form()])


@pytest.mark.parametrize("url, shown", [
    ("https://oauth2:glpat-xyz@gitlab.example/team/app.git", "https://gitlab.example/team/app.git"),
    ("http://user@127.0.0.1:8080/app.git", "http://127.0.0.1:8080/app.git"),
    ("git@github.com:team/app.git", "git@github.com:team/app.git"),
    ("/srv/git/app.git", "/srv/git/app.git"),
])
def test_reasons_show_the_repository_without_credentials(url, shown):
    assert checkout.without_credentials(url) == shown


def test_the_limit_reads_as_the_user_set_it():
    assert [checkout.duration_text(s) for s in (600, 60, 90, 3, 1, 0.5)] == [
        "10 minutes", "1 minute", "90 seconds", "3 seconds", "1 second", "0.5 seconds"]


def test_stopping_a_run_that_hangs_in_checkout_ends_its_git(daemon, silent):
    # timeout --foreground keeps git in the task's process group, where a stop's signals go
    p = checkout_pipeline(f"http://127.0.0.1:{silent.port}/team/app.git")
    run = runs.enqueue_run(p, "manual", "tester")
    tick_until(daemon, lambda: git_processes_for(silent.port), message="git to talk to the silent server")
    runs.request_stop(run, "tester")
    done = run_until_done(daemon, run.id, timeout=120)
    assert done.status == "stopped"
    wait_for(lambda: not git_processes_for(silent.port), message=lambda: f"git to end: {git_processes_for(silent.port)}")
