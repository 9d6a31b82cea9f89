"""The schema guard both ways (issue 9, fault 7): a database migrated by a newer Millrace
(a downgrade, two installs on one home) is refused by every entry point — CLI verbs, the
daemon, the dashboard, `up` and `migrate` — with one line that names the unknown
migrations and says to upgrade, and nothing in it is changed. Real processes, real SQLite.
"""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FUTURE = "0099_from_a_newer_millrace"


def run_py(home, *args, timeout=120):
    # a verb that were not refused would keep running (daemon, dashboard, up): the timeout fails the test
    return subprocess.run([sys.executable, str(ROOT / "run.py"), "--home", str(home), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT, stdin=subprocess.DEVNULL)


def rows(home, sql):
    with sqlite3.connect(home / "millrace.db") as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def newer_home(tmp_path):
    """A home whose database has one migration more than this code knows."""
    home = tmp_path / "home"
    assert run_py(home, "migrate").returncode == 0
    with sqlite3.connect(home / "millrace.db") as conn:
        conn.execute("INSERT INTO schema_migration (name, applied) VALUES (?, '2030-01-01 00:00:00')", (FUTURE,))
    return home


def _refused(result, home):
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr                     # one line, no traceback, no log noise
    line = lines[0]
    assert line.startswith(f"error: the database {home / 'millrace.db'} was migrated by a newer Millrace: "
                           f"it has 1 migration(s) this version does not know ({FUTURE}; this version knows up to ")
    assert line.endswith("upgrade Millrace to the version that wrote it")


@pytest.mark.parametrize("args", [
    ["pipelines"], ["settings"], ["show", "1"], ["migrate"], ["daemon"], ["dashboard", "--port", "0"],
    ["up", "--port", "0"],
], ids=lambda a: a[0])
def test_every_entry_point_refuses_a_newer_database(newer_home, args):
    before = rows(newer_home, "SELECT name FROM schema_migration ORDER BY name")
    _refused(run_py(newer_home, *args), newer_home)
    assert rows(newer_home, "SELECT name FROM schema_migration ORDER BY name") == before
    assert rows(newer_home, "SELECT count(*) FROM pipeline") == [(0,)]        # `up` added no sample
    assert rows(newer_home, "SELECT count(*) FROM daemon_heartbeat") == [(0,)]  # no daemon ever beat


def test_apply_refuses_a_newer_database_and_stores_nothing(newer_home, tmp_path):
    (tmp_path / "p.yaml").write_text("name: p\nstages:\n- name: B\n  tasks:\n  - {name: t, type: script, "
                                     "image: alpine, script: 'true'}\n")
    _refused(run_py(newer_home, "apply", "-f", str(tmp_path / "p.yaml")), newer_home)
    assert rows(newer_home, "SELECT count(*) FROM pipeline") == [(0,)]


def test_an_older_database_is_still_sent_to_migrate(tmp_path):
    home = tmp_path / "home"
    assert run_py(home, "migrate").returncode == 0
    last = rows(home, "SELECT name FROM schema_migration ORDER BY name DESC LIMIT 1")[0][0]
    with sqlite3.connect(home / "millrace.db") as conn:
        conn.execute("DELETE FROM schema_migration WHERE name = ?", (last,))
    result = run_py(home, "pipelines")
    assert result.returncode == 2
    assert f"needs 1 migration(s) ({last}); run: python run.py migrate --home {home}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_preview_that_needs_no_database_still_works(newer_home):
    result = run_py(newer_home, "schedule", "every 2 minutes", "-n", "1")
    assert result.returncode == 0, result.stderr


def test_a_task_process_opening_the_home_is_refused_too(home):
    """deploy tasks open the home in their own process: the same guard, as an exception."""
    from models import home as home_mod, schema
    from models.db import database
    database.execute_sql("INSERT INTO schema_migration (name, applied) VALUES (?, '2030-01-01 00:00:00')", (FUTURE,))
    assert schema.unknown() == [FUTURE]
    with pytest.raises(schema.SchemaTooNew, match=FUTURE):
        home_mod.open_home(home)
    with pytest.raises(schema.SchemaTooNew):
        schema.migrate()
