"""Live logs over SSE from a real `run.py dashboard` process while a real `run.py daemon` runs
the task: lines arrive while the task is still running (it waits for a file the test
creates), and a client that disconnects mid-stream and reconnects with Last-Event-ID gets
every line exactly once, in order, then the `end` event."""
from __future__ import annotations

import http.client
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from models.tables import Run
from tests.auth_helpers import bearer
from tests.conftest import pipeline_spec, script_task, wait_for
from tests.test_log_download import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def server(home, tmp_path):
    headers = bearer()
    port = free_port()
    with open(tmp_path / "dashboard.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--home", str(home), "dashboard", "--port",
                                 str(port)], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        wait_for(lambda: request(port, "GET", "/api/health", {})[0] == 200, interval=0.2, ignore=(OSError,),
                 message=lambda: f"the dashboard to answer: {(tmp_path / 'dashboard.log').read_text()[-2000:]}")
        yield SimpleNamespace(port=port, headers=headers)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def request(port: int, method: str, path: str, headers: dict, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=data, headers={**headers, **({"Content-Type": "application/json"}
                                                                     if data else {})})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


class Stream:
    """An SSE connection read event by event (blocks until the next one, or the timeout)."""

    def __init__(self, port: int, path: str, headers: dict):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.conn.request("GET", path, headers={**headers, "Accept": "text/event-stream"})
        self.response = self.conn.getresponse()
        assert self.response.status == 200, self.response.read()[:500]
        assert self.response.getheader("Content-Type").startswith("text/event-stream")

    def next(self) -> dict | None:
        event = {}
        while True:
            raw = self.response.readline()
            if not raw:
                return None
            line = raw.decode().rstrip("\n")
            if not line:
                if event:
                    if "data" in event:
                        event["data"] = json.loads(event["data"])
                    return event
                continue
            if line.startswith(":"):
                continue
            key, _, value = line.partition(": ")
            event[key] = value

    def close(self):
        self.conn.close()


def task_lines(events):
    return [e["data"]["text"] for e in events if e.get("event") == "line" and not e["data"]["text"].startswith("[millrace]")]


def test_lines_stream_live_and_a_reconnect_loses_and_repeats_nothing(server, daemon_proc, tmp_path):
    gate = tmp_path / "gate"
    script = f'seq 1 60; until [ -f "{gate}" ]; do sleep 0.05; done; echo more >&2; seq 61 120'
    spec = pipeline_spec("live", stages=[{"name": "build", "tasks": [script_task("count", script)]}])
    status, made = request(server.port, "POST", "/api/v1/pipelines", server.headers, spec)
    assert status == 201, made
    status, run = request(server.port, "POST", "/api/v1/pipelines/live/runs", server.headers, {"parameters": {}})
    assert status == 201, run
    daemon_proc()

    first = Stream(server.port, f"/api/v1/runs/{run['id']}/log/stream", server.headers)
    seen = []
    while not task_lines(seen) or task_lines(seen)[-1] != "25":
        event = first.next()
        assert event is not None and event.get("event") != "end", f"the stream ended early: {seen[-3:]}"
        seen.append(event)
    # the task is still running (it waits for the gate), and its lines have arrived already
    assert Run.get_by_id(run["id"]).status == "running" and not gate.exists()
    assert any(e.get("event") == "task" and e["data"]["status"] == "running" for e in seen)
    last_id = [e for e in seen if e.get("event") == "line"][-1]["id"]
    first.close()                            # mid-stream: lines 26..60 were stored in the same chunk or after

    gate.touch()
    again = Stream(server.port, f"/api/v1/runs/{run['id']}/log/stream", {**server.headers, "Last-Event-ID": last_id})
    rest = []
    while True:
        event = again.next()
        assert event is not None, f"the stream closed without its end event: {rest[-3:]}"
        rest.append(event)
        if event.get("event") == "end":
            break
    again.close()
    assert rest[-1]["data"] == {"status": "succeeded", "label": f"live#{run['number']}"}
    lines = [e for e in seen + rest if e.get("event") == "line"]
    # stdout in order, every line once; the stderr line once, near where it was written (it reaches
    # output.log through the tagger, "in about the order written": daemon/executors/stderr_tagger.py)
    got = task_lines(seen + rest)
    assert [t for t in got if t != "more"] == [str(n) for n in range(1, 121)] and got.count("more") == 1, got
    assert got.index("more") >= 60, got
    assert len({e["id"] for e in lines}) == len(lines), "an event id came twice"
    assert [e["data"]["stream"] for e in lines if e["data"]["text"] == "more"] == ["err"]
    numbers = [e["data"]["line"] for e in lines]
    assert numbers == list(range(1, len(numbers) + 1)), "one task's lines are numbered in order from 1"

    # the one task's stream, from a line on (?from_line), and the same with ?after=
    task_id = lines[0]["data"]["task_id"]
    by_line = Stream(server.port, f"/api/v1/tasks/{task_id}/log/stream?from_line=100", server.headers)
    tail = []
    while (event := by_line.next()) is not None:
        tail.append(event)
    assert [e["data"]["line"] for e in tail if e.get("event") == "line"] == numbers[99:]
    assert tail[-1]["event"] == "end"
    after = Stream(server.port, f"/api/v1/runs/{run['id']}/log/stream?after={task_id}:{numbers[-2]}", server.headers)
    final = []
    while (event := after.next()) is not None:
        final.append(event)
    assert [e["data"]["line"] for e in final if e.get("event") == "line"] == numbers[-1:]
