"""The engine under faults, with real daemon processes killed at exact moments.

Each test reproduces one fault of the fault-testing report: two daemons on one home, a
kill between the claim and the run's rows, a kill between a task's spawn and its record,
a stop racing a task's own end, a status written over a terminal one, internal errors and
deleted directories that left processes running. Kills happen at named fault points
(daemon/faults.py, `MILLRACE_FAULT`), never by luck.
"""
import json
import os
import shutil
import signal
from pathlib import Path

import pytest

from models import daemon_state, logs, pipelines, runs
from models.status import is_terminal
from models.tables import Run, StageRun, TaskRun
from tests.conftest import pipeline_spec, run_until_done, script_task, tick_until, wait_for



def ended(run_id):
    return wait_for(lambda: (r := Run.get_by_id(run_id)) and is_terminal(r.status) and r,
                    message=lambda: f"run {run_id} to end (now {Run.get_by_id(run_id).status})")


def task_row(run_id, name):
    return TaskRun.get((TaskRun.run == run_id) & (TaskRun.name == name))


def own_lines(task_run_id):
    return [t for _, _, t in logs.lines_after(task_run_id) if not t.startswith("[millrace]")]


def counting_task(name, starts: Path, lines: int = 50, extra: str = ""):
    """A task that records each start of its process in `starts` and prints numbered lines."""
    return script_task(name, f'echo "$MILLRACE_RUN {name}" >> {starts}\n{extra}\n'
                             f'i=1; while [ $i -le {lines} ]; do echo "line $i"; i=$((i+1)); done')


def test_a_second_daemon_on_the_same_home_names_the_holder_and_exits(home, daemon_proc):
    first = daemon_proc()
    wait_for(lambda: (home / "daemon.lock").exists() and (home / "daemon.lock").read_text().strip())
    second = daemon_proc()
    assert second.wait(timeout=60) == 3
    message = second.log_path.read_text()
    assert f"another Millrace daemon (pid {first.pid}) holds {home / 'daemon.lock'}" in message
    assert first.poll() is None


def test_two_daemons_started_together_run_every_task_exactly_once_with_complete_logs(home, daemon_proc, tmp_path):
    starts = tmp_path / "starts"
    made = []
    for r in range(4):
        p = pipelines.create(pipeline_spec(name=f"p{r}", stages=[
            {"name": "A", "mode": "parallel", "tasks": [counting_task(f"a{i}", starts, 200) for i in range(4)]},
            {"name": "B", "mode": "serial", "tasks": [counting_task(f"b{i}", starts, 200) for i in range(4)]}]),
            "tester")
        made.append(runs.enqueue_run(p, "manual", "tester"))
    first, second = daemon_proc(), daemon_proc()     # both race for the home
    loser = wait_for(lambda: next((d for d in (first, second) if d.poll() is not None), None),
                     message="one of the two daemons to give up")
    assert loser.returncode == 3, loser.log_path.read_text()
    winner = second if loser is first else first
    # and a third daemon that takes over after the winner is killed mid-work
    wait_for(lambda: TaskRun.select().where(TaskRun.status == "succeeded").count() >= 6)
    winner.send_signal(signal.SIGKILL)
    winner.wait()
    daemon_proc()
    for run in made:
        done = ended(run.id)
        assert done.status == "succeeded", done.reason
    recorded = starts.read_text().splitlines()
    expected = sorted(f"p{r}#1 {kind}{i}" for r in range(4) for kind in "ab" for i in range(4))
    assert sorted(recorded) == expected, "every task's process started exactly once"
    for task in TaskRun.select().where(TaskRun.task_type == "script"):
        assert own_lines(task.id) == [f"line {i}" for i in range(1, 201)], task.name


