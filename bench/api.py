#!/usr/bin/env python3
"""The REST API (/api/v1) on the 100,000-run database, over a real socket.

bench/dashboard.py's `fill` makes the database (200 pipelines, 100,000 runs, one task with
a 200,000-line log: bulk inserts in one transaction); a real `run.py dashboard` process
serves it, and an administrator's bearer token is the credential. Measured in the same run:
  health     — GET /api/health (the floor: the same server, the door, no query to speak of),
               one client, then 20 concurrent clients;
  runs_list  — GET /api/v1/runs?page=N&per_page=50 (pages spread over the whole list, some
               filtered by pipeline or status), one client;           goal p99 ≤ 100 ms
  runs_create — POST /api/v1/pipelines/{name}/runs from 20 concurrent clients (each its own
               connection, pipelines spread over the 200);             goal p99 ≤ 150 ms
  stream     — GET /api/v1/tasks/{id}/log/stream of the 200,000-line log, read to its `end`
               event: lines per second;                                goal ≥ 50,000 lines/s
Each latency is printed with its ratio to the health floor measured the same way (one client
or 20). No daemon runs: created runs stay queued, which is what creation costs the server.
Run: .venv/bin/python bench/api.py [--requests N]. The last line is `RESULT key=value …`.
"""
from __future__ import annotations

import argparse
import http.client
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]   # bench/kubernetes.py
sys.path.insert(0, str(ROOT))

from bench.dashboard import LOG_LINES, PIPELINES, RUNS, fill  # noqa: E402
from bench.support import bearer  # noqa: E402

CLIENTS = 20
GOALS = {"runs_list": 100.0, "runs_create": 150.0, "stream_lines_per_s": 50_000.0}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))]


class Client:
    """One keep-alive connection with the token; `call` answers (ms, status, body)."""

    def __init__(self, port: int, headers: dict):
        self.port, self.headers = port, headers
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, method: str, path: str, body=None) -> tuple[float, int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        headers = dict(self.headers, **({"Content-Type": "application/json"} if data is not None else {}))
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=headers)
            answer = self.conn.getresponse()
            payload = answer.read()
        except (http.client.HTTPException, OSError):       # the server closed a kept-alive connection
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            self.conn.request(method, path, body=data, headers=headers)
            answer = self.conn.getresponse()
            payload = answer.read()
        return (time.perf_counter() - start) * 1000, answer.status, payload


def sequential(port, headers, paths, expect=200) -> list[float]:
    client = Client(port, headers)
    client.call("GET", paths[0])                        # warm-up: first-request hooks, the SQLite cache
    times = []
    for path in paths:
        ms, status, body = client.call("GET", path)
        if status != expect:
            raise RuntimeError(f"GET {path}: HTTP {status}: {body[:300]!r}")
        times.append(ms)
    return times


def concurrent(port, headers, calls_per_client: int, make_call) -> list[float]:
    """CLIENTS threads, each with its own connection, started together; every latency."""
    times, errors, lock = [], [], threading.Lock()
    start = threading.Barrier(CLIENTS)

    def worker(k):
        client = Client(port, headers)
        client.call("GET", "/api/health")
        start.wait()
        for i in range(calls_per_client):
            method, path, body, expect = make_call(k, i)
            ms, status, payload = client.call(method, path, body)
            with lock:
                times.append(ms)
                if status != expect:
                    errors.append(f"{method} {path}: HTTP {status}: {payload[:300]!r}")
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{len(errors)} failed calls, e.g. {errors[0]}")
    return times


