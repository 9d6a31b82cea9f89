"""SIGKILL the real daemon process while its task runs as a pod; a new daemon adopts the
same pod, and the task's log holds every line exactly once."""
import json
import signal
import subprocess
import sys
from pathlib import Path

from models import logs, pipelines, runs
from models.status import is_terminal
from models.tables import Run, TaskRun
from tests.conftest import pipeline_spec, script_task, wait_for
from tests.fakekube.fixture import fake_kube  # noqa: F401  (pytest fixture)
from tests.fakekube.millrace import register

ROOT = Path(__file__).resolve().parent.parent


def output(run_id):
    task = TaskRun.get((TaskRun.run == run_id) & (TaskRun.name == "count"))
    return [t for _, _, t in logs.lines_after(task.id) if not t.startswith("[")]


def test_sigkill_while_a_pod_runs_then_restart_adopts_it_with_an_exact_log(home, fake_kube):
    register(fake_kube)
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("count", "i=1; while :; do echo line $i; i=$((i+1)); sleep 1; done")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    procs = []

    def daemon():
        procs.append(subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--home", str(home), "daemon"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        return procs[-1]
    try:
        first = daemon()
        task = wait_for(lambda: (t := TaskRun.get((TaskRun.run == run.id) & (TaskRun.name == "count"))).handle_json and t,
                        message="the task's pod to be created")
        handle = json.loads(task.handle_json)
        fake_kube.start_pod(handle["pod"])
        fake_kube.log(handle["pod"], *[f"line {i}" for i in range(1, 6)])
        wait_for(lambda: len(output(run.id)) == 5, message=lambda: f"5 lines shipped (have {output(run.id)})")
        first.send_signal(signal.SIGKILL)
        first.wait()
        fake_kube.log(handle["pod"], *[f"line {i}" for i in range(6, 11)])   # while no daemon runs
        daemon()
        wait_for(lambda: len(output(run.id)) >= 10, message=lambda: f"10 lines shipped (have {output(run.id)})")
        fake_kube.log(handle["pod"], "line 11", "line 12")
        fake_kube.finish_pod(handle["pod"], exit_code=0)
        done = wait_for(lambda: (r := Run.get_by_id(run.id)) and is_terminal(r.status) and r, message="the run's end")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert done.status == "succeeded", done.reason
    assert output(run.id) == [f"line {i}" for i in range(1, 13)]
    assert json.loads(TaskRun.get_by_id(task.id).handle_json)["uid"] == handle["uid"]
    assert fake_kube.count(verb="create", resource="pods") == 1
    assert fake_kube.pod_names("millrace-test") == []
