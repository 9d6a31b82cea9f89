"""Reading logs back: one definition of a line ("\\n") in every reader, numbering that matches
`task_run.log_lines`, "\\r" shown in its last state, bounded reads that hold no snapshot
while the caller is slow, and chunks stored plain, compressed or in the pre-0007 form."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from models import logs, pipelines, runs
from models.db import database, write_transaction
from models.tables import LogChunk, Run, StageRun, TaskRun
from tests.conftest import pipeline_spec, run_until_done, script_task, tick_until, wait_for

ROOT = Path(__file__).resolve().parent.parent
# Characters str.splitlines() treats as line ends, and "\n" does not: none of them ends a line.
ODD = {"cr": "progress 10%\rprogress 50%\rprogress 100%", "vt": "tab\vstop", "ff": "form\ffeed",
       "fs": "file\x1csep", "nel": "next\x85line", "ls": "line\u2028sep", "ps": "para\u2029sep", "crlf": "windows\r"}


def task_row(name="t", stage="S") -> TaskRun:
    p = pipelines.create(pipeline_spec("logs", stages=[{"name": stage, "tasks": [script_task(name, "true")]}]), "tester")
    run = Run.create(pipeline=p, number=1, version=pipelines.current_version(p), cause="manual", status="running")
    st = StageRun.create(run=run, position=1, name=stage, mode="serial")
    return TaskRun.create(run=run, stage_run=st, position=0, name=name, task_type="script", status="running")


def store(task: TaskRun, lines: list[str]) -> None:
    with write_transaction():
        logs.append(task, lines, task.log_lines + len(lines))


def test_every_reader_counts_only_newlines_and_numbers_match_log_lines(home):
    task = task_row()
    store(task, ["first", *ODD.values(), "LATER-1"])
    store(task, ["LATER-2", "LATER-3"])
    rows = list(logs.lines_after(task.id))
    assert [n for n, _, _ in rows] == list(range(1, TaskRun.get_by_id(task.id).log_lines + 1))
    assert [t for _, _, t in rows] == ["first", *ODD.values(), "LATER-1", "LATER-2", "LATER-3"]
    # Following from any line shows exactly the lines after it: none skipped, none twice.
    for after in range(len(rows) + 1):
        assert [n for n, _, _ in logs.lines_after(task.id, after)] == list(range(after + 1, len(rows) + 1))
    assert [t for _, _, t in logs.tail(task.id, 3)] == ["LATER-1", "LATER-2", "LATER-3"]
    assert logs.text(task.id, timestamps=False).count("\n") == len(rows)


def test_a_carriage_return_is_kept_and_shown_as_its_last_state(home):
    task = task_row()
    store(task, [ODD["cr"], ODD["crlf"], "no return"])
    assert [t for _, _, t in logs.lines_after(task.id)][:2] == [ODD["cr"], ODD["crlf"]]     # stored as printed
    assert [logs.last_state(t) for _, _, t in logs.lines_after(task.id)] == ["progress 100%", "windows", "no return"]


def test_reads_cross_chunks_and_batches_at_any_line(home, monkeypatch):
    monkeypatch.setattr(logs, "BATCH_CHUNKS", 2)
    monkeypatch.setattr(logs, "BATCH_BYTES", 300)
    task = task_row()
    expected = []
    for size in (1, 7, 3, 40, 1, 1, 25, 2):          # tiny (plain) and compressible (zstd) chunks
        part = [f"line {len(expected) + k + 1} {'x' * 30}" for k in range(size)]
        store(task, part)
        expected += part
    assert {c.compression for c in LogChunk.select()} == {"", "zstd"}
    for after in (0, 1, 2, 8, 9, 10, 50, 51, 52, 78, 79, 80):
        got = list(logs.lines_after(task.id, after))
        assert [t for _, _, t in got] == expected[after:], after
        assert [n for n, _, _ in got] == list(range(after + 1, len(expected) + 1))
    assert [t for _, _, t in logs.lines_after(task.id, 5, limit=4)] == expected[5:9]


def test_a_compressible_chunk_is_stored_compressed_and_a_short_one_stays_plain(home):
    task = task_row()
    store(task, [f"compiling module {i} of the build" for i in range(2000)])
    store(task, ["done"])
    big, small = LogChunk.select().order_by(LogChunk.first_line)
    assert big.compression == "zstd" and big.content == "" and len(big.data) < big.text_bytes / 4
    assert small.compression == "" and small.content == "done\n" and small.data is None and small.text_bytes == 5
    assert [t for _, _, t in logs.lines_after(task.id)][-2:] == ["compiling module 1999 of the build", "done"]


def test_rows_written_before_migration_0007_still_read(home):
    task = task_row()
    database.execute_sql("INSERT INTO log_chunk (task_run_id, first_line, line_count, content, logged_at) "
                         "VALUES (?, 1, 3, ?, '2026-01-02 03:04:05.000000')", (task.id, "old\rer\nlines\vx\nthree\n"))
    TaskRun.update(log_lines=3).where(TaskRun.id == task.id).execute()
    task = TaskRun.get_by_id(task.id)
    store(task, ["new"])
    assert [(n, t) for n, _, t in logs.lines_after(task.id)] == [(1, "old\rer"), (2, "lines\vx"), (3, "three"), (4, "new")]


def test_a_paused_reader_holds_no_snapshot(home, monkeypatch):
    """A caller that stops between lines (a slow terminal, a slow client) must not keep a read
    open: a checkpoint from another connection then completes (busy = 0), and a writer is
    never behind a reader's snapshot (docs/architecture.md, rule 10)."""
    monkeypatch.setattr(logs, "BATCH_CHUNKS", 1, raising=False)
    task = task_row()
    for i in range(3):
        store(task, [f"chunk {i} line {k}" for k in range(100)])
    reader = logs.lines_after(task.id)
    assert next(reader)[2] == "chunk 0 line 0"
    other = sqlite3.connect(database.database, timeout=30)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE task_run SET reason = 'written by another connection' WHERE id = ?", (task.id,))
        other.execute("COMMIT")
        busy, _, _ = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        other.close()
    assert busy == 0, "a reader paused mid-log still holds a snapshot"
    assert sum(1 for _ in reader) == 299


