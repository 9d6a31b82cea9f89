"""The write side of logs with real task processes: the whole log, the error line included.

A task that prints a lot and exits is finished only after its last line is stored; lines
are never split at read blocks (a secret across one is masked); a line too long to keep
whole comes in marked pieces; the log cap stops collection visibly while the task keeps
its real exit status; no raw, unmasked copy of the output stays on disk.
"""
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from daemon.executors.base import MAX_LINE_BYTES
from models import daemon_state, logs, pipelines, runs
from models.tables import TaskRun
from tests.conftest import pipeline_spec, run_until_done, script_task, tick_until
from tests.test_log_download import get, server  # noqa: F401  (server: a real dashboard process, a fixture)

ROOT = Path(__file__).resolve().parent.parent
SECRET = "s3cr3t-TOKEN-0123456789"      # 23 characters


def one_task_run(script, env=None, name="p"):
    task = script_task("t", script, **({"env": env} if env else {}))
    p = pipelines.create(pipeline_spec(name=name, stages=[{"name": "S", "mode": "serial", "tasks": [task]}]), "tester")
    return runs.enqueue_run(p, "manual", "tester")


def task_of(run):
    return TaskRun.get((TaskRun.run == run.id) & (TaskRun.name == "t"))


def own_lines(task):
    return [t for _, _, t in logs.lines_after(task.id) if not t.startswith("[millrace]")]


def test_a_chatty_task_that_fails_keeps_every_line_and_the_error_line_last(home, daemon, server):
    # 50,000 lines of 100 bytes, then the error: all of it, once, in order, FATAL last
    run = one_task_run("i=0; line=$(printf '%099d' 0)\n"
                       "awk 'BEGIN { for (i = 1; i <= 50000; i++) printf \"%099d\\n\", i }'\n"
                       "echo 'FATAL: the build broke'; exit 1")
    done = run_until_done(daemon, run.id)
    task = task_of(run)
    assert (done.status, task.exit_code) == ("failed", 1)
    lines = own_lines(task)
    assert len(lines) == 50001 and lines[-1] == "FATAL: the build broke"
    assert lines[:3] == [f"{1:099d}", f"{2:099d}", f"{3:099d}"] and lines[49999] == f"{50000:099d}"
    assert task.log_lines == len(list(logs.lines_after(task.id)))
    printed = subprocess.run([sys.executable, str(ROOT / "run.py"), "--home", str(home), "logs", f"{run.pipeline.name}#1"],
                             capture_output=True, text=True, check=True).stdout
    assert printed.rstrip("\n").splitlines()[-1].endswith("FATAL: the build broke")
    downloaded = get(server.port, f"/api/tasks/{task.id}/log")          # the dashboard's download
    assert downloaded.status == 200
    body = [line.split(" ", 2)[2] for line in downloaded.body.decode().split("\n")[:-1]]
    assert [b for b in body if not b.startswith("[millrace]")] == lines


def test_a_10_mb_line_then_exit_is_kept_whole_in_marked_pieces_and_the_next_line_too(home, daemon):
    run = one_task_run("head -c 10485760 /dev/zero | tr '\\0' x; echo; echo NEXT")
    assert run_until_done(daemon, run.id).status == "succeeded"
    lines = own_lines(task_of(run))
    assert lines[-1] == "NEXT"
    pieces = lines[:-1]
    marker = " [millrace: line continues]"
    assert all(p.endswith(marker) for p in pieces[:-1]) and not pieces[-1].endswith(marker)
    assert sum(len(p.removesuffix(marker)) for p in pieces) == 10485760
    assert set("".join(p.removesuffix(marker) for p in pieces)) == {"x"}


