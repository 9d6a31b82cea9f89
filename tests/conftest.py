"""Shared fixtures: a fresh data directory with a migrated database, real git repositories,
an in-process daemon driven tick by tick, the one `wait_for` and the one fake clock, and the
teardown that stops every process the product started under a test's directories.

Waiting: tests wait for an event (a row, a line, a file) with `wait_for`, whose deadline is
generous on purpose — it only bounds a hang. Nothing here asserts that something was fast:
timing goals live in bench/, and this suite must pass on a loaded 2-core machine.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from peewee import DoesNotExist

from models import home as home_mod
from models.db import utcnow
from models.status import is_terminal
from models.tables import Run

# The suite's assertions are on English text: whatever the machine's locale, the code under
# test (and every child process: daemon, dashboard, CLI) speaks English unless a test says not.
for _key in ("LANGUAGE", "LC_MESSAGES"):
    os.environ.pop(_key, None)
os.environ["LANG"] = "C.UTF-8"
if os.environ.get("LC_ALL"):
    os.environ["LC_ALL"] = "C.UTF-8"

WAIT_SECONDS = 60.0      # a generous bound on a hang, never a timing goal
EPOCH = dt.datetime(1970, 1, 1)


def wait_for(predicate, timeout: float = WAIT_SECONDS, message="condition", interval: float = 0.05,
             ignore: tuple = (Exception,)):
    """Call `predicate()` until it returns something truthy, and return that value.

    An exception of a type in `ignore` counts as "not yet" (a row not written yet, an element
    being re-rendered, a server not listening yet); the last one is named if the deadline
    passes. Pass `ignore=()` when the predicate does real work whose errors must surface at
    once (a daemon tick). `message` (a string, or a callable giving one, evaluated at the
    deadline so it can show the state reached) says what was awaited."""
    deadline, last = time.monotonic() + timeout, None
    while True:
        try:
            value = predicate()
        except ignore as exc:
            value, last = None, exc
        if value:
            return value
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    try:
        what = message() if callable(message) else message
    except Exception as exc:  # noqa: BLE001 — describing the state must not hide the timeout
        what = f"condition (describing it failed: {exc!r})"
    if last is not None:
        first = str(last).splitlines()[0] if str(last) else repr(last)
        what += f" (last error: {type(last).__name__}: {first})"
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


class FakeClock:
    """The one fake clock: time moves only when a test says so.

    `now()` is the naive-UTC instant a daemon tick is given; `seconds()` (also what calling
    the clock returns) is the same instant in epoch seconds, for the executors' monotonic and
    wall clocks. So one `advance()` moves the tick and the executors together."""

    def __init__(self, start: dt.datetime | None = None):
        self.at = start or utcnow()

    def now(self) -> dt.datetime:
        return self.at

    def advance(self, seconds: float) -> dt.datetime:
        self.at += dt.timedelta(seconds=seconds)
        return self.at

    def seconds(self) -> float:
        return (self.at - EPOCH).total_seconds()

    __call__ = seconds


@pytest.fixture
def clock():
    return FakeClock()

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


def tick_until(daemon, predicate, clock: FakeClock | None = None, timeout: float = WAIT_SECONDS,
               message="condition", interval: float = 0.02):
    """Tick (at the fake clock's time, if any) until `predicate()` is truthy; return its value.
    An error from the tick itself fails at once; the predicate may not find its row yet."""
    def ticked():
        daemon.tick(clock.now() if clock else None)
        try:
            return predicate()
        except DoesNotExist:           # the daemon has not made the row yet
            return None
    return wait_for(ticked, timeout, message, interval, ignore=())


def run_until_done(daemon, run_id: int, timeout: float = WAIT_SECONDS * 2, interval: float = 0.02,
                   clock: FakeClock | None = None) -> Run:
    """Tick (with the real clock unless given a fake one) until the run ends."""
    def ended():
        run = Run.get_by_id(run_id)
        return run if is_terminal(run.status) else None
    return tick_until(daemon, ended, clock, timeout, interval=interval,
                      message=lambda: f"run {run_id} to end (still {Run.get_by_id(run_id).status})")


def script_task(name, script, **extra):
    return {"name": name, "type": "script", "image": "busybox", "script": script, **extra}


def pipeline_spec(name="p", stages=None, **extra):
    return {"name": name, "stages": stages or [], **extra}


def utc(*args) -> dt.datetime:
    return dt.datetime(*args)


# --- stopping what the product started ---------------------------------------------------
# A local task runs in a session of its own and outlives the daemon that started it (by
# design: a restarted daemon adopts it). So stopping a daemon leaves its tasks running, and
# a test that ends mid-run would leave them behind for good. After each test, everything
# still running under its tmp_path is killed: processes whose working directory, command
# line or MILLRACE_HOME is under it, with every member of their sessions (a task's
# background children stay in the task's session even after its wrapper is gone).

def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return b""


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, session id) of a live process, None if gone."""
    raw = _read(f"/proc/{pid}/stat").decode(errors="replace")
    if not raw:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[3])


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _protected() -> tuple[set[int], set[int]]:
    """This process and its ancestors, and their sessions: never signalled as a group."""
    pids, sids, pid = set(), set(), os.getpid()
    while pid > 1:
        found = _stat(pid)
        if found is None:
            break
        pids.add(pid)
        sids.add(found[2])
        pid = found[1]
    return pids, sids


