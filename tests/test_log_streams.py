"""stdout and stderr told apart in a local task's stored log (the stderr tagger, the stored
marker, the readers that keep or drop it), with real processes, SQLite and daemons."""
import signal
import subprocess
import sys


from daemon import log_blocks
from daemon.executors import stderr_tagger
from daemon.executors.base import STDERR_TAG
from models import logs, pipelines, runs
from models.status import is_terminal
from models.tables import Run, TaskRun
from tests.conftest import pipeline_spec, run_until_done, script_task, tick_until, wait_for

# The script waits until its stderr line is in the file before it writes on: the order is
# then the one written (a stderr line lands when the tagger has read it, a moment later).
SEEN = 'seen() { until grep -q "$1" "$MILLRACE_TASK_DIR/output.log"; do sleep 0.01; done; }\n'


def streams(task_run_id):
    return [logs.stream_of(text) for _, _, text in logs.lines_after(task_run_id, streams=True)
            if not text.startswith("[millrace]")]


def task_row(run_id, name):
    return TaskRun.get((TaskRun.run == run_id) & (TaskRun.name == name))


def test_the_tagger_and_the_executor_use_the_same_tag():
    assert stderr_tagger.TAG == STDERR_TAG


def test_interleaved_lines_are_stored_in_order_with_stderr_marked(home, daemon):
    body = SEEN + ("echo out1; echo err1 >&2; seen err1; echo out2; printf 'err2\\nerr3\\n' >&2; seen err3; "
                   "echo out3; printf 'err4 has no newline' >&2")
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("mixed", body)]}]), "tester")
    done = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id)
    assert done.status == "succeeded", done.reason
    task = task_row(done.id, "mixed")
    assert streams(task.id) == [(False, "out1"), (True, "err1"), (False, "out2"), (True, "err2"), (True, "err3"),
                                (False, "out3"), (True, "err4 has no newline")]
    assert [t for _, _, t in logs.lines_after(task.id) if not t.startswith("[millrace]")] == ["out1", "err1", "out2", "err2", "err3", "out3",
                                                            "err4 has no newline"], "plain readers: no marker"
    assert "\x1e" not in logs.text(task.id)


def test_a_task_line_that_begins_with_the_marker_is_not_taken_for_stderr(home, daemon):
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("rs", "printf '\\036looks marked\\n'; printf '\\036really stderr\\n' >&2")]}]), "tester")
    done = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id)
    assert sorted(streams(task_row(done.id, "rs").id)) == [(False, "␞looks marked"), (True, "\x1ereally stderr")]


def test_a_secret_printed_to_stderr_is_masked(home, daemon):
    secret = "s3cret-on-stderr-value"
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("leak", 'echo "token=$TOKEN" >&2; printf "%s\\n" "$TOKEN" >&2; echo "$TOKEN"',
                    env=[{"name": "TOKEN", "value": secret, "secret": True}])]}]), "tester")
    done = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id)
    task = task_row(done.id, "leak")
    lines = streams(task.id)
    assert sorted(lines) == [(False, "***"), (True, "***"), (True, "token=***")]
    assert secret not in "".join(piece.text for piece in logs.pieces(task.id, streams=True))


def test_a_long_stderr_line_is_marked_in_every_piece(home, daemon):
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("long", SEEN + "awk 'BEGIN { for (i = 0; i < 400000; i++) printf \"x\" > \"/dev/stderr\"; "
                            "print \"\" > \"/dev/stderr\" }'; seen xxxxxxxx; echo after")]}]), "tester")
    done = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id)
    lines = streams(task_row(done.id, "long").id)
    assert lines[-1] == (False, "after")
    assert len(lines) > 7 and all(is_err for is_err, _ in lines[:-1])
    assert "".join(t.replace(" [millrace: line continues]", "") for _, t in lines[:-1]) == "x" * 400000


def test_the_stderr_of_a_script_stopped_in_its_term_trap_is_kept(home, daemon, tmp_path):
    ready = tmp_path / "ready"
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("polite", f"trap 'sleep 0.3; echo cleaning up >&2; exit 0' TERM; touch {ready}; "
                              "while :; do sleep 0.1; done")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    tick_until(daemon, ready.exists, message="the script's TERM trap to be set")
    runs.request_stop(run, "alice")
    done = run_until_done(daemon, run.id)
    assert done.status == "stopped"
    assert (True, "cleaning up") in streams(task_row(done.id, "polite").id), "the tagger outlived the TERM"


def test_a_daemon_killed_while_a_task_writes_stderr_stores_both_streams_exactly_once(home, daemon_proc):
    # 200,000 stdout lines and 100,000 stderr lines: several stores; the daemon dies after
    # its second, the task goes on writing, and the next daemon ships on from the cursor
    # (stdout flushed per line: a buffered program's stdout comes in parts, and a stderr line
    # landing between two parts of a stdout line is stored as a line of its own, between them)
    script = ("awk 'BEGIN { for (i = 1; i <= 200000; i++) { printf \"%099d\\n\", i; fflush(); "
              "if (i % 2 == 0) printf \"e%098d\\n\", i > \"/dev/stderr\" } }'; echo last")
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("big", script)]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    crashed = daemon_proc(fault="ship.after_store", after=2)
    assert crashed.wait(timeout=120) == -signal.SIGKILL
    assert 0 < task_row(run.id, "big").log_lines < 300001
    daemon_proc()
    done = wait_for(lambda: (r := Run.get_by_id(run.id)) and is_terminal(r.status) and r)
    assert done.status == "succeeded", done.reason
    lines = streams(task_row(run.id, "big").id)
    assert len(lines) == 300001
    assert [t for is_err, t in lines if not is_err] == [f"{i:099d}" for i in range(1, 200001)] + ["last"]
    assert [t for is_err, t in lines if is_err] == [f"e{i:098d}" for i in range(2, 200001, 2)]


def test_clean_stores_the_tag_as_the_marker_and_escapes_a_task_s_own_marker():
    data = b"out\n" + STDERR_TAG + b"err\n\x1eown\n" + STDERR_TAG + b"\x1eboth\n\xff bad\n"
    assert log_blocks.clean(data) == "out\n\x1eerr\n␞own\n\x1e\x1eboth\n\ufffd bad\n".encode()
    assert log_blocks.clean(STDERR_TAG + b"first\n") == b"\x1efirst\n"
    # a stderr line that landed between two parts of a stdout line: a line of its own
    assert log_blocks.clean(b"half" + STDERR_TAG + b"err\nrest\n") == b"half\n\x1eerr\nrest\n"


def test_the_tagger_writes_whole_tagged_lines_and_ends_a_last_partial_one(tmp_path):
    out = tmp_path / "out"
    with open(out, "ab") as sink:
        proc = subprocess.run([sys.executable, "-I", "-S", stderr_tagger.__file__], input=b"a\nb\nc",
                              stdout=sink, check=True)
    assert proc.returncode == 0
    assert out.read_bytes() == STDERR_TAG + b"a\n" + STDERR_TAG + b"b\n" + STDERR_TAG + b"c\n"


def test_the_log_window_rows_mark_stderr_lines_only():
    from dashboard.runlog import view
    assert view.row(1, None, "\x1eboom") == [1, "", [["boom"]], 1]
    assert view.row(2, None, "fine") == [2, "", [["fine"]]]
