#!/usr/bin/env python3
"""Engine benchmark: Millrace's overhead against spawning the same commands from Python.

Measures, in one run, with a real daemon process on a temporary data directory:
 (a) enqueue → first task process started (median of 15), vs Popen → process started;
 (b) per-task overhead, 20 no-op tasks in one serial stage (median of 5 runs);
 (c) the same with each task printing 1,000 lines;
 (d) one task printing 200,000 lines, all stored exactly once, vs the command alone;
 (e) daemon CPU while idle (10 s) and its peak RSS.
Last line: RESULT key=value …   Run: python bench/engine.py
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models import home as home_mod, logs, pipelines, runs  # noqa: E402
from bench.support import wait_run  # noqa: E402
from models.tables import LogChunk, TaskRun  # noqa: E402

LINES_1K = 'i=0; while [ $i -lt 1000 ]; do echo "line $i of the build output"; i=$((i+1)); done'
LINES_200K = 'i=0; while [ $i -lt 200000 ]; do echo "line $i of the build output"; i=$((i+1)); done'


def pipeline(name, scripts, mode="serial"):
    tasks = [{"name": f"t{i}", "type": "script", "image": "none", "script": s} for i, s in enumerate(scripts)]
    raw = {"name": name, "stages": [{"name": "S", "mode": mode, "tasks": tasks}]}
    return pipelines.apply(raw, "bench")[0]


def floor_serial(script, count, workdir):
    path = Path(workdir) / "floor.sh"
    path.write_text(script)
    start = time.perf_counter()
    for _ in range(count):
        with open(Path(workdir) / "floor.log", "ab") as out:
            subprocess.run(["/bin/sh", "-e", str(path)], stdout=out, stderr=out, check=True, cwd=workdir)
    return (time.perf_counter() - start) / count


def first_task_latency(workdir, mark):
    """(a): wall time from enqueue to the task's first instruction."""
    p = pipeline("latency", ['date +%s.%N > "$MARK"'])
    spec = pipelines.current_spec(p)
    spec["stages"][0]["tasks"][0]["env"] = [{"name": "MARK", "value": str(mark)}]
    pipelines.save(p, spec, "bench")
    ours, floor = [], []
    script = Path(workdir) / "mark.sh"
    script.write_text('date +%s.%N > "$MARK"')
    for _ in range(15):
        mark.unlink(missing_ok=True)
        t0 = time.time()
        run = runs.enqueue_run(p, "manual", "bench")
        wait_run(run.id)
        ours.append(float(mark.read_text()) - t0)
        mark.unlink()
        t0 = time.time()
        subprocess.run(["/bin/sh", "-e", str(script)], env=dict(os.environ, MARK=str(mark)), check=True)
        floor.append(float(mark.read_text()) - t0)
    return statistics.median(ours), statistics.median(floor)


def per_task(name, script, workdir, repeats=5):
    p = pipeline(name, [script] * 20)
    samples = []
    for _ in range(repeats):
        run = wait_run(runs.enqueue_run(p, "manual", "bench").id)
        first = TaskRun.select().where(TaskRun.run == run.id).order_by(TaskRun.started_at).first()
        samples.append((run.finished_at - first.started_at).total_seconds() / 20)
    return statistics.median(samples), floor_serial(script, 20, workdir)


def big_log(workdir):
    p = pipeline("biglog", [LINES_200K])
    run = wait_run(runs.enqueue_run(p, "manual", "bench").id, timeout=600)
    task = TaskRun.get(TaskRun.run == run.id)
    ours = (run.finished_at - task.started_at).total_seconds()
    stored = sum(c.line_count for c in LogChunk.select().where(LogChunk.task_run == task.id))
    output = [line for _, _, line in logs.lines_after(task.id) if not line.startswith("[millrace]")]
    exact = output == [f"line {i} of the build output" for i in range(200000)]
    return ours, floor_serial(LINES_200K, 1, workdir), stored, exact


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main():
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home_mod.open_home(home, migrate=True)
        daemon = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--home", str(home), "daemon"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.0)
            a_ours, a_floor = first_task_latency(tmp, Path(tmp) / "mark")
            print(f"(a) enqueue → first task started: {a_ours * 1000:.1f} ms median (floor {a_floor * 1000:.1f} ms)")
            b_ours, b_floor = per_task("noop20", "true", tmp)
            print(f"(b) 20 no-op tasks: {b_ours * 1000:.1f} ms per task (floor {b_floor * 1000:.1f} ms) → "
                  f"overhead {(b_ours - b_floor) * 1000:.1f} ms per task")
            c_ours, c_floor = per_task("lines20", LINES_1K, tmp)
            print(f"(c) 20 tasks × 1,000 lines: {c_ours * 1000:.1f} ms per task (floor {c_floor * 1000:.1f} ms) → "
                  f"overhead {(c_ours - c_floor) * 1000:.1f} ms per task")
            d_ours, d_floor, stored, exact = big_log(tmp)
            print(f"(d) 200,000 lines: {d_ours:.2f} s (floor {d_floor:.2f} s) = {d_ours / d_floor:.2f}× the floor; "
                  f"{stored} lines stored, exactly once and in order: {exact}")
            time.sleep(2.0)
            cpu0, t0 = cpu_seconds(daemon.pid), time.monotonic()
            time.sleep(10.0)
            idle = (cpu_seconds(daemon.pid) - cpu0) / (time.monotonic() - t0) * 100
            rss = peak_rss_mb(daemon.pid)
            print(f"(e) daemon idle CPU {idle:.2f}% of a core; peak RSS {rss:.1f} MB")
        finally:
            daemon.terminate()
            daemon.wait(timeout=30)
    print(f"RESULT a_enqueue_to_start_ms={a_ours * 1000:.1f} a_floor_ms={a_floor * 1000:.1f} "
          f"b_overhead_per_task_ms={(b_ours - b_floor) * 1000:.1f} c_overhead_per_task_ms={(c_ours - c_floor) * 1000:.1f} "
          f"d_ratio_to_floor={d_ours / d_floor:.2f} d_lines_stored={stored} d_exact={exact} "
          f"e_idle_cpu_percent={idle:.2f} e_peak_rss_mb={rss:.1f}")


if __name__ == "__main__":
    main()