def _under(pid: int, root: str) -> bool:
    def inside(path: str) -> bool:
        path = path.removesuffix(" (deleted)")
        return path == root or path.startswith(root + os.sep)
    try:
        if inside(os.readlink(f"/proc/{pid}/cwd")):
            return True
    except OSError:
        pass
    mention = re.compile(re.escape(root) + r"(?:/|$)")      # pytest-1 is not pytest-12
    if any(mention.search(arg) for arg in _read(f"/proc/{pid}/cmdline").decode(errors="replace").split("\0")):
        return True
    for entry in _read(f"/proc/{pid}/environ").split(b"\0"):
        if entry.startswith(b"MILLRACE_HOME="):
            return inside(entry[len(b"MILLRACE_HOME="):].decode(errors="replace"))
    return False


def describe(pid: int) -> str:
    cmdline = _read(f"/proc/{pid}/cmdline").replace(b"\0", b" ").decode(errors="replace").strip()
    if "millrace-task" in cmdline:       # the wrapper's own text is long: name the task's workspace
        cmdline = "millrace-task " + cmdline.split("millrace-task", 1)[1].strip().split(" ")[0]
    return f"pid {pid}: {cmdline[:200]}"


def processes_under(root: Path) -> list[int]:
    """Live processes (not zombies) that belong to `root`: under it, or sharing a session with one that is."""
    root_text = os.path.realpath(root)
    own, own_sessions = _protected()
    live = {}
    for pid in _pids():
        found = _stat(pid)
        if found is not None and found[0] not in ("Z", "X") and pid not in own:
            live[pid] = found[2]
    matched = {pid for pid in live if _under(pid, root_text)}
    sessions = {live[pid] for pid in matched} - own_sessions
    return sorted(matched | {pid for pid, sid in live.items() if sid in sessions})


def stop_processes_under(root: Path) -> list[str]:
    """SIGKILL everything `processes_under(root)`; wait until it is gone; say what it was."""
    found = processes_under(root)
    described = [describe(pid) for pid in found]
    for pid in found:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if found:
        wait_for(lambda: not processes_under(root), message=lambda: f"{described} to end after SIGKILL")
    return described


@pytest.fixture(autouse=True)
def _stop_processes_left_under_tmp_path(request):
    yield
    tmp_path = request.node.funcargs.get("tmp_path")
    if tmp_path is not None:
        stop_processes_under(tmp_path)


@pytest.fixture(scope="session", autouse=True)
def _no_process_outlives_the_suite(tmp_path_factory):
    """The check that fixtures stop what they (and the product) started: anything still
    running under this session's temporary directories at the end is killed, and the suite
    fails naming it. (Only this session's directories: other suites may share the machine.)"""
    yield
    left = stop_processes_under(tmp_path_factory.getbasetemp())
    if left:
        pytest.fail("processes outlived the test suite (killed now): " + "; ".join(left), pytrace=False)


@pytest.fixture
def daemon_proc(home, tmp_path):
    """Start real `run.py daemon` processes on the test's home; each one's stderr goes to a file."""
    started = []

    def start(fault: str | None = None, after: int = 0):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MILLRACE_FAULT")}
        if fault:
            env.update(MILLRACE_FAULT=fault, MILLRACE_FAULT_AFTER=str(after))
        err = open(tmp_path / f"daemon-{len(started)}.log", "wb")
        proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve().parent.parent / "run.py"), "--home", str(home), "daemon"],
                                env=env, stdout=subprocess.DEVNULL, stderr=err)
        proc.log_path = Path(err.name)
        started.append(proc)
        return proc
    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
