#!/usr/bin/env python3
"""Scale benchmark: does the daemon's work per task stay flat as runs grow and multiply?

Measured in one run, on temporary data directories, with real task processes:
 (0) floor: daemon CPU per task for bench/engine.py's 20 no-op tasks in one serial stage
     (a real daemon process; CPU = utime+stime from /proc/<pid>/stat; median of 3 runs);
 (1) the same daemon, one run of 500 no-op tasks (50 serial stages × 10 parallel tasks):
     daemon CPU per task, and its ratio to (0) (goal ≤ 1.5);
(1s) the same with serial-mode stages (one task at a time, 500 in a row: a tick per task) —
     the shape in which the per-task cost grew with the run's size (same goal);
 (2) 200 concurrently active runs of 5 serial `sleep` tasks (arriving one by one over 6 s;
     task_slots raised so all 200 run at once), the daemon driven in this process —
     `Daemon.tick()` with the real LocalExecutor, in a loop like daemon.loop.serve (select on
     the tasks' pidfds, busy poll 0.25 s) — so each tick is timed with perf_counter and its
     CPU with process_time:
     tick p50/p99 while all 200 runs are active (goal p99 < 100 ms; wall time, so a loaded machine
     inflates it: tick CPU p99 is printed beside it), CPU per task.
Last line: RESULT key=value …   Run: python bench/scale.py   (about 2–3 minutes)
`--profile DIR` instead runs (1), (1s) and (2) in-process under cProfile and writes DIR/case1.pstats,
DIR/case1s.pstats, DIR/case2.pstats (read them with `python -m pstats`), printing the top functions.
"""
from __future__ import annotations

import argparse
import cProfile
import logging
import math
import pstats
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/ itself must not be on the path: bench/kubernetes.py would shadow the kubernetes package
# that daemon/ imports when this script drives the daemon in-process.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.engine import cpu_seconds, pipeline as one_stage_pipeline  # noqa: E402
from bench.support import wait_run  # noqa: E402
from models import daemon_state, home as home_mod, pipelines, runs  # noqa: E402
from models.status import Status, is_terminal  # noqa: E402
from models.tables import Run, TaskRun  # noqa: E402

STAGES, WIDTH = 50, 10               # case (1): 500 tasks
RUNS, TASKS_PER_RUN = 200, 5         # case (2): 1,000 tasks, 200 runs active at once
# Case (2): runs arrive one by one over ARRIVAL_SECONDS (as they would from many pushes, not
# all in one tick); their tasks sleep 6.0–6.9 s (varied by run number and position), so every
# run stays active ≥ 30 s and all 200 are active together for ~24 s.
ARRIVAL_SECONDS = 6.0
SLEEP = "sleep 6.$(( (BUILD_ID * 7 + {k} * 3) % 10 ))"
BUSY_POLL_SECONDS = 0.25             # daemon.loop's poll interval while work is active
_ACTIVE = [Status.RUNNING, Status.WAITING]   # what Daemon.tick advances


def staged_pipeline(name, stages, width, mode="parallel", script="true"):
    raw = {"name": name, "stages": [
        {"name": f"S{i}", "mode": mode,
         "tasks": [{"name": f"s{i}t{j}", "type": "script", "image": "none", "script": script}
                   for j in range(width)]} for i in range(stages)]}
    return pipelines.apply(raw, "bench")[0]


def active_pipeline(name):
    raw = {"name": name, "stages": [{"name": "S", "mode": "serial", "tasks": [
        {"name": f"t{k}", "type": "script", "image": "none", "script": SLEEP.format(k=k)}
        for k in range(TASKS_PER_RUN)]}]}
    return pipelines.apply(raw, "bench")[0]


def daemon_cpu_per_task(pid, p, tasks, timeout=600):
    """(daemon CPU seconds per task, wall seconds) for one run of pipeline p."""
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    run = wait_run(runs.enqueue_run(p, "manual", "bench").id, timeout=timeout)
    time.sleep(0.3)                  # the rest of the tick that ended the run
    wall = time.monotonic() - t0
    assert TaskRun.select().where((TaskRun.run == run.id) & (TaskRun.status == "succeeded")).count() == tasks
    return (cpu_seconds(pid) - cpu0) / tasks, wall