def test_a_secret_across_a_read_block_edge_or_a_piece_cut_is_masked(home, daemon):
    # 2,621 lines of 100 bytes end at byte 262,100; the next line's secret then spans the 256 KiB
    # read block's edge at 262,144. Last: a long line whose secret sits exactly on a piece cut.
    script = (f"awk 'BEGIN {{ for (i = 1; i <= 2621; i++) printf \"%099d\\n\", i }}'\n"
              f"printf '%s' {'b' * 35}; echo \" $TOKEN bb\"\n"
              f"head -c {MAX_LINE_BYTES - 5} /dev/zero | tr '\\0' c; echo \"$TOKEN\"; echo tail")
    run = one_task_run(script, env=[{"name": "TOKEN", "value": SECRET, "secret": True}])
    assert run_until_done(daemon, run.id).status == "succeeded"
    lines = own_lines(task_of(run))
    assert len(lines[2620]) == 99 and lines[2621] == "b" * 35 + " *** bb"
    text = "\n".join(lines)
    assert SECRET not in text and SECRET[:8] not in text and SECRET[-8:] not in text
    assert lines[-1] == "tail" and lines[-3].endswith(" [millrace: line continues]")


def test_the_log_cap_stops_collection_visibly_and_the_task_keeps_its_exit_status(home, daemon):
    daemon_state.set_setting("log_cap_mb", "1", "tester")          # 1,048,576 bytes; the task prints 2,000,000
    run = one_task_run("awk 'BEGIN { for (i = 1; i <= 20000; i++) printf \"%099d\\n\", i }'\n"
                       "echo after-the-cap; exit 3")
    done = run_until_done(daemon, run.id)
    task = task_of(run)
    assert (done.status, task.status, task.exit_code) == ("failed", "failed", 3)
    notes = [t for _, _, t in logs.lines_after(task.id) if t.startswith("[millrace] log truncated at")]
    assert len(notes) == 1 and f"at {task.log_truncated_at} bytes" in notes[0]
    assert 1048576 - 100 < task.log_truncated_at <= 1048576
    kept = own_lines(task)
    assert kept == [f"{i:099d}" for i in range(1, len(kept) + 1)] and "after-the-cap" not in kept


def test_no_raw_copy_of_a_printed_secret_stays_under_the_data_directory(home, daemon, tmp_path):
    go = tmp_path / "go"
    run = one_task_run(f"echo \"the token is $TOKEN\"; echo \"TOKEN_AGAIN=$TOKEN\" >> \"$MILLRACE_ENV\"\n"
                       f"while [ ! -e {go} ]; do sleep 0.02; done",
                       env=[{"name": "TOKEN", "value": SECRET, "secret": True}])
    tick_until(daemon, lambda: own_lines(task_of(run)) == ["the token is ***"])
    output = Path(json.loads(task_of(run).handle_json)["task_dir"]) / "output.log"
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    go.touch()
    assert stat.S_IMODE(output.parent.stat().st_mode) == 0o700
    assert run_until_done(daemon, run.id).status == "succeeded"
    assert "the token is ***" in own_lines(task_of(run))
    assert not output.exists()
    from models.db import database
    database.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")
    hits = subprocess.run(["grep", "-rl", SECRET, str(home)], capture_output=True, text=True).stdout.split()
    assert hits == [], f"the secret is in {hits}"
    assert os.listdir(home)


def test_a_long_line_of_multibyte_characters_is_pieced_on_character_boundaries(home, daemon):
    run = one_task_run("python3 -c \"import sys; sys.stdout.write('é' * 40000 + '\\\\n')\"; echo end")
    assert run_until_done(daemon, run.id).status == "succeeded"
    lines = own_lines(task_of(run))
    marker = " [millrace: line continues]"
    assert lines[-1] == "end" and len(lines) >= 3 and all(len(p.encode()) <= MAX_LINE_BYTES + len(marker)
                                                          for p in lines)
    assert "".join(p.removesuffix(marker) for p in lines[:-1]) == "é" * 40000


def test_safe_cut_moves_back_past_every_form_and_waits_for_a_secret_being_written():
    from daemon.shipping import safe_cut
    from models.secrets import Masker
    masker = Masker(["AAAAAAAAAAAAAAAAxyzq", "qqqqAAAAAAAA"])
    raw = b"." * 100 + b"qqqqAAAAAAAAAAAAAAAAxyzq" + b"." * 100
    cut = safe_cut(masker, raw, 110)
    assert cut <= 100 and all(not (raw.find(f.encode()) < cut < raw.find(f.encode()) + len(f))
                              for f in masker.values if raw.find(f.encode()) != -1)
    assert safe_cut(masker, b"." * 120, 110, final=False) == 0      # the rest of a secret may be coming
    assert safe_cut(masker, b"." * 120, 110, final=True) == 110