@pytest.mark.parametrize("point", ["ship.before_commit", "ship.after_store"])
def test_a_daemon_killed_while_it_stores_a_big_log_stores_every_line_exactly_once(home, daemon_proc, point):
    # 300,000 lines of 100 bytes: several stores (a few MB each); the daemon dies in the
    # third, before or after its commit, and the next one ships on from the stored cursor
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [script_task(
        "big", "awk 'BEGIN { for (i = 1; i <= 300000; i++) printf \"%099d\\n\", i }'; echo last")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    crashed = daemon_proc(fault=point, after=2)
    assert crashed.wait(timeout=120) == -signal.SIGKILL
    assert 0 < task_row(run.id, "big").log_lines < 300001
    daemon_proc()
    assert ended(run.id).status == "succeeded"
    lines = own_lines(task_row(run.id, "big").id)
    assert len(lines) == 300001 and lines[-1] == "last"
    assert lines[:-1] == [f"{i:099d}" for i in range(1, 300001)]


def test_a_daemon_killed_between_the_claim_and_the_rows_leaves_the_run_queued(home, daemon_proc, tmp_path):
    starts = tmp_path / "starts"
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial",
                                                "tasks": [counting_task("only", starts)]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    crashed = daemon_proc(fault="claim.before_commit")
    assert crashed.wait(timeout=60) == -signal.SIGKILL
    assert Run.get_by_id(run.id).status == "queued"       # the claim was rolled back with the rows
    assert not StageRun.select().where(StageRun.run == run.id).exists()
    daemon_proc()
    done = ended(run.id)
    assert done.status == "succeeded" and starts.read_text().splitlines() == [f"{p.name}#1 only"]
    assert own_lines(task_row(run.id, "only").id)[-1] == "line 50"


def test_a_running_run_without_rows_is_started_not_called_a_success(home, daemon, tmp_path):
    """A database left by a Millrace that committed the claim apart from the rows."""
    starts = tmp_path / "starts"
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial",
                                                "tasks": [counting_task("only", starts)]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    runs.claim_next()                          # running, and no stage or task rows
    done = run_until_done(daemon, run.id)
    assert done.status == "succeeded"
    assert starts.read_text().splitlines() == [f"{p.name}#1 only"]


def test_a_stored_version_with_no_task_fails_its_run_with_a_reason(home, daemon):
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [script_task("t", "true")]}]),
                         "tester")
    version = pipelines.current_version(p)
    version.definition_json = json.dumps({**json.loads(version.definition_json),
                                          "stages": [{"name": "S", "mode": "serial", "tasks": []}]})
    version.save()                             # as an older Millrace accepted it
    done = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id)
    assert done.status == "failed"
    assert done.reason == f"version 1 of pipeline '{p.name}' has no task to run; add a task and save it"


@pytest.mark.parametrize("fault", ["local.after_spawn", "task.before_record"])
def test_a_daemon_killed_between_spawn_and_record_never_starts_the_task_twice(home, daemon_proc, tmp_path, fault):
    starts, go = tmp_path / "starts", tmp_path / "go"
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        counting_task("deploy", starts, extra=f"while [ ! -e {go} ]; do sleep 0.05; done")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    crashed = daemon_proc(fault=fault)
    assert crashed.wait(timeout=60) == -signal.SIGKILL
    wait_for(lambda: starts.exists() and starts.read_text())     # the process did start, unrecorded
    daemon_proc()
    wait_for(lambda: task_row(run.id, "deploy").handle_json)     # adopted by the new daemon
    go.touch()
    done = ended(run.id)
    assert done.status == "succeeded", done.reason
    assert starts.read_text().splitlines() == [f"{p.name}#1 deploy"], "started exactly once"
    assert own_lines(task_row(run.id, "deploy").id) == [f"line {i}" for i in range(1, 51)]


def test_a_stop_that_arrives_after_the_task_ended_leaves_it_succeeded(home, daemon, tmp_path):
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("quick", f"while [ ! -e {tmp_path / 'go'} ]; do sleep 0.02; done; echo done")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    tick_until(daemon, lambda: task_row(run.id, "quick").status == "running")
    task_dir = Path(json.loads(task_row(run.id, "quick").handle_json)["task_dir"])
    (tmp_path / "go").touch()
    wait_for(lambda: (task_dir / "exit_code").exists())    # it ended on its own, the daemon has not seen it
    runs.request_stop(run, "alice")                        # ... and the stop arrives now
    done = run_until_done(daemon, run.id)
    assert (done.status, task_row(run.id, "quick").status) == ("succeeded", "succeeded")


def test_a_run_ended_by_another_writer_is_never_revived(home, daemon, tmp_path):
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("long", "sleep 30")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    tick_until(daemon, lambda: task_row(run.id, "long").status == "running")
    runs.set_status(Run.get_by_id(run.id), "failed", "ended elsewhere")
    for _ in range(5):
        daemon.tick()
    assert Run.get_by_id(run.id).status == "failed"


def _group_alive(pgid: int) -> bool:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                raw = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = raw[raw.rindex(")") + 2:].split()
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                return True
    return False