def pct(values, q):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def with_real_daemon(home):
    """(0) and (1): a daemon process started the way bench/engine.py starts it."""
    home_mod.open_home(home, migrate=True)
    daemon_state.set_setting("task_slots", "1000", "bench")   # 10 parallel tasks never wait for a slot
    errors = open(home / "daemon.stderr", "w+b")
    daemon = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--home", str(home), "daemon"],
                              stdout=subprocess.DEVNULL, stderr=errors)
    try:
        time.sleep(1.5)
        if daemon.poll() is not None:
            errors.seek(0)
            sys.exit(f"the daemon exited ({daemon.returncode}): {errors.read().decode(errors='replace')}")
        noop20 = one_stage_pipeline("noop20", ["true"] * 20)
        floor = [daemon_cpu_per_task(daemon.pid, noop20, 20) for _ in range(3)]
        per20 = statistics.median(c for c, _ in floor)
        print(f"(0) 20 no-op tasks, 1 serial stage: daemon CPU {per20 * 1000:.1f} ms per task "
              f"(runs: {', '.join(f'{c * 1000:.1f}' for c, _ in floor)} ms; "
              f"wall {statistics.median(w for _, w in floor) / 20 * 1000:.1f} ms per task)", flush=True)
        big = staged_pipeline("noop500", STAGES, WIDTH)
        per500, wall500 = daemon_cpu_per_task(daemon.pid, big, STAGES * WIDTH)
        print(f"(1) 500 no-op tasks, {STAGES} stages × {WIDTH}: daemon CPU {per500 * 1000:.1f} ms per task "
              f"= {per500 / per20:.2f}× the 20-task figure (goal ≤ 1.5); wall {wall500:.1f} s "
              f"({wall500 / (STAGES * WIDTH) * 1000:.1f} ms per task)", flush=True)
        serial = staged_pipeline("noop500serial", STAGES, WIDTH, mode="serial")
        per500s, wall500s = daemon_cpu_per_task(daemon.pid, serial, STAGES * WIDTH)
        print(f"(1s) 500 no-op tasks, {STAGES} serial-mode stages × {WIDTH} (one task at a time): daemon CPU "
              f"{per500s * 1000:.1f} ms per task = {per500s / per20:.2f}× the 20-task figure (goal ≤ 1.5); "
              f"wall {wall500s:.1f} s", flush=True)
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)
        errors.close()
    return per20, per500, per500s


class TimedLoop:
    """daemon.loop.serve's loop (select on the running tasks' pidfds, busy poll 0.25 s; an enqueue
    wakes it as the wake socket would), without signals; every tick timed. With `profiler`, only
    the ticks for which `profile_when(active runs)` holds are profiled."""

    def __init__(self, profiler=None, profile_when=lambda active: True):
        from daemon.main import Daemon
        self.daemon = Daemon()
        self.profiler, self.profile_when = profiler, profile_when
        self.ticks = []              # (active runs before the tick, wall s, cpu s)

    def run(self, arrivals, timeout=600):
        """arrivals: [(seconds after the start, pipeline)] enqueued when due; returns when all ended."""
        arrivals = sorted(arrivals, key=lambda a: a[0])
        pending, t0 = set(), time.monotonic()
        try:
            while arrivals or pending:
                if time.monotonic() - t0 > timeout:
                    raise TimeoutError(f"{len(pending)} runs still active")
                while arrivals and time.monotonic() - t0 >= arrivals[0][0]:
                    pending.add(runs.enqueue_run(arrivals.pop(0)[1], "manual", "bench").id)
                    self.daemon.nudged = True
                active = Run.select().where(Run.status.in_(_ACTIVE)).count()
                profiling = self.profiler is not None and self.profile_when(active)
                if profiling:
                    self.profiler.enable()
                w0, c0 = time.perf_counter(), time.process_time()
                self.daemon.tick()
                wall, cpu = time.perf_counter() - w0, time.process_time() - c0
                if profiling:
                    self.profiler.disable()
                self.ticks.append((active, wall, cpu))
                done = [r for r in Run.select(Run.id, Run.status, Run.reason).where(Run.id.in_(list(pending)))
                        if is_terminal(r.status)]
                for r in done:
                    assert r.status == "succeeded", (r.id, r.status, r.reason)
                pending -= {r.id for r in done}
                fds = self.daemon.wait_fds()
                if fds is None:      # a task already ended: tick again at once
                    continue
                wait = BUSY_POLL_SECONDS
                if arrivals:
                    wait = max(0.0, min(wait, arrivals[0][0] - (time.monotonic() - t0)))
                select.select(fds, [], [], wait)
        finally:
            self.daemon.shutdown()
        return time.monotonic() - t0


