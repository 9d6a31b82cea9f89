"""Two processes hammering one SQLite file: nobody ever sees "database is locked"."""
import os
import subprocess
import sys
import textwrap

import pytest

from models import pipelines, runs
from models.status import is_terminal
from models.tables import Run
from tests.conftest import pipeline_spec, script_task, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WRITER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from models import home, pipelines, runs, logs
    from models.tables import Run, TaskRun
    home.open_home({home!r})
    p = pipelines.get("noisy")
    errors, done = [], 0
    # At least 4 s beside the daemon and at least 30 writes; a loaded machine may need longer
    # for 30, so the bound is generous (a starved writer still fails the test below).
    end, cap = time.monotonic() + 4, time.monotonic() + 90
    while time.monotonic() < cap and (time.monotonic() < end or done < 30):
        try:
            spec = pipelines.current_spec(p)
            spec["description"] = "edit %d" % done
            pipelines.save(p, spec, "writer")
            if done % 10 == 0:
                runs.enqueue_run(p, "manual", "writer")
            Run.select().count(); TaskRun.select().count()
            for t in TaskRun.select().limit(3):
                list(logs.lines_after(t.id, max(0, t.log_lines - 50)))
            done += 1
        except Exception as exc:
            errors.append(repr(exc))
    print(done, len(errors), errors[:3])
""")


@pytest.mark.slow          # ~10 s on an idle machine: 60,000 log lines beside a busy writer
def test_daemon_writing_heavily_beside_another_writer_and_reader(home):
    body = 'i=0; while [ $i -lt 20000 ]; do echo "log line $i with some padding text"; i=$((i+1)); done'
    p = pipelines.create(pipeline_spec("noisy", stages=[{"name": "P", "mode": "parallel", "tasks": [
        script_task("a", body), script_task("b", body), script_task("c", body)]}]), "tester")
    runs.enqueue_run(p, "manual", "tester")
    daemon = subprocess.Popen([sys.executable, os.path.join(ROOT, "run.py"), "--home", str(home), "daemon"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        writer = subprocess.run([sys.executable, "-c", WRITER.format(root=ROOT, home=str(home))],
                                capture_output=True, text=True, timeout=300)
        assert writer.returncode == 0, writer.stderr
        done, errors, sample = writer.stdout.split(" ", 2)
        assert int(errors) == 0, sample
        assert int(done) >= 30, "the writer made progress while the daemon wrote"
        wait_for(lambda: all(is_terminal(r.status) for r in Run.select()), timeout=300, interval=0.2,
                 message=lambda: f"every run to end ({[(r.number, r.status) for r in Run.select()]})")
    finally:
        daemon.terminate()
        _, stderr = daemon.communicate(timeout=60)
    assert "database is locked" not in stderr
    assert all(r.status == "succeeded" for r in Run.select()), [(r.number, r.status, r.reason) for r in Run.select()]
