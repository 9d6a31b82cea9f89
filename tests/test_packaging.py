"""Packaging (issue 9, fault 13): the wheel built from the project runs on its own.

The wheel is built from a copy of the project's files (so no build/ or egg-info lands in
the checkout), installed with --no-deps into a fresh virtualenv whose only view of the
dependencies is the test venv's site-packages, appended by a .pth line (a plain path: the
checkout's editable-install hook there is not run, so nothing can be imported from the
checkout). Then, from a directory outside the checkout: the console script and
`python -m run` answer, `migrate` creates a database with every migration file applied,
the sample repository and pipeline come from the packaged examples, and the dashboard
serves its pages and its static assets.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow
NOT_PACKAGED = ("tests/", "bench/", "docs/", ".ci/", "deploy/")


def run(*argv, cwd, env=None, timeout=600):
    result = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{argv} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def project_copy(target: Path) -> Path:
    files = run("git", "ls-files", "-co", "--exclude-standard", cwd=ROOT).splitlines()
    for name in files:
        source = ROOT / name
        if name.startswith(NOT_PACKAGED) or not source.is_file():
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name, follow_symlinks=False)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the fresh venv's python, its bin directory, its site-packages, a clean environment)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = project_copy(tmp / "src")
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
        "-w", tmp / "dist", source, cwd=tmp)
    wheel = next((tmp / "dist").glob("millrace-*.whl"))
    venv = tmp / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel, cwd=tmp)
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp).strip())
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MILLRACE_HOME", "VIRTUAL_ENV")}
    outside = tmp / "elsewhere"
    outside.mkdir()
    return python, venv / "bin", site, env, outside


def test_the_code_comes_from_the_wheel_not_the_checkout(installed):
    python, _, site, env, outside = installed
    where = json.loads(run(python, "-c", "import json, cli.main, models.spec, daemon.tasks.lib.paths, dashboard.pages, "
                           "migrations; print(json.dumps([m.__file__ for m in (cli.main, models.spec, "
                           "daemon.tasks.lib.paths, dashboard.pages, migrations)]))", cwd=outside, env=env))
    assert all(Path(f).is_relative_to(site) for f in where), where


def test_the_console_script_and_python_m_run_answer(installed):
    python, bin_dir, _, env, outside = installed
    assert "migrate" in run(bin_dir / "millrace", "--help", cwd=outside, env=env)
    assert "migrate" in run(python, "-m", "run", "--help", cwd=outside, env=env)


def test_migrate_applies_every_packaged_migration_and_the_sample_comes_from_the_wheel(installed):
    python, bin_dir, _, env, outside = installed
    home = outside / "home"
    said = run(bin_dir / "millrace", "--home", home, "migrate", cwd=outside, env=env)
    files = sorted(p.stem for p in (ROOT / "migrations").glob("[0-9]*.py"))
    assert said.strip() == f"applied {len(files)} migration(s): {', '.join(files)}"
    with sqlite3.connect(home / "millrace.db") as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM schema_migration ORDER BY name")] == files
    assert (home / "repos" / "sample.git" / "HEAD").is_file()          # made from the packaged examples/
    added = run(python, "-c", f"from models import home; home.open_home({str(home)!r}); from cli import sample; "
                "print(sample.ensure_pipeline('tester'))", cwd=outside, env=env)
    assert added.strip() == "sample"


def test_the_dashboard_serves_its_pages_and_assets_from_the_wheel(installed):
    python, bin_dir, _, env, outside = installed
    home = outside / "dash-home"
    run(bin_dir / "millrace", "--home", home, "migrate", cwd=outside, env=env)
    # signed in with a token (the installed package's own door answers 401 without one)
    codes = run(python, "-c", f"from models import home, accounts, api_tokens; home.open_home({str(home)!r}); "
                "u = accounts.create('root', 'a long password', 't', is_admin=True, must_change=False); "
                "h = {'Authorization': 'Bearer ' + api_tokens.create(u, 't', ['read'])[1]}; "
                "from dashboard.app import create_app; c = create_app().server.test_client(); "
                "print(c.get('/assets/millrace.css', headers=h).status_code, c.get('/', headers=h).status_code, "
                "c.get('/_dash-layout', headers=h).status_code, c.get('/').status_code)", cwd=outside, env=env)
    assert codes.split() == ["200", "200", "200", "401"]          # a stranger: 401 (a browser: the login page)
