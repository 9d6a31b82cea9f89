"""Downloading logs from a real `run.py dashboard` process: RFC 6266 file names (non-Latin-1,
quotes, backslashes, CR/LF), the whole-run download, 404 for ids that name nothing, and
streaming proven by the server's memory (its peak RSS, read from /proc) staying far below
the size of the logs it sent."""
from __future__ import annotations

import http.client
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote

import pytest

from models import logs, pipelines
from models.db import write_transaction
from models.tables import Run, StageRun, TaskRun
from tests.auth_helpers import bearer
from tests.conftest import pipeline_spec, script_task, wait_for

HEADERS: dict = {}      # a token's Authorization header (the downloads need a signed-in user)

ROOT = Path(__file__).resolve().parent.parent
ATTR_CHARS = r"[A-Za-z0-9!#$&+.^_`|~%-]"          # RFC 5987 attr-char, plus the %XX escapes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(home, tmp_path):
    global HEADERS
    HEADERS = bearer()
    port = free_port()
    with open(tmp_path / "dashboard.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--home", str(home), "dashboard", "--port",
                                 str(port)], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        wait_for(lambda: get(port, "/api/health").status == 200, interval=0.2, ignore=(OSError,),
                 message=lambda: f"the dashboard to answer: {(tmp_path / 'dashboard.log').read_text()[-2000:]}")
        yield SimpleNamespace(port=port, pid=proc.pid, log=tmp_path / "dashboard.log")
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def get(port: int, path: str) -> SimpleNamespace:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers=HEADERS)
        response = conn.getresponse()
        return SimpleNamespace(status=response.status, headers=response.getheaders(), body=response.read(),
                               header=response.getheader)
    finally:
        conn.close()


def make_run(pipeline: str, stages: list[tuple[str, list[str]]], status="succeeded") -> tuple[Run, list[TaskRun]]:
    """A run's rows (what the daemon would have made) for stages of named tasks."""
    spec_stages = [{"name": f"stage{i}", "tasks": [script_task(f"t{i}", "true")]} for i in range(len(stages))]
    p = pipelines.create(pipeline_spec(pipeline, stages=spec_stages), "tester")
    number = (Run.select().where(Run.pipeline == p).count()) + 1
    run = Run.create(pipeline=p, number=number, version=pipelines.current_version(p), cause="manual", status=status)
    tasks = []
    for position, (stage_name, names) in enumerate(stages, start=1):
        stage = StageRun.create(run=run, position=position, name=stage_name, mode="parallel")
        for index, name in enumerate(names):
            tasks.append(TaskRun.create(run=run, stage_run=stage, position=index, name=name, task_type="script",
                                        status=status))
    return run, tasks


def store(task: TaskRun, lines: list[str]) -> None:
    with write_transaction():
        logs.append(task, lines, None)


def disposition(response) -> tuple[str, str]:
    """(ASCII fallback, decoded filename*) of a well-formed RFC 6266 attachment header."""
    value = response.header("Content-Disposition")
    match = re.fullmatch(rf'attachment; filename="([\x20-\x7e]*)"; filename\*=UTF-8\'\'({ATTR_CHARS}+)', value)
    assert match, f"not an RFC 6266 attachment with an ASCII fallback and filename*: {value!r}"
    fallback, encoded = match.groups()
    assert '"' not in fallback and "\\" not in fallback
    return fallback, unquote(encoded, encoding="utf-8", errors="strict")


NAMES = {  # task name → the name the file gets (controls and path separators become "_")
    "unicode-日本-é": "unicode-日本-é",
    'say "hi" there': 'say "hi" there',
    "cr\r\nlf": "cr__lf",
    "back\\slash/and/slash": "back_slash_and_slash",
    "tab\tname": "tab_name",
    "emoji-🚀": "emoji-🚀",
}


def test_task_names_of_every_kind_download_with_rfc6266_names(home, server):
    run, tasks = make_run("names", [("Build", list(NAMES))])
    for task in tasks:
        store(task, [f"output of {task.name!r}", "ünïcödé ✓"])
    for task in tasks:
        response = get(server.port, f"/api/tasks/{task.id}/log")
        assert response.status == 200, (task.name, response.status, server.log.read_text()[-2000:])
        fallback, name = disposition(response)
        assert name == f"names-1-{NAMES[task.name]}.log"
        assert fallback.isascii() and fallback.startswith("names-1-") and fallback.endswith(".log")
        assert [h for h, _ in response.headers].count("Content-Disposition") == 1
        assert response.header("Content-Type") == "text/plain; charset=utf-8"
        lines = response.body.decode("utf-8").split("\n")
        assert [line.split(" ", 2)[2] for line in lines[:-1]] == [f"output of {task.name!r}", "ünïcödé ✓"]
    fallback, name = disposition(get(server.port, f"/api/runs/{run.id}/log"))
    assert (fallback, name) == ("names-1.log", "names-1.log")