def test_an_internal_error_fails_the_run_and_stops_its_processes(home, daemon, tmp_path, monkeypatch):
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("loop", "while :; do sleep 0.3; done")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    tick_until(daemon, lambda: task_row(run.id, "loop").status == "running")
    pid = json.loads(task_row(run.id, "loop").handle_json)["pid"]

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the planner")
    monkeypatch.setattr(daemon._advancer, "_plan", broken)
    daemon.tick()
    done = Run.get_by_id(run.id)
    assert (done.status, done.reason) == ("failed", "internal error: a bug in the planner")
    wait_for(lambda: not _group_alive(pid), message="the task's process group to be stopped")


def test_a_run_directory_deleted_mid_run_fails_the_task_and_stops_its_process(home, daemon, tmp_path):
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("loop", "while :; do echo tick; sleep 0.3; done")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    tick_until(daemon, lambda: task_row(run.id, "loop").status == "running")
    pid = json.loads(task_row(run.id, "loop").handle_json)["pid"]
    gone = home / "runs" / str(run.id)
    # as `rm -rf` by hand: the running task may create a file between rmtree's listing and its rmdir
    wait_for(lambda: shutil.rmtree(gone, ignore_errors=True) or not gone.exists(), message="the run directory gone")
    done = run_until_done(daemon, run.id)
    task = task_row(run.id, "loop")
    assert done.status == "failed" and task.status == "failed"
    assert task.reason.startswith("the task's files were deleted while it ran (") and "its process was stopped" in task.reason
    tick_until(daemon, lambda: not _group_alive(pid), message="the task's process group to be stopped")


def test_a_run_that_cannot_be_started_fails_and_does_not_hold_up_the_others(home, daemon):
    broken = pipelines.create(pipeline_spec(name="broken", stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("t", "true")]}]), "tester")
    version = pipelines.current_version(broken)
    bad = runs.enqueue_run(broken, "manual", "tester")
    version.definition_json = "{not json"        # as a damaged row would be
    version.save()
    fine = pipelines.create(pipeline_spec(name="fine", stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("t", "echo fine")]}]), "tester")
    good = runs.enqueue_run(fine, "manual", "tester")
    assert run_until_done(daemon, good.id).status == "succeeded"
    failed = Run.get_by_id(bad.id)
    assert failed.status == "failed" and failed.reason.startswith("internal error: ")


def test_run_and_task_times_are_stored_while_the_run_is_active(home, daemon, clock):
    daemon_state.set_setting("task_slots", "1", "tester")
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "parallel", "tasks": [
        script_task("first", "sleep 30"), script_task("second", "sleep 30")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    tick_until(daemon, lambda: task_row(run.id, "second").status == "waiting", clock)
    # fake time only: the claim and every tick are stamped with the clock's now
    for _ in range(4):
        clock.advance(5)
        daemon.tick(clock.now())
    stored = Run.get_by_id(run.id)
    assert stored.execution_seconds >= 6, "stored during the run, not only at its end"
    runs.request_stop(stored, "tester")
    run_until_done(daemon, run.id, clock=clock)
    assert task_row(run.id, "second").waiting_seconds >= 6


def test_an_internal_error_leaves_no_raw_output_and_settles_the_stages(home, daemon, monkeypatch):
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("loop", "echo secret-ish; while :; do sleep 0.3; done")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    tick_until(daemon, lambda: own_lines(task_row(run.id, "loop").id) == ["secret-ish"])
    task_dir = Path(json.loads(task_row(run.id, "loop").handle_json)["task_dir"])
    daemon.reaper.grace = 0                    # KILL at the next tick instead of after 10 s
    monkeypatch.setattr(daemon._advancer, "_plan", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("bug")))
    daemon.tick()
    monkeypatch.undo()
    tick_until(daemon, lambda: not (task_dir / "output.log").exists(), message="the raw output to be removed")
    assert {s.status for s in StageRun.select().where(StageRun.run == run.id)} == {"failed"}


def test_a_task_with_a_path_of_its_own_and_default_interrupt_signals(home, daemon):
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("own-path", "/bin/grep SigIgn /proc/self/status",
                    env=[{"name": "PATH", "value": "/nowhere"}])]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    assert run_until_done(daemon, run.id).status == "succeeded"
    ignored = int(own_lines(task_row(run.id, "own-path").id)[0].split()[1], 16)
    assert not ignored & (1 << (signal.SIGINT - 1)) and not ignored & (1 << (signal.SIGQUIT - 1))
