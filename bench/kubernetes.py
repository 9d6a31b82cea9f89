#!/usr/bin/env python3
"""Kubernetes benchmark: a real daemon process runs tasks as pods on the fake API server
(tests/fakekube), whose kubelet really runs each pod's script as a local process.

 (a) 50 one-second tasks (`sleep 1`) in one serial stage: API requests per task (every
     request the API server saw during the run, watches and health checks included;
     goal ≤ 15), and the daemon's overhead per task beyond the pods' own lifetime:
     (first task start → last task end − the sum of the pods' lifetimes, creation → end as
     the kubelet saw them) / 50, so the gaps between tasks count too (goal ≤ 50 ms). Also
     shown: the same against the main containers' run times only (it then includes the
     fake kubelet's own start-up work), and daemon CPU per task.
 (b) 20 tasks running idle (no output) for 10 s: requests per task per second (goal ≤ 1).
Last line: RESULT key=value …   Run: python bench/kubernetes.py
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file's own directory comes first on sys.path, where "kubernetes" would mean this file.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from models import daemon_state, home as home_mod, pipelines, runs  # noqa: E402
from models.status import is_terminal  # noqa: E402
from models.tables import Run, TaskRun  # noqa: E402
from tests.fakekube.kubelet import AutoKubelet  # noqa: E402
from tests.fakekube.millrace import register  # noqa: E402
from tests.fakekube.server import FakeKube  # noqa: E402

TASKS, IDLE_TASKS, IDLE_SECONDS = 50, 20, 10.0


def pipeline(name: str, count: int, script: str, mode: str) -> pipelines.Pipeline:
    tasks = [{"name": f"t{i:02d}", "type": "script", "image": "busybox", "script": script} for i in range(count)]
    return pipelines.apply({"name": name, "stages": [{"name": "S", "mode": mode, "tasks": tasks}]}, "bench")[0]


def wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(what)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serial_run(fake, kubelet, daemon_pid):
    p = pipeline("serial", TASKS, "sleep 1", "serial")
    requests_before, cpu_before = len(fake.requests), cpu_seconds(daemon_pid)
    run = runs.enqueue_run(p, "manual", "bench")
    done = wait(lambda: (r := Run.get_by_id(run.id)) and is_terminal(r.status) and r, 600, "the 50-task run")
    assert done.status == "succeeded", (done.status, done.reason)
    requests = len(fake.requests) - requests_before
    cpu = cpu_seconds(daemon_pid) - cpu_before
    tasks = list(TaskRun.select().where(TaskRun.run == run.id))
    span = (max(t.finished_at for t in tasks) - min(t.started_at for t in tasks)).total_seconds()
    names = [json.loads(t.handle_json)["pod"] for t in tasks]
    lifetime = sum(kubelet.lifetimes[n] for n in names)
    runtime = sum(kubelet.runtimes[n] for n in names)
    return {"requests_per_task": requests / TASKS, "overhead_ms_per_task": 1000 * (span - lifetime) / TASKS,
            "overhead_incl_cluster_ms_per_task": 1000 * (span - runtime) / TASKS,
            "daemon_cpu_ms_per_task": 1000 * cpu / TASKS, "run_seconds": span, "pod_seconds": runtime}


def idle_run(fake, kubelet):
    kubelet.run = False                        # pods start and then just sit there, silent
    daemon_state.set_setting("task_slots", str(IDLE_TASKS), "bench")
    p = pipeline("idle", IDLE_TASKS, "sleep 600", "parallel")
    run = runs.enqueue_run(p, "manual", "bench")
    wait(lambda: TaskRun.select().where((TaskRun.run == run.id) & (TaskRun.status == "running")).count()
         == IDLE_TASKS, 120, "the idle tasks to run")
    time.sleep(6)                              # the first reads (events, empty logs) are done
    before = len(fake.requests)
    time.sleep(IDLE_SECONDS)
    rate = (len(fake.requests) - before) / IDLE_TASKS / IDLE_SECONDS
    runs.request_stop(Run.get_by_id(run.id), "bench")
    wait(lambda: is_terminal(Run.get_by_id(run.id).status), 120, "the idle run to stop")
    return {"idle_requests_per_task_second": rate}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="millrace-kbench-") as tmp:
        home = Path(tmp) / "home"
        home_mod.open_home(home, migrate=True)
        fake = FakeKube().start()
        fake.kubeconfig_path = fake.kubeconfig(Path(tmp) / "kubeconfig")
        register(fake, "bench")
        kubelet = AutoKubelet(fake, "millrace-bench", Path(tmp) / "kubelet")
        log = open(Path(tmp) / "daemon.log", "wb")
        daemon = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--home", str(home), "daemon"],
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            wait(lambda: daemon_state.alive(), 30, "the daemon's heartbeat")
            found = serial_run(fake, kubelet, daemon.pid)
            found.update(idle_run(fake, kubelet))
        finally:
            daemon.terminate()
            daemon.wait(timeout=30)
            kubelet.stop()
            fake.stop()
    goals = {"requests_per_task": 15, "idle_requests_per_task_second": 1, "overhead_ms_per_task": 50}
    print(f"{TASKS} one-second tasks, one after another: {found['run_seconds']:.1f}s for "
          f"{found['pod_seconds']:.1f}s of pod runtime")
    for key, goal in goals.items():
        print(f"  {key:32s} {found[key]:8.2f}   goal ≤ {goal}   {'ok' if found[key] <= goal else 'MISSED'}")
    for key in ("overhead_incl_cluster_ms_per_task", "daemon_cpu_ms_per_task"):
        print(f"  {key:32s} {found[key]:8.2f}")
    print("RESULT " + " ".join(f"{k}={found[k]:.2f}" for k in (*goals, "overhead_incl_cluster_ms_per_task",
                                                               "daemon_cpu_ms_per_task"))
          + f" goals_met={all(found[k] <= g for k, g in goals.items())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
