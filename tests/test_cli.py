"""The CLI as a user types it: real processes, the shipped sample, a real daemon."""
import json
import os
import re
import sqlite3
import subprocess
import sys

import pytest

from tests.conftest import wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(home, *args, check=True, timeout=300):
    result = subprocess.run([sys.executable, os.path.join(ROOT, "run.py"), "--home", str(home), *args],
                            capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} exited {result.returncode}: {result.stderr}")
    return result


@pytest.fixture
def cli_home(tmp_path):
    home = tmp_path / "home"
    cli(home, "migrate")
    return home


def _heartbeat(home) -> bool:
    with sqlite3.connect(home / "millrace.db") as conn:
        return conn.execute("SELECT count(*) FROM daemon_heartbeat WHERE state = 'running'").fetchone()[0] > 0


@pytest.fixture
def running_daemon(cli_home):
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "run.py"), "--home", str(cli_home), "daemon"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    def beating():                               # `run --wait` checks for a live daemon at once
        assert proc.poll() is None, f"the daemon exited with {proc.returncode}"
        return _heartbeat(cli_home)
    wait_for(beating, message="the daemon's first heartbeat", ignore=(sqlite3.Error,))
    yield proc
    proc.terminate()
    proc.wait(timeout=60)


def test_a_database_that_needs_migrating_is_refused_with_the_fix(tmp_path):
    result = cli(tmp_path / "fresh", "pipelines", check=False)
    assert result.returncode == 2
    assert re.search(r"needs \d+ migration\(s\) \(0001_engine", result.stderr)
    assert "python run.py migrate" in result.stderr
    assert re.search(r"applied \d+ migration\(s\): 0001_engine", cli(tmp_path / "fresh", "migrate").stdout)
    assert "up to date" in cli(tmp_path / "fresh", "migrate").stdout


def test_the_sample_runs_through_apply_run_wait_and_logs(cli_home, running_daemon):
    assert "pipeline 'sample' created" in cli(cli_home, "apply", "-f", "examples/sample.yaml").stdout
    assert "pipeline 'sample' unchanged" in cli(cli_home, "apply", "-f", "examples/sample.yaml").stdout
    result = cli(cli_home, "run", "sample", "--wait", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sample#1 succeeded" in result.stdout
    log = cli(cli_home, "logs", "sample#1").stdout
    assert "── Test / unit-tests" in log and "ok 1 - greet.sh greets by name" in log
    assert "publishing dist/sample-1.0.1.tar as release sample-1" in log      # dynamic parameter + ${BUILD_ID}
    only_lint = cli(cli_home, "logs", "sample#1", "--task", "lint").stdout
    assert "parses" in only_lint and "greets" not in only_lint
    shown = json.loads(cli(cli_home, "show", "sample#1", "--json").stdout)
    # --json: the REST API's shapes (Run, RunSummary, Pipeline), the same as against a server
    assert [t["name"] for s in shown["stages"] for t in s["tasks"]] == \
        ["checkout", "inspect", "package", "unit-tests", "lint", "publish"]
    listed = json.loads(cli(cli_home, "runs", "sample", "--json").stdout)
    assert listed[0]["label"] == "sample#1" and listed[0]["status"] == "succeeded"
    assert json.loads(cli(cli_home, "pipelines", "--json").stdout)[0]["last_run"]["status"] == "succeeded"


def test_run_wait_fails_for_a_failed_run_and_follow_prints_the_log(cli_home, running_daemon, tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "name: bad\nstages:\n- name: S\n  tasks:\n  - name: t\n    type: script\n    image: x\n"
        "    script: |\n      echo about to fail\n      exit 7\n")
    cli(cli_home, "apply", "-f", str(tmp_path / "bad.yaml"))
    result = cli(cli_home, "run", "bad", "--follow", check=False)
    assert result.returncode == 1
    assert "about to fail" in result.stdout
    assert "bad#1 failed: task 't' in stage 'S' failed: exit code 7" in result.stdout


def test_run_wait_says_clearly_when_no_daemon_is_alive(cli_home):
    cli(cli_home, "apply", "-f", "examples/sample.yaml")
    result = cli(cli_home, "run", "sample", "--wait", check=False)
    assert result.returncode == 3
    assert "no Millrace daemon is running" in result.stderr


def test_bad_input_gets_specific_errors(cli_home, tmp_path):
    (tmp_path / "broken.yaml").write_text("name: broken\nstages:\n- name: S\n  tasks:\n  - name: t\n    type: script\n")
    result = cli(cli_home, "apply", "-f", str(tmp_path / "broken.yaml"), check=False)
    assert result.returncode == 1
    assert "stages[0].tasks[0].image: required" in result.stderr
    assert "stages[0].tasks[0].script: required" in result.stderr
    assert "no pipeline named 'nope'" in cli(cli_home, "run", "nope", check=False).stderr
    missing = cli(cli_home, "apply", "-f", str(tmp_path / "absent.yaml"), check=False)
    assert missing.returncode == 1 and missing.stderr.startswith("error: No such file or directory: ")
    assert "runs are named pipeline#number" in cli(cli_home, "show", "sample-1", check=False).stderr
    cli(cli_home, "apply", "-f", "examples/sample.yaml")
    assert "has no parameter COLOUR (declared: GREETING)" in cli(cli_home, "run", "sample", "--param", "COLOUR=red",
                                                                  check=False).stderr


def test_deactivate_says_why_a_run_is_refused(cli_home):
    cli(cli_home, "apply", "-f", "examples/sample.yaml")
    cli(cli_home, "deactivate", "sample")
    result = cli(cli_home, "run", "sample", check=False)
    assert result.returncode == 1 and "deactivated" in result.stderr


def test_apply_puts_a_new_pipeline_in_the_project_named_and_never_moves_one(cli_home, tmp_path):
    spec = tmp_path / "p.yaml"
    spec.write_text("name: placed\nstages:\n  - name: S\n    tasks:\n      - {name: t, type: script, image: busybox, script: 'true'}\n")
    missing = cli(cli_home, "apply", "--project", "nowhere", "-f", str(spec), check=False)
    assert missing.returncode != 0 and "no project named 'nowhere'" in missing.stderr
    cli(cli_home, "project", "add", "alpha")
    cli(cli_home, "apply", "--project", "alpha", "-f", str(spec))
    with sqlite3.connect(cli_home / "millrace.db") as conn:
        assert conn.execute("SELECT project FROM pipeline WHERE name = 'placed'").fetchone() == ("alpha",)
    moved = cli(cli_home, "apply", "--project", "default", "-f", str(spec), check=False)
    assert moved.returncode != 0 and "pipeline 'placed' is in project 'alpha'" in moved.stderr
    assert "unchanged" in cli(cli_home, "apply", "-f", str(spec)).stdout     # no --project: updated where it is
