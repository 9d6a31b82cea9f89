"""A real `run.py dashboard` process on a data directory, for tests that talk to /api/v1 over a
socket as a remote client would (the door, the threads and the per-request connections of
production, not Flask's test client), and a requests session that sends one bearer token.
"""
from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
from pathlib import Path

import requests

from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(home: Path):
    """The dashboard serving `home` (already migrated); yields its base URL."""
    port = free_port()
    log = open(home / "dashboard-api.log", "wb")
    proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--home", str(home), "dashboard", "--port",
                             str(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: proc.poll() is None and requests.get(url + "/api/health", timeout=5).ok, interval=0.2,
                 message=lambda: f"the dashboard to answer ({(home / 'dashboard-api.log').read_text()[-500:]})")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


class Api:
    """Requests to one server with one token: `api.get("/runs")` is GET {url}/api/v1/runs."""

    def __init__(self, url: str, token: str):
        self.url, self.session = url, requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def __call__(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, self.url + "/api/v1" + path, timeout=60, **kwargs)

    def get(self, path, **kwargs):
        return self("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self("POST", path, **kwargs)
