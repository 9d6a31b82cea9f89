"""A full disk under the data directory: the daemon pauses and recovers, never exits.

The home lives on a small tmpfs of its own (mounting needs root, which CI has); a task
fills it to the last byte, the daemon must keep running, say it is paused and why, fail
that task with `disk full: …`, and start new work once the space is back.
"""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from models import home as home_mod
from models import pipelines, runs
from models.db import database
from models.status import is_terminal
from models.tables import DaemonHeartbeat, Run, TaskRun
from tests.conftest import pipeline_spec, script_task, wait_for

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    database.close()
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_pauses_the_daemon_fails_the_task_and_work_resumes_when_space_returns(small_disk, tmp_path,
                                                                                         monkeypatch):
    home = small_disk / "home"
    monkeypatch.setenv("MILLRACE_HOME", str(home))
    home_mod.open_home(home, migrate=True)
    fill, go = small_disk / "fill", tmp_path / "go"
    p = pipelines.create(pipeline_spec(name="filler", stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("fill", f"echo filling\ndd if=/dev/zero of={fill} bs=64k 2>/dev/null || true\n"
                            f"while [ ! -e {go} ]; do sleep 0.05; done\nexit 0")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    log = open(tmp_path / "daemon.log", "wb")
    daemon = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--home", str(home), "daemon"],
                              stdout=subprocess.DEVNULL, stderr=log)
    try:
        wait_for(lambda: fill.exists() and os.statvfs(small_disk).f_bavail == 0, message="the disk to fill up")
        wait_for(lambda: b"paused: disk full" in (tmp_path / "daemon.log").read_bytes(),
                 message="the daemon to say it paused")
        go.touch()                                 # the task ends while the disk is still full
        reserve = next((home / "runs" / str(run.id) / "tasks").glob("*/exit_code.reserve"))
        wait_for(lambda: b"disk-full" in reserve.read_bytes(), message="the task to end on the full disk")
        assert not (reserve.parent / "exit_code").exists()      # no room for its usual exit-code file
        assert daemon.poll() is None, "the daemon kept running"
        fill.unlink()                              # space returns
        done = wait_for(lambda: (r := Run.get_by_id(run.id)) and is_terminal(r.status) and r,
                        message="the run to end once space returned")
        task = TaskRun.get((TaskRun.run == run.id) & (TaskRun.name == "fill"))
        assert (done.status, task.status) == ("failed", "failed")
        assert task.reason.startswith("disk full: "), task.reason
        wait_for(lambda: DaemonHeartbeat.select().where(DaemonHeartbeat.state == "running").exists(),
                 message="the daemon to resume")
        again = pipelines.create(pipeline_spec(name="after", stages=[{"name": "S", "mode": "serial", "tasks": [
            script_task("t", "echo fine")]}]), "tester")
        later = runs.enqueue_run(again, "manual", "tester")
        assert wait_for(lambda: (r := Run.get_by_id(later.id)) and is_terminal(r.status) and r).status == "succeeded"
        assert daemon.poll() is None
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=60)
