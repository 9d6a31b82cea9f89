"""The README's "Remote CLI" examples, run as a user runs them against a remote Millrace.

A real dashboard and daemon serve a data directory (tests/browser/conftest.py's Millrace);
the CLI runs as subprocesses with a DIFFERENT, empty --home and HOME, so every answer comes
through /api/v1. The token reaches the CLI on standard input (`login --token-stdin`) or in
MILLRACE_TOKEN, never on a command line. Streaming is checked against a task that waits for
a file the test creates only after it has seen the first line; the reconnect goes through a
relay (tests/tcp_proxy.py) that the test cuts once.
"""
from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.browser.conftest import TESTER, TESTER_PASSWORD, Millrace, free_port
from tests.conftest import wait_for
from tests.tcp_proxy import Relay

ROOT = Path(__file__).resolve().parent.parent
RUN_PY = str(ROOT / "run.py")


def gated(name: str, gate: Path, before: int = 1, after: int = 1) -> str:
    """A pipeline whose task prints `before` lines, waits for the file `gate`, prints `after` more."""
    return f"""name: {name}
stages:
- name: S
  tasks:
  - name: t
    type: script
    image: debian
    script: |
      for i in $(seq 1 {before}); do echo "line $i"; done
      while [ ! -e '{gate}' ]; do sleep 0.05; done
      for i in $(seq {before + 1} {before + after}); do echo "line $i"; done
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A Millrace on its own data directory: dashboard + daemon, an admin's token."""
    app = Millrace(tmp_path_factory.mktemp("remote-server"), free_port())
    app.cli("migrate")
    app.cli("user", "add", TESTER, "--admin", "--password-stdin", "--no-forced-change", stdin=TESTER_PASSWORD)
    app.token = app.cli("token", "add", TESTER, "cli", "--scope", "write").strip().rsplit(" ", 1)[-1]
    app.start("dashboard", "--port", str(app.port), log_name="dashboard.log")
    app.start("daemon", log_name="daemon.log")

    def running():
        with urllib.request.urlopen(app.url + "/api/health", timeout=2) as response:
            return b'"running"' in response.read()
    try:
        wait_for(running, interval=0.2, message="the dashboard and the daemon's first heartbeat")
        yield app
    finally:
        app.stop_all()


