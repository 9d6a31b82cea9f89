"""Durable local tasks: SIGKILL the daemon mid-task, start it again, nothing lost or repeated."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from models import logs, pipelines, runs
from models.status import is_terminal
from models.tables import Run, TaskRun
from tests.conftest import pipeline_spec, script_task, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start_daemon(home):
    return subprocess.Popen([sys.executable, os.path.join(ROOT, "run.py"), "--home", str(home), "daemon"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def output_lines(task_run_id):
    """The task's own output lines (without Millrace's [millrace] notes)."""
    return [t for _, _, t in logs.lines_after(task_run_id) if not t.startswith("[millrace]")]


def task_row(run_id, name):
    return TaskRun.get((TaskRun.run == run_id) & (TaskRun.name == name))


@pytest.fixture
def daemons(home):
    started = []

    def start():
        proc = start_daemon(home)
        started.append(proc)
        return proc
    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sigkill_mid_task_then_restart_adopts_the_same_process_and_log_is_exact(home, daemons):
    body = 'i=1; while [ $i -le 60 ]; do echo "line $i"; i=$((i+1)); sleep 0.05; done'
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("count", body), script_task("after", "echo after")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    first = daemons()
    wait_for(lambda: task_row(run.id, "count").log_lines >= 5)
    pid_before = json.loads(task_row(run.id, "count").handle_json)["pid"]
    first.send_signal(signal.SIGKILL)
    first.wait()
    time.sleep(0.5)                                   # the task keeps writing while no daemon runs
    assert Run.get_by_id(run.id).status == "running"
    daemons()
    done = wait_for(lambda: (r := Run.get_by_id(run.id)) and is_terminal(r.status) and r)
    assert done.status == "succeeded", done.reason
    count = task_row(run.id, "count")
    assert json.loads(count.handle_json)["pid"] == pid_before, "the same process was adopted, not restarted"
    assert count.attempt == 1
    lines = output_lines(count.id)
    assert lines == [f"line {i}" for i in range(1, 61)]


def test_task_that_ended_while_the_daemon_was_down_is_finished_with_its_real_status(home, daemons):
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("short", "echo begun; sleep 1; echo finished; exit 4")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    first = daemons()
    wait_for(lambda: task_row(run.id, "short").log_lines >= 1)
    first.send_signal(signal.SIGKILL)
    first.wait()
    time.sleep(1.5)                                   # it ends while nobody watches
    daemons()
    done = wait_for(lambda: (r := Run.get_by_id(run.id)) and is_terminal(r.status) and r)
    task = task_row(run.id, "short")
    assert (done.status, task.status, task.exit_code) == ("failed", "failed", 4)
    assert output_lines(task.id) == ["begun", "finished"]


def test_a_process_that_vanished_while_the_daemon_was_down_is_failed_with_a_reason(home, daemons):
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("victim", "echo up; sleep 60")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    first = daemons()
    # the task's own line, not a [millrace] note (those are written before the task starts)
    wait_for(lambda: task_row(run.id, "victim").handle_json and output_lines(task_row(run.id, "victim").id) == ["up"])
    first.send_signal(signal.SIGKILL)
    first.wait()
    os.killpg(json.loads(task_row(run.id, "victim").handle_json)["pid"], signal.SIGKILL)
    daemons()
    done = wait_for(lambda: (r := Run.get_by_id(run.id)) and is_terminal(r.status) and r)
    assert done.status == "failed"
    assert "ended without reporting an exit status" in task_row(run.id, "victim").reason


def test_sigterm_stops_claiming_but_leaves_tasks_running(home, daemons, tmp_path):
    # The task runs until the test lets it end (a file appears), so "it survived the daemon's
    # shutdown" does not depend on how long a loaded machine takes to shut the daemon down.
    go = tmp_path / "go"
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("long", f"echo start; while [ ! -e {go} ]; do sleep 0.05; done; echo end")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    first = daemons()
    # The handle is stored with the start, the first line shipped later: wait for both.
    wait_for(lambda: (t := task_row(run.id, "long")).log_lines >= 1 and t.handle_json)
    pid = json.loads(task_row(run.id, "long").handle_json)["pid"]
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=60) == 0
    assert os.path.exists(f"/proc/{pid}"), "the task survived the daemon's warm shutdown"
    daemons()
    go.touch()
    done = wait_for(lambda: (r := Run.get_by_id(run.id)) and is_terminal(r.status) and r)
    assert done.status == "succeeded"
    assert output_lines(task_row(run.id, "long").id) == ["start", "end"]
