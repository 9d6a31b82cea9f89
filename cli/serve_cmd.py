"""CLI verbs that run services or administer them: up, daemon, dashboard, migrate, settings."""
from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from cli import sample
from models import home, schema, served
from models.i18n import _

RUN_PY = Path(__file__).resolve().parent.parent / "run.py"


def migrate(args) -> int:
    applied = schema.migrate()
    print(_("applied {n} migration(s): {names}", n=len(applied), names=", ".join(applied)) if applied
          else _("the database is up to date"))
    return 0


EXIT_ALREADY_RUNNING = 3


def daemon(args) -> int:
    from daemon.lock import DaemonAlreadyRunning
    from daemon.loop import serve
    try:
        serve()
    except DaemonAlreadyRunning as exc:
        print(f"millrace: {exc}", file=sys.stderr)
        return EXIT_ALREADY_RUNNING
    return 0


def first_admin_note() -> None:
    """On a database without users: make `admin` and print its password once (Jenkins' way);
    while that password is unchanged, say where it is kept."""
    from models import accounts
    password = accounts.ensure_first_admin(home.current())
    path = home.current() / accounts.INITIAL_PASSWORD_FILE
    if password:
        print(_("first administrator: user 'admin', password {password} (also in {file}; you choose a new one "
                "at the first sign-in)", password=password, file=path), flush=True)
    elif path.exists():
        print(_("the first administrator's password is in {file} (until it is changed)", file=path), flush=True)


def dashboard(args) -> int:
    from dashboard.app import create_app
    first_admin_note()
    app = create_app()
    url = served.record_url(args.host, args.port)       # what `run.py webhook` prints
    print(_("Millrace dashboard on {url}", url=url))
    app.run(host=args.host, port=args.port, debug=False)
    return 0


def up(args) -> int:
    """Dashboard in this process, daemon as a supervised child process (restarted if it exits);
    both stop together."""
    from models import accounts
    added = sample.ensure_pipeline(accounts.FIRST_ADMIN)     # the first administrator's, to edit in the browser
    if added:
        print(_("added the sample pipeline '{name}'", name=added))
    from daemon.lock import holder
    running = holder(home.current())
    child = None
    if running:       # e.g. the systemd service: use it rather than start a second daemon
        print(_("a Millrace daemon (pid {pid}) already runs on {home}; using it", pid=running, home=home.current()))
    else:
        child = Supervisor()
        child.start()
    # SIGTERM (systemd, kill) must also reach the `finally` that stops the daemon child.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        return dashboard(args)
    finally:
        if child is not None:
            child.stop()


class Supervisor(threading.Thread):
    """`up`'s daemon, restarted whenever it exits (a crash, kill -9) until `up` stops.

    A daemon that dies again at once would be restarted in a tight loop, so the delay
    doubles from BACKOFF_FIRST up to BACKOFF_MAX, and goes back to the first after the
    daemon stayed up STABLE_SECONDS. Each restart is noted (models.served) for the
    dashboard's banner and printed."""

    BACKOFF_FIRST, BACKOFF_MAX, STABLE_SECONDS = 1.0, 60.0, 60.0

    def __init__(self):
        super().__init__(name="daemon-supervisor", daemon=True)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.proc: subprocess.Popen | None = None

    def _spawn(self) -> subprocess.Popen:
        with self._lock:
            self.proc = subprocess.Popen([sys.executable, str(RUN_PY), "--home", str(home.current()), "daemon"])
            return self.proc

    def run(self) -> None:
        delay = self.BACKOFF_FIRST
        proc = self._spawn()
        while True:
            began = time.monotonic()
            code = proc.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - began >= self.STABLE_SECONDS:
                delay = self.BACKOFF_FIRST
            print(_("millrace up: the daemon (pid {pid}) exited with {code}; restarting it in {delay} s",
                    pid=proc.pid, code=code, delay="%g" % delay), flush=True)
            if self._stopping.wait(delay):
                return
            proc = self._spawn()
            served.record_restart(code, proc.pid, delay)
            delay = min(self.BACKOFF_MAX, delay * 2)

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)


def settings(args) -> int:
    from models import settings as all_settings       # the same checks as PATCH /api/v1/settings
    if args.key and args.value is not None:
        all_settings.set_value(args.key, args.value, args.actor)
    for key in all_settings.keys():
        if args.key in (None, key):
            print(f"{key} = {all_settings.get(key)}")
    return 0