def _odd_output_pipeline(go: Path):
    script = ("printf 'first\\n'\n"
              "printf 'progress 10%%\\rprogress 50%%\\rprogress 100%%\\n'\n"
              "printf 'tab\\vstop\\nform\\ffeed\\nfile\\034sep\\n'\n"
              "printf 'next\\302\\205line\\nline\\342\\200\\250sep\\npara\\342\\200\\251sep\\n'\n"
              "printf 'BEFORE\\n'\n"
              f"while [ ! -e '{go}' ]; do sleep 0.05; done\n"
              "for i in 1 2 3; do echo \"LATER-$i\"; sleep 0.1; done\n")
    return pipeline_spec("odd", stages=[{"name": "Build", "tasks": [script_task("print", script)]}])


def test_logs_follow_in_a_real_process_shows_every_later_line(home, daemon, tmp_path):
    go = tmp_path / "go"
    p = pipelines.create(_odd_output_pipeline(go), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    tick_until(daemon, lambda: "BEFORE" in logs.text(TaskRun.get(TaskRun.run == run.id).id),
               message="the lines before the pause")
    out_path = tmp_path / "follow.out"
    with open(out_path, "w") as out:
        follower = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--home", str(home), "logs", "odd#1",
                                     "--follow"], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        wait_for(lambda: "BEFORE" in out_path.read_text(), message=lambda: f"--follow to print BEFORE: {out_path.read_text()!r}")
        go.touch()
        assert run_until_done(daemon, run.id).status == "succeeded"
        wait_for(lambda: follower.poll() is not None, message="--follow to end with the run")
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()
    printed = out_path.read_text()
    body = [line.split(" ", 1)[1] for line in printed.split("\n")[1:-1]]
    task = TaskRun.get(TaskRun.run == run.id)
    stored = [t for _, _, t in logs.lines_after(task.id)]
    assert [n for n, _, _ in logs.lines_after(task.id)] == list(range(1, task.log_lines + 1))
    own = [t for t in stored if not t.startswith("[millrace]")]
    assert own == ["first", "progress 10%\rprogress 50%\rprogress 100%", "tab\vstop", "form\ffeed", "file\x1csep",
                   "next\x85line", "line\u2028sep", "para\u2029sep", "BEFORE", "LATER-1", "LATER-2", "LATER-3"]
    assert printed.startswith("── Build / print\n")
    assert len(body) == task.log_lines, printed           # one printed line per stored line: none skipped or repeated
    assert [b for b in body if b.startswith("LATER")] == ["LATER-1", "LATER-2", "LATER-3"]
    assert "progress 100%" in body and "progress 10%" not in printed    # the bar in its last state
    # Without --follow: the same lines.
    again = subprocess.run([sys.executable, str(ROOT / "run.py"), "--home", str(home), "logs", "odd#1"],
                           capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert [line.split(" ", 1)[1] for line in again.split("\n")[1:-1]] == body


def test_logs_prints_a_large_log_whole_and_in_order(home):
    task = task_row("big", "Build")
    for start in range(0, 30000, 5000):
        store(task, [f"line {n}" for n in range(start + 1, start + 5001)])
    out = subprocess.run([sys.executable, str(ROOT / "run.py"), "--home", str(home), "logs", "logs#1"],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout.split("\n")
    assert out[0] == "── Build / big" and out[-1] == ""
    assert [line.split(" ", 1)[1] for line in out[1:-1]] == [f"line {n}" for n in range(1, 30001)]


@pytest.mark.parametrize("name, shown", [("cr\r\nlf", "cr\\r\\nlf"), ("tab\tname", "tab\\tname")])
def test_a_header_never_breaks_a_line(home, name, shown):
    task = task_row(name, "Build")
    store(task, ["hello"])
    out = subprocess.run([sys.executable, str(ROOT / "run.py"), "--home", str(home), "logs", "logs#1"],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.split("\n")[0] == f"── Build / {shown}" and out.split("\n")[1].endswith(" hello")


def test_a_window_reads_only_the_chunks_that_hold_it(home, monkeypatch):
    task = task_row()
    for start in range(0, 50_000, 5000):
        store(task, [f"line {n}" for n in range(start + 1, start + 5001)])
    decoded = []
    real = logs.decode
    monkeypatch.setattr(logs, "decode", lambda *a: decoded.append(1) or real(*a))
    for first in (1, 4990, 25_001, 49_800):
        decoded.clear()
        rows = logs.window(task.id, first, 500)
        assert [n for n, _, _ in rows] == list(range(first, min(first + 500, 50_001)))
        assert [t for _, _, t in rows][:1] == [f"line {first}"]
        assert len(decoded) <= 2, (first, len(decoded))      # the same work at line 1 as at line 49,800


def test_search_finds_line_numbers_ignoring_case_and_colours(home):
    from models import log_search
    task = task_row()
    store(task, ["alpha", "\x1b[31mNee\x1b[0mdle one", "beta needle needle"])
    store(task, [f"filler {n}" for n in range(100)] + ["last NEEDLE"])
    assert log_search.search(task.id, "needle") == log_search.Found([2, 3, 104], False)
    assert log_search.search(task.id, "needle", limit=2) == log_search.Found([2, 3], True)
    assert log_search.search(task.id, "absent").lines == []
    assert log_search.problem("") and log_search.problem("x" * 201) and log_search.problem("a\nb")
