#!/usr/bin/env python3
"""Delivery benchmark: Millrace's overhead around an image build and push.

In one run, on temporary everything (container storage, a Debian `docker-registry`, a
smart-HTTP git server holding the manual's example 1, a data directory and a real
daemon process), alternately:
 (a) Millrace: a pipeline with the code source and one build & publish image task;
 (b) the floor: the same work without Millrace — `git clone`, then the very build
     script Millrace runs (`plan_build(...).script`: buildah bud and buildah push with
     the same flags) — in the same storage, to the same registry.
The goal compares the build stage as the daemon ran it (checkout ended → run succeeded:
starting the task, the build and push, noticing its end, recording the digest, finishing
the run) with the build script by hand: ≤ 1.2×. Also shown: the whole run (enqueue →
seen succeeded, including Millrace's checkout) against git clone + the build script.
Medians of 7 alternating rounds (minimums too: this machine is often shared).
Last line: RESULT key=value …
Run: python bench/delivery.py   (needs buildah, runc, docker-registry, busybox-static)
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

from daemon.tasks.lib.container_build import plan_build  # noqa: E402
from daemon.tasks.lib.registry import Registry  # noqa: E402
from models import home as home_mod, pipelines, registries, runs  # noqa: E402
from bench.support import wait_run  # noqa: E402
from models.tables import TaskRun  # noqa: E402
from tests.delivery.containers import ContainersConfig, make_busybox  # noqa: E402
from tests.delivery.examples import example_2048  # noqa: E402
from tests.delivery.git_server import GitServer  # noqa: E402
from tests.delivery.registry_server import start_registry  # noqa: E402

ROUNDS, GOAL = 7, 1.2


def millrace_round(pipeline) -> tuple[float, float]:
    """(enqueue → seen succeeded, checkout ended → run succeeded: the build stage as the engine ran it)."""
    t0 = time.perf_counter()
    run = wait_run(runs.enqueue_run(pipeline, "manual", "bench").id)
    total = time.perf_counter() - t0
    checkout = TaskRun.get((TaskRun.run == run.id) & (TaskRun.name == "checkout"))
    return total, (run.finished_at - checkout.finished_at).total_seconds()


def direct_round(env, repo_url, registry_host, tag, work: Path) -> tuple[float, float]:
    """git clone, then Millrace's own build script run by hand; output to a file as a task's would be."""
    t0 = time.perf_counter()
    subprocess.run(["git", "clone", "--quiet", "--depth", "1", "--branch", "master", repo_url, str(work / "src")],
                   env=env, check=True)
    t1 = time.perf_counter()
    plan = plan_build(work / "src", "Dockerfile", Registry(registry_host, insecure=True), "devops", "direct", tag,
                      work / "build")
    (work / "build").mkdir()
    (work / "build.sh").write_text(plan.script)
    with open(work / "build.log", "wb") as out:
        subprocess.run(["/bin/sh", str(work / "build.sh")], env={**env, **plan.env}, cwd=work / "src", check=True,
                       stdout=out, stderr=subprocess.STDOUT)
    end = time.perf_counter()
    return end - t0, end - t1


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        containers = ContainersConfig(tmp / "containers")
        env = {k: v for k, v in containers.env.items() if not k.startswith("REGISTRY_")}   # registry reads REGISTRY_*
        registry = start_registry(tmp / "registry")
        containers.mark_insecure(registry.host)
        git = GitServer(tmp / "git")
        daemon = None
        try:
            base = make_busybox(containers)
            git.publish("jack-2048", example_2048(registry.host, base))
            home = tmp / "home"
            home_mod.open_home(home, migrate=True)
            registries.add("local", registry.host, "bench", insecure=True)
            pipeline = pipelines.apply({"name": "jack-2048", "source": {"repository": git.url("jack-2048"), "branch": "master"},
                                        "stages": [{"name": "Build", "mode": "serial", "tasks": [
                                            {"name": "image", "type": "build_image", "image": "jack-2048",
                                             "tag": "alpha-${BUILD_ID}", "workspace": "devops"}]}]}, "bench")[0]
            daemon = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--home", str(home), "daemon"],
                                      env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)
            run_env = {**os.environ, **env, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
            millrace_round(pipeline)                                   # warm-up: caches, first image layers
            direct_round(run_env, git.url("jack-2048"), registry.host, "warm", tmp / "direct-warm")
            ours, floor = [], []
            for i in range(ROUNDS):
                ours.append(millrace_round(pipeline))
                floor.append(direct_round(run_env, git.url("jack-2048"), registry.host, f"r{i}", tmp / f"direct-{i}"))
        finally:
            if daemon is not None:
                daemon.terminate()
                daemon.wait(timeout=30)
            git.stop()
            registry.stop()
            containers.cleanup()
    med, low = statistics.median, min
    run_s, stage_s = med(t for t, _ in ours), med(b for _, b in ours)
    f_total, f_build = med(t for t, _ in floor), med(b for _, b in floor)
    ratio, min_ratio = stage_s / f_build, low(b for _, b in ours) / low(b for _, b in floor)
    print(f"build stage in Millrace: {stage_s:.2f} s median of {ROUNDS} (min {low(b for _, b in ours):.2f} s); "
          f"the build script by hand: {f_build:.2f} s (min {low(b for _, b in floor):.2f} s)")
    print(f"  → ratio {ratio:.2f} (on minimums {min_ratio:.2f}); goal ≤ {GOAL}")
    print(f"whole run (enqueue → succeeded, with checkout): {run_s:.2f} s; git clone + build script: {f_total:.2f} s "
          f"→ ratio {run_s / f_total:.2f}")
    print(f"RESULT ratio={ratio:.2f} min_ratio={min_ratio:.2f} goal={GOAL} pass={'yes' if ratio <= GOAL else 'no'} "
          f"stage_s={stage_s:.3f} floor_build_s={f_build:.3f} run_s={run_s:.3f} floor_run_s={f_total:.3f} "
          f"run_ratio={run_s / f_total:.2f} rounds={ROUNDS} load1={os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