def in_process(home, case, profiler=None):
    """Drive the daemon in this process: case "1" = one 500-task run (parallel stages; "1s": serial-mode
    stages), case "2" = 200 runs × 5 tasks arriving one by one over ARRIVAL_SECONDS. Returns (ticks, wall)."""
    home_mod.open_home(home, migrate=True)
    daemon_state.set_setting("task_slots", "1000", "bench")
    if case in ("1", "1s"):
        p = staged_pipeline("noop500", STAGES, WIDTH, mode="parallel" if case == "1" else "serial")
        loop = TimedLoop(profiler)
        wall = loop.run([(0.0, p)])
    else:
        p = active_pipeline("active200")
        loop = TimedLoop(profiler, profile_when=lambda active: active == RUNS)
        wall = loop.run([(i * ARRIVAL_SECONDS / RUNS, p) for i in range(RUNS)])
    return loop.ticks, wall


def with_many_runs(home):
    """(2): 200 runs active at once, ticks timed in-process."""
    ticks, wall = in_process(home, "2")
    steady = [t for t in ticks if t[0] == RUNS]
    assert len(steady) >= 10, f"only {len(steady)} ticks with {RUNS} runs active"
    walls, cpus = [w for _, w, _ in steady], [c for _, _, c in steady]
    p50, p99 = pct(walls, 50), pct(walls, 99)
    cpu_total = sum(c for _, _, c in ticks)
    print(f"(2) {RUNS} active runs × {TASKS_PER_RUN} serial tasks: over the {len(steady)} ticks with all {RUNS} "
          f"active, tick p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {max(walls) * 1000:.1f} ms "
          f"(goal p99 < 100 ms); tick CPU p50 {pct(cpus, 50) * 1000:.1f} ms, p99 {pct(cpus, 99) * 1000:.1f} ms; "
          f"daemon CPU {cpu_total / (RUNS * TASKS_PER_RUN) * 1000:.1f} ms per task over all {len(ticks)} ticks; "
          f"wall {wall:.1f} s", flush=True)
    return p50, p99, pct(cpus, 99)


def profile(out_dir):
    """Cases (1), (1s) and (2) in-process under cProfile: the ticks only (for (2), only the ticks
    with all 200 runs active), written to DIR/case<name>.pstats."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for case in ("1", "1s", "2"):
        with tempfile.TemporaryDirectory() as tmp:
            prof = cProfile.Profile()
            ticks, wall = in_process(Path(tmp) / "home", case, prof)
            path = out_dir / f"case{case}.pstats"
            prof.dump_stats(path)
            walls = [w for a, w, _ in ticks if case != "2" or a == RUNS]
            print(f"case {case}: {len(walls)} ticks profiled (of {len(ticks)}), wall {wall:.1f} s, tick p50 "
                  f"{pct(walls, 50) * 1000:.1f} ms p99 {pct(walls, 99) * 1000:.1f} ms (under cProfile) → {path}")
            pstats.Stats(str(path)).sort_stats("cumulative").print_stats(r"daemon/|models/", 30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", metavar="DIR", help="profile cases (1), (1s) and (2) in-process instead")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.profile:
        profile(args.profile)
        return
    with tempfile.TemporaryDirectory() as tmp:
        per20, per500, per500s = with_real_daemon(Path(tmp) / "a")
        p50, p99, cpu99 = with_many_runs(Path(tmp) / "b")
    print(f"RESULT per_task_ms_20={per20 * 1000:.1f} per_task_ms_500={per500 * 1000:.1f} "
          f"ratio_500={per500 / per20:.2f} tick_p99_ms_200={p99 * 1000:.1f} tick_p50_ms_200={p50 * 1000:.1f} "
          f"per_task_ms_500_serial={per500s * 1000:.1f} ratio_500_serial={per500s / per20:.2f} "
          f"tick_cpu_p99_ms_200={cpu99 * 1000:.1f}")


if __name__ == "__main__":
    main()