class Client:
    """`python run.py …` on a machine that has no Millrace data: an empty --home and HOME."""

    def __init__(self, root: Path, **env):
        self.home, self.data = root / "user-home", root / "no-data-here"
        self.home.mkdir()
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("XDG_CONFIG_HOME", "MILLRACE_HOME", "MILLRACE_URL", "MILLRACE_TOKEN")}
        self.env.update(HOME=str(self.home), **env)

    @property
    def config(self) -> Path:
        return self.home / ".config" / "millrace" / "client.json"

    def argv(self, *args) -> list[str]:
        return [sys.executable, RUN_PY, "--home", str(self.data), *args]

    def __call__(self, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(self.argv(*args), input=stdin, capture_output=True, text=True, cwd=ROOT,
                              env=self.env, timeout=300)

    def start(self, *args, **env) -> subprocess.Popen:
        return subprocess.Popen(self.argv(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=ROOT, env={**self.env, **env}, bufsize=1)

    def status(self, label: str) -> str:
        return json.loads(self("show", label, "--json").stdout)["status"]


@pytest.fixture
def client(server, tmp_path):
    """A client logged in to `server` (the README's first example)."""
    c = Client(tmp_path)
    done = c("login", server.url, "--token-stdin", stdin=server.token + "\n")
    assert done.returncode == 0, done.stderr
    return c


def own(lines: list[str]) -> list[str]:
    """The lines without Millrace's own notes in a log ("[millrace] running on this machine's shell…")."""
    return [line for line in lines if not line.startswith("[millrace] ")]


def read_until(proc: subprocess.Popen, pattern: str, seen: list[str]) -> str:
    """Lines of proc's output until one matches (all kept in `seen`)."""
    for line in proc.stdout:
        seen.append(line.rstrip("\n"))
        if re.search(pattern, line):
            return line
    raise AssertionError(f"the output ended without /{pattern}/: {seen}; stderr: {proc.stderr.read()}")


def test_login_checks_the_token_and_stores_it_for_the_user_only(server, tmp_path):
    c = Client(tmp_path)
    refused = c("login", server.url, "--token-stdin", stdin="mrt_not_a_real_token\n")
    assert refused.returncode == 1 and "(401)" in refused.stderr and "login" in refused.stderr
    assert not c.config.exists()
    done = c("login", server.url + "/", "--token-stdin", stdin=server.token + "\n")
    assert done.returncode == 0, done.stderr
    assert f"logged in to {server.url} as {TESTER}" in done.stdout and server.token not in done.stdout + done.stderr
    assert json.loads(c.config.read_text()) == {"url": server.url, "token": server.token}
    assert stat.S_IMODE(c.config.stat().st_mode) == 0o600
    assert stat.S_IMODE(c.config.parent.stat().st_mode) == 0o700
    listed = c("pipelines", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout) == []       # the server's, not a local one
    assert not c.data.exists()                                              # no data directory was made
    assert "logged out" in c("logout").stdout and not c.config.exists()


def test_apply_then_run_wait_follow_prints_lines_while_the_task_runs(server, client, tmp_path):
    spec, gate = tmp_path / "streamed.yaml", tmp_path / "gate"
    spec.write_text(gated("streamed", gate))
    assert client("apply", "-f", str(spec)).stdout == "pipeline 'streamed' created\n"
    assert client("apply", "-f", str(spec)).stdout == "pipeline 'streamed' unchanged\n"
    proc, seen = client.start("run", "streamed", "--wait", "--follow"), []
    try:
        read_until(proc, r"^line 1$", seen)
        # the first line arrived while the task is still running: it waits for the gate
        assert not gate.exists() and client.status("streamed#1") == "running"
        gate.touch()
        rest, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert own(seen) == ["queued streamed#1", "── S / t", "line 1"]
    assert own(rest.splitlines()) == ["line 2", "streamed#1 succeeded"]


def test_a_dropped_stream_resumes_without_losing_or_repeating_a_line(server, client, tmp_path):
    spec, gate = tmp_path / "relayed.yaml", tmp_path / "gate"
    spec.write_text(gated("relayed", gate, before=5, after=5))
    client("apply", "-f", str(spec))
    relay = Relay(server.port)
    try:
        # the stored token is for the server's own address, so the relay's gets it from the
        # environment (a stored token never goes to another URL)
        proc = client.start("--url", relay.url, "run", "relayed", "--wait", "--follow", MILLRACE_TOKEN=server.token)
        seen: list[str] = []
        read_until(proc, r"^line 5$", seen)
        assert relay.cut() > 0
        # the CLI connects again, naming the last line it printed
        wait_for(lambda: any(b"Last-Event-ID: " in r for r in relay.requests), message="the reconnect")
        gate.touch()
        rest, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
        relay.close()
    assert proc.returncode == 0, err
    numbered = [int(m.group(1)) for m in map(re.compile(r"^line (\d+)$").match, seen + rest.splitlines()) if m]
    assert numbered == list(range(1, 11))
    assert rest.splitlines()[-1] == "relayed#1 succeeded"


def test_logs_failed_shows_only_the_failing_task_and_run_wait_exits_1(client, tmp_path):
    spec = tmp_path / "mixed.yaml"
    spec.write_text("name: mixed\nstages:\n- name: S\n  mode: parallel\n  tasks:\n"
                    "  - {name: good, type: script, image: debian, script: 'echo all fine'}\n"
                    "  - {name: bad, type: script, image: debian, script: 'echo it broke; exit 3'}\n")
    client("apply", "-f", str(spec))
    waited = client("run", "mixed", "--wait")
    assert waited.returncode == 1
    assert "mixed#1 failed: task 'bad' in stage 'S' failed: exit code 3" in waited.stdout
    failed = client("logs", "mixed#1", "--failed")
    assert failed.returncode == 0 and own(failed.stdout.splitlines()) == ["── S / bad", "it broke"]
    everything = client("logs", "mixed#1").stdout
    assert "all fine" in everything and "it broke" in everything


def test_stop_ends_a_waiting_run_which_exits_4(client, tmp_path):
    spec = tmp_path / "stuck.yaml"
    spec.write_text(gated("stuck", tmp_path / "never"))
    client("apply", "-f", str(spec))
    proc = client.start("run", "stuck", "--wait")
    try:
        wait_for(lambda: client.status("stuck#1") == "running", message="the run to start")
        stopped = client("stop", "stuck#1")
        assert stopped.returncode == 0 and stopped.stdout == "stop requested for stuck#1\n"
        out, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 4, err
    assert out.splitlines()[-1] == f"stuck#1 stopped: stopped by {TESTER}"
    again = client("stop", "stuck#1")
    assert again.returncode == 1 and again.stdout == "stuck#1 is not running (stopped)\n"


def test_errors_say_what_went_wrong(server, client, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nstages:\n- name: S\n  tasks:\n  - name: t\n    type: script\n")
    refused = client("apply", "-f", str(bad))
    assert refused.returncode == 1
    assert "stages[0].tasks[0].image: required" in refused.stderr, refused.stderr
    missing = client("export", "nope")
    assert missing.returncode == 1 and "no pipeline named 'nope'" in missing.stderr and "(404)" in missing.stderr
    assert client("run").returncode == 2                                    # usage
    down = client("--url", f"http://127.0.0.1:{free_port()}", "pipelines")
    assert down.returncode == 1 and "cannot reach http://127.0.0.1:" in down.stderr
    assert "Traceback" not in refused.stderr + missing.stderr + down.stderr
    # the environment names a server (and a token) over the stored login
    (tmp_path / "env").mkdir()
    other = Client(tmp_path / "env", MILLRACE_URL=server.url, MILLRACE_TOKEN="mrt_wrong")
    assert "(401)" in other("pipelines").stderr


def test_the_other_verbs_go_through_the_api_with_the_local_printers(server, client, tmp_path):
    spec = tmp_path / "plain.yaml"
    spec.write_text("name: plain\nparameters:\n  WHO: world\nstages:\n- name: S\n  tasks:\n"
                    "  - {name: hi, type: script, image: debian, script: 'echo hello $WHO'}\n")
    client("apply", "-f", str(spec))
    queued = json.loads(client("run", "plain", "--param", "WHO=api", "--json").stdout)
    assert queued["label"] == "plain#1" and queued["parameters"] == {"WHO": "api"}
    wait_for(lambda: client.status("plain#1") == "succeeded", message="plain#1 to succeed")
    lines = [json.loads(line) for line in client("logs", "plain#1", "--json").stdout.splitlines()]
    assert {"task": "hi", "stage": "S", "text": "hello api", "stream": "out"}.items() <= lines[-1].items()
    rerun = client("rerun", "plain#1", "--wait")
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.splitlines() == ["queued plain#2 (re-run of #1, definition version 1)", "plain#2 succeeded"]
    assert [r["label"] for r in json.loads(client("runs", "plain", "--json").stdout)] == ["plain#2", "plain#1"]
    assert re.search(r"^plain#2\s+succeeded\s+rerun\s", client("runs", "plain").stdout, re.M)
    shown = client("show", "plain#1").stdout.splitlines()
    assert shown[0] == "plain#1  succeeded" and re.match(rf"cause: manual \(by {TESTER}\)  version: 1$", shown[1])
    assert re.search(r"^S\s+hi\s+succeeded", client("show", "plain#1").stdout, re.M)
    listed = {p["name"]: p for p in json.loads(client("pipelines", "--json").stdout)}
    assert listed["plain"]["last_run"]["label"] == "plain#2"
    assert "WHO: world" in client("export", "plain").stdout
    assert client("triggers", "plain").stdout == "pipeline 'plain' (active), concurrency allow\n"
    assert json.loads(client("triggers", "plain", "--json").stdout)["timed"] is None
    assert client("releases").stdout == "no release: deploy chart tasks create them\n"


def test_run_wait_exits_3_when_the_server_has_no_daemon(tmp_path):
    app = Millrace(tmp_path / "server", free_port())
    app.home.mkdir()
    app.cli("migrate")
    app.cli("user", "add", TESTER, "--admin", "--password-stdin", "--no-forced-change", stdin=TESTER_PASSWORD)
    token = app.cli("token", "add", TESTER, "cli", "--scope", "run").strip().rsplit(" ", 1)[-1]
    app.apply(gated("idle", tmp_path / "gate"))
    app.start("dashboard", "--port", str(app.port), log_name="dashboard.log")
    try:
        wait_for(lambda: urllib.request.urlopen(app.url + "/api/health", timeout=2).status == 200,
                 interval=0.2, message="the dashboard to answer")
        (tmp_path / "client").mkdir()
        c = Client(tmp_path / "client", MILLRACE_URL=app.url, MILLRACE_TOKEN=token)
        waited = c("run", "idle", "--wait")
        assert waited.returncode == 3 and "no Millrace daemon is running on " + app.url in waited.stderr
        assert waited.stdout == "queued idle#1\n"
    finally:
        app.stop_all()
