#!/usr/bin/env python3
"""Trigger benchmark: timer fire lateness and webhook accept latency, with real processes.

 (1) Fire lateness: 5 pipelines with "every 1 minutes" rules; after the next minute
     boundary, the time from each scheduled instant to its run's first task start
     (worst case; goal ≤ 500 ms). Floor: a Python process that sleeps until the same
     kind of boundary and spawns the same command.
 (2) Webhook accept latency: 200 signed GitHub push deliveries from 8 threads to the real
     dashboard server (p50/p99; goal p99 ≤ 200 ms). Floor: the same requests to a path
     that does no work on the same server (it answers 401: the door refuses it before routing).
Last line: RESULT key=value …   Run: python bench/triggers.py
"""
from __future__ import annotations

import datetime as dt
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models import home as home_mod, pipelines, triggers  # noqa: E402
from models.triggers import TimerFire  # noqa: E402
from tests import webhook_payloads as wp  # noqa: E402

TASK = {"name": "t", "type": "script", "image": "none", "script": "true"}
# The timed pipelines' task notes the moment its own process started.
MARK_TASK = {"name": "t", "type": "script", "image": "none", "script": 'date +%s.%N > "$MARKS/$MILLRACE_PIPELINE"'}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fire_lateness(marks: Path):
    marks.mkdir()
    task = dict(MARK_TASK, env=[{"name": "MARKS", "value": str(marks)}])
    for i in range(5):
        p = pipelines.apply({"name": f"timer{i}", "stages": [{"name": "S", "tasks": [task]}]}, "bench")[0]
        triggers.save_timer(p, "every 1 minutes", "bench", timezone="UTC")
    now = dt.datetime.utcnow()
    boundary = (now + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
    time.sleep((boundary - now).total_seconds() + 3)
    instant = boundary.replace(tzinfo=dt.timezone.utc).timestamp()
    fired = TimerFire.select().where(TimerFire.scheduled_for == boundary).count()
    assert fired == 5, (f"{fired} of 5 rules fired at {boundary}",
                        [(f.scheduled_for, f.outcome, f.reason) for f in TimerFire.select()])
    return [float((marks / f"timer{i}").read_text()) - instant for i in range(5)]


def floor_lateness():
    now = time.time()
    target = now + 1.0
    time.sleep(target - time.time())
    subprocess.run(["/bin/sh", "-c", "true"], check=True)
    return time.time() - target


def post(url, headers, body):
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            code = answer.status
    except urllib.error.HTTPError as err:
        code = err.code
    return time.perf_counter() - start, code


def burst(base, path):
    requests = [wp.github_request("push", wp.github_push(after=f"{i:040x}"), secret=SECRET_HOLDER["secret"])
                for i in range(200)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda hb: post(base + path, *hb), requests))
    return sorted(r[0] for r in results), [r[1] for r in results]


SECRET_HOLDER = {}


def p99(values):
    return values[min(len(values) - 1, int(len(values) * 0.99))]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home_mod.open_home(home, migrate=True)
        port = free_port()
        procs = [subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--home", str(home), *args],
                                  stdout=subprocess.DEVNULL, stderr=open(Path(tmp) / f"{args[0]}.log", "w"))
                 for args in (["daemon"], ["dashboard", "--port", str(port)])]
        try:
            p = pipelines.apply({"name": "hooked", "source": {"repository": "git@github.com:Octocat/Hello-World.git",
                                                              "branch": "main"},
                                 "stages": [{"name": "S", "tasks": [TASK]}]}, "bench")[0]
            SECRET_HOLDER["secret"] = triggers.save_webhook(p, "bench", push=True)[1]
            pipelines.set_active(p, False, "bench")       # accept latency only: no 200 runs behind it
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    urllib.request.urlopen(base + "/api/health", timeout=1)     # open to anyone
                    break
                except OSError:
                    time.sleep(0.2)
            else:
                raise SystemExit("the dashboard did not start:\n" + (Path(tmp) / "dashboard.log").read_text()[-3000:])
            ours, codes = burst(base, "/hooks/github")
            floor, _ = burst(base, "/no-such-path")
            print(f"(2) webhook accept, 200 deliveries from 8 threads: p50 {statistics.median(ours) * 1000:.1f} ms, "
                  f"p99 {p99(ours) * 1000:.1f} ms (floor p99 {p99(floor) * 1000:.1f} ms); "
                  f"answers: {sorted(set(codes))}")
            try:
                late = fire_lateness(Path(tmp) / "marks")
            except AssertionError:
                print((Path(tmp) / "daemon.log").read_text()[-3000:])
                raise
            floor_late = floor_lateness()
            print(f"(1) fire lateness over {len(late)} rules: worst {max(late) * 1000:.0f} ms, "
                  f"median {statistics.median(late) * 1000:.0f} ms (floor {floor_late * 1000:.1f} ms)")
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=30)
    print(f"RESULT fire_lateness_worst_ms={max(late) * 1000:.0f} fire_lateness_median_ms={statistics.median(late) * 1000:.0f} "
          f"fire_floor_ms={floor_late * 1000:.1f} fires={len(late)} webhook_p50_ms={statistics.median(ours) * 1000:.1f} "
          f"webhook_p99_ms={p99(ours) * 1000:.1f} webhook_floor_p99_ms={p99(floor) * 1000:.1f} "
          f"webhook_p99_ratio={p99(ours) / p99(floor):.2f} accepted={codes.count(202)}")


if __name__ == "__main__":
    main()
