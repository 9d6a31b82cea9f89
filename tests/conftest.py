"""Shared fixtures: a fresh data directory with a migrated database, real git repositories,
and an in-process daemon driven tick by tick."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
from pathlib import Path

import pytest

from models import home as home_mod
from models.status import is_terminal
from models.tables import Run

GIT_ENV = dict(os.environ, LC_ALL="C", GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="t@localhost",
               GIT_COMMITTER_NAME="Test", GIT_COMMITTER_EMAIL="t@localhost", GIT_TERMINAL_PROMPT="0")


@pytest.fixture
def home(tmp_path, monkeypatch):
    path = tmp_path / "home"
    monkeypatch.setenv("MILLRACE_HOME", str(path))
    home_mod.open_home(path, migrate=True)
    yield path
    from models.db import database
    database.close()


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True, text=True).stdout


class GitRepo:
    """A real bare repository plus a work tree to commit from."""

    def __init__(self, root: Path):
        self.work, self.bare = root / "work", root / "repo.git"
        self.work.mkdir(parents=True)
        git("init", "-q", "-b", "main", cwd=self.work)
        self.commit({"README.md": "hello\n"}, "first")
        git("clone", "-q", "--bare", str(self.work), str(self.bare), cwd=root)
        git("remote", "add", "origin", str(self.bare), cwd=self.work)

    @property
    def url(self) -> str:
        return str(self.bare)

    def commit(self, files: dict, message: str) -> str:
        for name, text in files.items():
            (self.work / name).write_text(text)
        git("add", "-A", cwd=self.work)
        git("commit", "-q", "-m", message, cwd=self.work)
        return git("rev-parse", "HEAD", cwd=self.work).strip()

    def push(self, branch="main"):
        git("push", "-q", "origin", f"HEAD:refs/heads/{branch}", cwd=self.work)


@pytest.fixture
def repo(tmp_path):
    return GitRepo(tmp_path / "git")


@pytest.fixture
def daemon(home):
    from daemon.main import Daemon
    return Daemon()


def run_until_done(daemon, run_id: int, timeout: float = 30.0, interval: float = 0.02) -> Run:
    """Tick with the real clock until the run ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        daemon.tick()
        run = Run.get_by_id(run_id)
        if is_terminal(run.status):
            return run
        time.sleep(interval)
    raise AssertionError(f"run {run_id} still {Run.get_by_id(run_id).status} after {timeout}s")


def script_task(name, script, **extra):
    return {"name": name, "type": "script", "image": "busybox", "script": script, **extra}


def pipeline_spec(name="p", stages=None, **extra):
    return {"name": name, "stages": stages or [], **extra}


def utc(*args) -> dt.datetime:
    return dt.datetime(*args)
