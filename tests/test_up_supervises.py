"""`run.py up` (issue 12, small items): it restarts its daemon when the daemon dies
(here: kill -9), with a backoff, and the dashboard says so; `run.py webhook` prints URLs
for the port the dashboard really serves. Real processes on a real data directory."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import stop_processes_under, wait_for

ROOT = Path(__file__).resolve().parent.parent
RUN_PY = ROOT / "run.py"

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(url: str) -> dict:
    with urllib.request.urlopen(url + "/api/health", timeout=5) as response:
        return json.loads(response.read())


def test_up_restarts_a_killed_daemon_and_the_dashboard_says_so(tmp_path):
    home, port = tmp_path / "home", free_port()
    url = f"http://127.0.0.1:{port}"
    cli = [sys.executable, str(RUN_PY), "--home", str(home)]
    subprocess.run([*cli, "migrate"], check=True, capture_output=True, cwd=ROOT, timeout=120)
    log = open(tmp_path / "up.log", "wb")
    up = subprocess.Popen([*cli, "--as", "tester", "up", "--port", str(port)], cwd=ROOT, stdout=log,
                          stderr=subprocess.STDOUT, start_new_session=True)
    try:
        first = wait_for(lambda: health(url)["daemon_pid"], message="the first daemon's heartbeat")
        os.kill(first, signal.SIGKILL)
        second = wait_for(lambda: (pid := health(url)["daemon_pid"]) not in (None, first) and pid,
                          message="a new daemon's heartbeat")
        assert second != first and up.poll() is None
        # the first start made the administrator and printed its password once (the README's first command)
        printed = (tmp_path / "up.log").read_text()
        password = (home / "initial-admin-password").read_text().strip()
        assert f"first administrator: user 'admin', password {password}" in printed
        assert (home / "initial-admin-password").stat().st_mode & 0o777 == 0o600
        token = subprocess.run([*cli, "token", "add", "admin", "t", "--scope", "read"], capture_output=True,
                               text=True, cwd=ROOT, timeout=120, check=True).stdout.strip().rsplit(" ", 1)[-1]
        request = urllib.request.Request(url + "/_dash-layout", headers={"Authorization": f"Bearer {token}"})
        layout = urllib.request.urlopen(request, timeout=10).read().decode()
        assert "Daemon restarted: " in layout and "was killed (SIGKILL)" in layout and f"pid {second}" in layout
        assert "exited with -9; restarting it in 1 s" in (tmp_path / "up.log").read_text()
        # The webhook URLs name the port this dashboard serves (not 8050).
        shown = subprocess.run([*cli, "--as", "tester", "webhook", "sample"], capture_output=True, text=True,
                               cwd=ROOT, timeout=120)
        assert shown.returncode == 0, shown.stderr
        assert f"GitHub payload URL: {url}/hooks/github" in shown.stdout
        # Stopping `up` stops its daemon too, and nothing restarts it.
        up.terminate()
        up.wait(timeout=60)
        wait_for(lambda: not any(f"{home} daemon" in c for c in _cmdlines()), message="the daemon to stop with up")
    finally:
        up.terminate()
        try:
            up.wait(timeout=60)
        except subprocess.TimeoutExpired:
            up.kill()
        log.close()
        stop_processes_under(home)


def _cmdlines() -> list[str]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                out.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
            except OSError:
                pass
    return out