def stream(port, headers, task_id: int) -> tuple[float, int]:
    """Read the task's SSE stream to its end event: (seconds, `line` events)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    start = time.perf_counter()
    conn.request("GET", f"/api/v1/tasks/{task_id}/log/stream", headers=dict(headers, Accept="text/event-stream"))
    answer = conn.getresponse()
    if answer.status != 200:
        raise RuntimeError(f"stream: HTTP {answer.status}: {answer.read()[:300]!r}")
    lines, last = 0, None
    for raw in answer:
        if raw.startswith(b"event: "):
            last = raw[7:].strip()
            if last == b"line":
                lines += 1
            elif last == b"end":
                break
    seconds = time.perf_counter() - start
    conn.close()
    return seconds, lines


def finish_log_task(task_id: int) -> None:
    """fill() leaves the big log's task running; the stream of a finished task ends (its
    `end` event), which is what is timed."""
    from models.db import utcnow, write_transaction
    from models.tables import Run, StageRun, TaskRun
    task = TaskRun.get_by_id(task_id)
    with write_transaction():
        now = utcnow()
        TaskRun.update(status="succeeded", finished_at=now, started_at=now).where(TaskRun.id == task_id).execute()
        StageRun.update(status="succeeded").where(StageRun.id == task.stage_run_id).execute()
        Run.update(status="succeeded").where(Run.id == task.run_id).execute()


def summary(name: str, times: list[float], floor: tuple[float, float] | None, goal: float | None) -> dict:
    p50, p99 = statistics.median(times), percentile(times, 0.99)
    line = f"{name:22s} n={len(times):4d} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"
    out = {f"{name}_p50_ms": f"{p50:.1f}", f"{name}_p99_ms": f"{p99:.1f}"}
    if floor is not None:
        line += f"  ({p50 / floor[0]:.1f}× / {p99 / floor[1]:.1f}× the health floor)"
        out[f"{name}_p99_floor_ratio"] = f"{p99 / floor[1]:.1f}"
    if goal is not None:
        line += f"  goal p99 ≤ {goal:.0f} ms"
    print(line)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="GET /api/v1/runs requests (and health)")
    parser.add_argument("--creates", type=int, default=10, help="runs each of the 20 clients creates")
    args = parser.parse_args()
    from models import home
    from models.db import database
    with tempfile.TemporaryDirectory() as tmp:
        home.open_home(tmp, migrate=True)
        started = time.perf_counter()
        made = fill()
        finish_log_task(made["task"])
        headers = bearer()
        database.close()
        print(f"filled {PIPELINES} pipelines, {RUNS:,} runs, a {LOG_LINES:,}-line log in "
              f"{time.perf_counter() - started:.1f}s")
        port = _port()
        server = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--home", tmp, "dashboard", "--port",
                                   str(port)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(600):
                try:
                    if Client(port, {}).call("GET", "/api/health")[1] == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            results = measure(port, headers, made, args)
        finally:
            server.terminate()
            server.wait(timeout=30)
    met = (float(results["runs_list_p99_ms"]) <= GOALS["runs_list"]
           and float(results["runs_create_p99_ms"]) <= GOALS["runs_create"]
           and float(results["stream_lines_per_s"]) >= GOALS["stream_lines_per_s"])
    print("RESULT " + " ".join(f"{k}={v}" for k, v in results.items()) + f" goals_met={'yes' if met else 'no'}")
    return 0


def measure(port: int, headers: dict, made: dict, args) -> dict:
    rnd = random.Random(11)
    pages = RUNS // 50
    list_paths = []
    for i in range(args.requests):
        page = rnd.randint(1, pages) if i % 4 else 1            # the first page most often, as readers do
        if i % 5 == 3:
            list_paths.append(f"/api/v1/runs?pipeline=pipe-{rnd.randint(1, PIPELINES - 1):03d}&page=1&per_page=50")
        elif i % 5 == 4:
            list_paths.append(f"/api/v1/runs?status=failed&page={rnd.randint(1, 100)}&per_page=50")
        else:
            list_paths.append(f"/api/v1/runs?page={page}&per_page=50")
    results = {}
    floor1 = sequential(port, headers, ["/api/health"] * args.requests)
    f1 = (statistics.median(floor1), percentile(floor1, 0.99))
    results.update(summary("health", floor1, None, None))
    results.update(summary("runs_list", sequential(port, headers, list_paths), f1, GOALS["runs_list"]))
    floor20 = concurrent(port, headers, args.creates, lambda k, i: ("GET", "/api/health", None, 200))
    f20 = (statistics.median(floor20), percentile(floor20, 0.99))
    results.update(summary("health_20_clients", floor20, None, None))

    def create(k, i):
        name = f"pipe-{1 + (k * args.creates + i) % (PIPELINES - 1):03d}"
        return "POST", f"/api/v1/pipelines/{name}/runs", {"parameters": {}}, 201
    results.update(summary("runs_create", concurrent(port, headers, args.creates, create), f20,
                           GOALS["runs_create"]))
    seconds, lines = stream(port, headers, made["task"])
    if lines != LOG_LINES:
        raise RuntimeError(f"the stream delivered {lines} lines, not {LOG_LINES}")
    rate = lines / seconds
    print(f"{'stream':22s} {lines:,} lines in {seconds:.2f} s: {rate:,.0f} lines/s  goal ≥ "
          f"{GOALS['stream_lines_per_s']:,.0f}")
    results.update(stream_lines_per_s=f"{rate:.0f}", stream_seconds=f"{seconds:.2f}")
    return results


if __name__ == "__main__":
    sys.exit(main())
