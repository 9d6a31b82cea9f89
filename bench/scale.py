#!/usr/bin/env python3
"""Scale benchmark: does the daemon's work per task stay flat as runs grow and multiply?

Measured in one run, on temporary data directories, with real task processes:
 (0) floor: daemon CPU per task for bench/engine.py's 20 no-op tasks in one serial stage
     (a real daemon process; CPU = utime+stime from /proc/<pid>/stat; median of 3 runs);
 (1) the same daemon, one run of 500 no-op tasks (50 serial stages × 10 parallel tasks):
     daemon CPU per task, and its ratio to (0) (goal ≤ 1.5);
 (2) 200 concurrently active runs of 5 serial `sleep` tasks (task_slots raised so all 200
     run at once), the daemon driven in this process — `Daemon.tick()` with the real
     LocalExecutor, in a loop like daemon.loop.serve (select on the tasks' pidfds, busy
     poll 0.25 s) — so each tick is timed with perf_counter and its CPU with process_time:
     tick p50/p99 while all 200 runs are active (goal p99 < 100 ms), CPU per task.
Last line: RESULT key=value …   Run: python bench/scale.py   (about 2–4 minutes)
`--profile DIR` instead runs (1) and (2) in-process under cProfile and writes DIR/case1.pstats,
DIR/case2.pstats (read them with `python -m pstats`), printing the top functions.
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
# Case (2)'s tasks sleep 3.0–3.9 s (varied by run number and position so that they do not
# all end in the same tick): every run stays active ≥ 15 s, long after the last is claimed.
SLEEP = "sleep 3.$(( (BUILD_ID * 7 + {k} * 3) % 10 ))"
BUSY_POLL_SECONDS = 0.25             # daemon.loop's poll interval while work is active
_ACTIVE = [Status.RUNNING.value, Status.WAITING.value]   # what Daemon.tick advances


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
    """daemon.loop.serve's loop without the wake socket and signals, each tick timed."""

    def __init__(self):
        from daemon.main import Daemon
        self.daemon = Daemon()
        self.ticks = []              # (active runs before the tick, wall s, cpu s)

    def run_until(self, run_ids, timeout=600):
        pending = set(run_ids)
        deadline = time.monotonic() + timeout
        try:
            while pending:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{len(pending)} runs still active")
                active = Run.select().where(Run.status.in_(_ACTIVE)).count()
                t0, c0 = time.perf_counter(), time.process_time()
                self.daemon.tick()
                self.ticks.append((active, time.perf_counter() - t0, time.process_time() - c0))
                done = {r.id: r for r in Run.select(Run.id, Run.status, Run.reason).where(Run.id.in_(list(pending)))
                        if is_terminal(r.status)}
                for r in done.values():
                    assert r.status == "succeeded", (r.id, r.status, r.reason)
                pending -= set(done)
                fds = self.daemon.wait_fds()
                if fds is None:      # a task already ended: tick again at once
                    continue
                select.select(fds, [], [], BUSY_POLL_SECONDS)
        finally:
            self.daemon.shutdown()


def in_process(home, case):
    """Drive the daemon in this process: case 1 = one 500-task run, case 2 = 200 runs × 5 tasks."""
    home_mod.open_home(home, migrate=True)
    daemon_state.set_setting("task_slots", "1000", "bench")
    if case == 1:
        p = staged_pipeline("noop500", STAGES, WIDTH)
        ids = [runs.enqueue_run(p, "manual", "bench").id]
    else:
        p = active_pipeline("active200")
        ids = [runs.enqueue_run(p, "manual", "bench").id for _ in range(RUNS)]
    loop = TimedLoop()
    t0 = time.monotonic()
    loop.run_until(ids)
    return loop.ticks, time.monotonic() - t0


def with_many_runs(home):
    """(2): 200 runs active at once, ticks timed in-process."""
    ticks, wall = in_process(home, 2)
    tasks = RUNS * TASKS_PER_RUN
    # The first tick claims all 200 runs and starts their first tasks: reported on its own.
    first, steady = ticks[0], [t for t in ticks[1:] if t[0] == RUNS]
    assert len(steady) >= 5, f"only {len(steady)} ticks with {RUNS} runs active"
    walls = [w for _, w, _ in steady]
    p50, p99 = pct(walls, 50), pct(walls, 99)
    cpu_total = sum(c for _, _, c in ticks)
    print(f"(2) {RUNS} active runs × {TASKS_PER_RUN} tasks: tick p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
          f"max {max(walls) * 1000:.1f} ms over {len(steady)} ticks with all {RUNS} active (goal p99 < 100 ms); "
          f"tick CPU p50 {pct([c for _, _, c in steady], 50) * 1000:.1f} ms; "
          f"first tick (claims {RUNS} runs, starts {RUNS} tasks) {first[1]:.2f} s; "
          f"daemon CPU {cpu_total / tasks * 1000:.1f} ms per task over all {len(ticks)} ticks; wall {wall:.1f} s",
          flush=True)
    return p50, p99


def profile(out_dir):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for case in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            prof = cProfile.Profile()
            prof.enable()
            ticks, wall = in_process(Path(tmp) / "home", case)
            prof.disable()
            path = out_dir / f"case{case}.pstats"
            prof.dump_stats(path)
            walls = [w for _, w, _ in ticks]
            print(f"case {case}: {len(ticks)} ticks, wall {wall:.1f} s, tick p50 {pct(walls, 50) * 1000:.1f} ms "
                  f"p99 {pct(walls, 99) * 1000:.1f} ms (under cProfile) → {path}")
            pstats.Stats(str(path)).sort_stats("cumulative").print_stats(35)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", metavar="DIR", help="profile cases (1) and (2) in-process instead")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.profile:
        profile(args.profile)
        return
    with tempfile.TemporaryDirectory() as tmp:
        per20, per500, per500s = with_real_daemon(Path(tmp) / "a")
        p50, p99 = with_many_runs(Path(tmp) / "b")
    print(f"RESULT per_task_ms_20={per20 * 1000:.1f} per_task_ms_500={per500 * 1000:.1f} "
          f"ratio_500={per500 / per20:.2f} per_task_ms_500_serial={per500s * 1000:.1f} "
          f"ratio_500_serial={per500s / per20:.2f} tick_p99_ms_200={p99 * 1000:.1f} tick_p50_ms_200={p50 * 1000:.1f}")


if __name__ == "__main__":
    main()