def test_the_whole_run_downloads_every_task_in_order_under_its_header(home, server):
    run, tasks = make_run("whole", [("Build", ["compile", "lint"]), ("Test", ["unit"]), ("Deploy", ["ship"])])
    compile_, lint, unit, ship = tasks
    store(compile_, [f"compile {n}" for n in range(1, 6001)])        # more than one chunk
    store(compile_, ["compile done"])
    store(lint, ["progress 10%\rprogress 100%", "lint ok"])
    store(unit, ["unit ok"])                                           # ship printed nothing
    response = get(server.port, f"/api/runs/{run.id}/log")
    assert response.status == 200
    text = response.body.decode("utf-8")
    sections = text.split("\n\n── ")
    assert sections[0] == "whole#1 succeeded"
    heads = [s.split("\n", 1)[0] for s in sections[1:]]
    assert heads == ["Build / compile (succeeded)", "Build / lint (succeeded)", "Test / unit (succeeded)",
                     "Deploy / ship (succeeded)"]
    bodies = [[line.split(" ", 2)[2] for line in s.split("\n")[1:] if line] for s in sections[1:]]
    assert bodies == [[f"compile {n}" for n in range(1, 6001)] + ["compile done"],
                      ["progress 10%\rprogress 100%", "lint ok"], ["unit ok"], []]
    # The per-task download holds the same lines.
    alone = get(server.port, f"/api/tasks/{compile_.id}/log").body.decode("utf-8").split("\n")[:-1]
    assert [line.split(" ", 2)[2] for line in alone] == bodies[0]


@pytest.mark.parametrize("kind", ["tasks", "runs"])
def test_an_id_that_names_nothing_is_a_404(home, server, kind):
    run, tasks = make_run("ids", [("Build", ["only"])])
    missing = max(run.id, tasks[0].id) + 1000
    for bad in (str(missing), "0", "-1", "abc", "1e3", "1.0", "%EF%BC%91", "9223372036854775807",
                "9223372036854775808", "18446744073709551616", "9" * 40):
        response = get(server.port, f"/api/{kind}/{bad}/log")
        assert response.status == 404, (bad, response.status, response.body[:300])
    real = tasks[0].id if kind == "tasks" else run.id
    assert get(server.port, f"/api/{kind}/{real}/log").status == 200


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().split("\n"):
        if line.startswith(field):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for pid {pid}")


@pytest.mark.slow
def test_downloads_stream_the_server_memory_does_not_grow_with_the_log(home, server):
    _, (task,) = make_run("big", [("Build", ["flood"])])
    line_bytes = 0
    for start in range(0, 800_000, 5000):
        part = [f"{n:07d} building module {n % 977} of the project, step {n % 13}: ok {'=' * (n % 50)}"
                for n in range(start, start + 5000)]
        line_bytes += sum(len(line) + 1 for line in part)
        store(task, part)
    assert line_bytes > 60_000_000
    warm_up = get(server.port, f"/api/tasks/{task.id}/log")       # first-request set-up is not the log's cost
    size = len(warm_up.body)
    del warm_up
    before = _status_kb(server.pid, "VmRSS:")
    Path(f"/proc/{server.pid}/clear_refs").write_text("5")         # VmHWM := the current RSS
    sizes = []

    def download():
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
        conn.request("GET", f"/api/tasks/{task.id}/log", headers=HEADERS)
        response, got = conn.getresponse(), 0
        while block := response.read(1 << 20):
            got += len(block)
        conn.close()
        sizes.append(got)
    threads = [threading.Thread(target=download) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sizes == [size] * 3
    growth = (_status_kb(server.pid, "VmHWM:") - before) * 1024
    # Loading a log would cost at least its size per download (3 × ~65 MB here); streaming, a
    # few batches of chunks each.
    assert growth < line_bytes / 2, f"the dashboard grew by {growth / 1e6:.1f} MB sending 3 × {size / 1e6:.0f} MB"


def test_a_download_has_no_stderr_markers(home, server):
    run, (task,) = make_run("streams", [("build", ["mixed"])])
    store(task, ["out line", "\x1eerr line", "\x1e\x1etext that begins with RS"])
    body = get(server.port, f"/api/tasks/{task.id}/log").body.decode()
    assert [line.split(" ", 2)[2] for line in body[:-1].split("\n")] == ["out line", "err line",
                                                                     "\x1etext that begins with RS"]
