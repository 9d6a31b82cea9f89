"""A burst of 200 signed webhook deliveries, received over real HTTP from 8 threads while a
real daemon process turns them into runs: every delivery gets its run, and the daemon never
meets "database is locked" (which is what a read cursor held open across a write
transaction produces in WAL mode: the read snapshot cannot be upgraded, and SQLite answers
SQLITE_BUSY at once instead of waiting in the busy handler)."""
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from werkzeug.serving import make_server

from dashboard.hooks import hooks_blueprint
from models import pipelines, triggers
from models.status import is_terminal
from models.tables import Run
from models.triggers import WebhookDelivery
from tests import webhook_payloads as wp
from tests.conftest import git, pipeline_spec, script_task, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DELIVERIES = 200
GH_REPOSITORY = "git@github.com:Octocat/Hello-World.git"   # never fetched: its pipeline is off


@pytest.fixture
def hooks_server(home):
    app = Flask("burst-test")
    app.register_blueprint(hooks_blueprint)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


class DaemonProcess:
    """`run.py daemon` on the test's home, its log in a file."""

    def __init__(self, home, log_path):
        self.log_path = log_path
        with open(log_path, "w") as log_file:
            self.proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "run.py"), "--home", str(home), "daemon"],
                                         stdout=log_file, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text()

    def check_alive(self) -> None:
        """A daemon that exited (a start-up refusal, a crash) fails the wait at once, with its log."""
        if self.proc.poll() is not None:
            raise AssertionError(f"the daemon exited with {self.proc.returncode}:\n{self.log()[-3000:]}")


@pytest.fixture
def daemon_process(home, tmp_path):
    daemon = DaemonProcess(home, tmp_path / "daemon.log")
    try:
        yield daemon
    finally:
        daemon.proc.terminate()
        daemon.proc.wait(timeout=60)


def post(url, headers, body) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status
    except urllib.error.HTTPError as err:
        return err.code


def wait_daemon(daemon: DaemonProcess, condition, what: str) -> None:
    """conftest's wait_for, failing at once if the daemon exited, with the daemon's log if it times out."""
    wait_for(lambda: daemon.check_alive() or condition(), timeout=240, ignore=(),
             message=lambda: f"{what}; the daemon's log ends:\n{daemon.log()[-3000:]}")


def burst(base: str, secret: str, payload: dict) -> list[int]:
    """DELIVERIES signed pushes of one commit from 8 threads (distinct delivery ids, as a forge
    redelivering sends them) → the HTTP status codes."""
    requests = [wp.github_request("push", payload, secret=secret) for _ in range(DELIVERIES)]
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda hb: post(f"{base}/hooks/github", *hb), requests))


def assert_clean(daemon: DaemonProcess) -> None:
    log = daemon.log()
    assert "database is locked" not in log, \
        f"{log.count('ERROR')} errors in the daemon's log, e.g.\n{log[max(0, log.find('ERROR') - 30):][:3000]}"
    assert [line for line in log.splitlines() if "trigger pass" in line and "failed" in line] == []


def wait_processed(daemon: DaemonProcess) -> None:
    wait_daemon(daemon, lambda: WebhookDelivery.select().where(WebhookDelivery.processed_at.is_null()).count() == 0,
                "the daemon to process every delivery")


def test_a_burst_for_a_deactivated_pipeline_records_every_outcome_without_database_is_locked(
        hooks_server, daemon_process):
    # The daemon's side is cheap here (no run starts), so its trigger passes meet the
    # dashboard's writes as often as they can: this is the shape that reproduced the fault.
    p = pipelines.create(pipeline_spec("hooked", source={"repository": GH_REPOSITORY, "branch": "main"},
                                       stages=[{"name": "S", "tasks": [script_task("t", "true")]}]), "tester")
    _, secret = triggers.save_webhook(p, "tester", push=True)
    pipelines.set_active(p, False, "tester")
    codes = burst(hooks_server, secret, wp.github_push())
    assert codes == [202] * DELIVERIES, Counter(codes)
    wait_processed(daemon_process)
    outcomes = [d.outcome for d in WebhookDelivery.select()]
    assert len(outcomes) == DELIVERIES and set(outcomes) == {"pipeline 'hooked' is deactivated; activate it to run it"}
    assert Run.select().count() == 0
    assert_clean(daemon_process)


@pytest.mark.slow
def test_a_burst_of_signed_deliveries_becomes_one_run_each_without_database_is_locked(
        hooks_server, daemon_process, repo):
    # A real local repository, so each run checks out and ends: real git work beside the burst.
    p = pipelines.create(pipeline_spec("hooked", source={"repository": repo.url, "branch": "main"},
                                       stages=[{"name": "S", "tasks": [script_task("t", "true")]}]), "tester")
    _, secret = triggers.save_webhook(p, "tester", push=True)
    sha = git("rev-parse", "HEAD", cwd=repo.work).strip()
    payload = wp.github_push(after=sha)
    payload["repository"] = dict(payload["repository"], html_url=repo.url, clone_url=repo.url)
    codes = burst(hooks_server, secret, payload)
    assert codes == [202] * DELIVERIES, Counter(codes)
    wait_processed(daemon_process)
    wait_daemon(daemon_process, lambda: all(is_terminal(r.status) for r in Run.select()), "every run to end")
    outcomes = [d.outcome for d in WebhookDelivery.select()]
    assert len(outcomes) == DELIVERIES and all(o.startswith("started run #") for o in outcomes), \
        sorted(set(outcomes))[:5]
    started = list(Run.select().where(Run.pipeline == p))
    assert len(started) == DELIVERIES and {r.commit_sha for r in started} == {sha}   # one run per delivery
    assert {r.status for r in started} == {"succeeded"}, {(r.status, r.reason) for r in started}
    assert_clean(daemon_process)
