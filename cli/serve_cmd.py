"""CLI verbs that run services or administer them: up, daemon, dashboard, migrate, settings."""
from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from cli import sample
from models import daemon_state, home, schema

RUN_PY = Path(__file__).resolve().parent.parent / "run.py"


def migrate(args) -> int:
    applied = schema.migrate()
    print(f"applied {len(applied)} migration(s): {', '.join(applied)}" if applied else "the database is up to date")
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


def dashboard(args) -> int:
    from dashboard.app import create_app
    app = create_app()
    print(f"Millrace dashboard on http://{args.host}:{args.port}")
    app.run(host=args.host, port=args.port, debug=False)
    return 0


def up(args) -> int:
    """Dashboard in this process, daemon as a child process; both stop together."""
    added = sample.ensure_pipeline(args.actor)
    if added:
        print(f"added the sample pipeline '{added}'")
    from daemon.lock import holder
    running = holder(home.current())
    child = None
    if running:       # e.g. the systemd service: use it rather than start a second daemon
        print(f"a Millrace daemon (pid {running}) already runs on {home.current()}; using it")
    else:
        child = subprocess.Popen([sys.executable, str(RUN_PY), "--home", str(home.current()), "daemon"])
    # SIGTERM (systemd, kill) must also reach the `finally` that stops the daemon child.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        return dashboard(args)
    finally:
        if child is not None:
            child.terminate()
            child.wait(timeout=30)


def settings(args) -> int:
    if args.key and args.value is not None:
        daemon_state.set_setting(args.key, args.value, args.actor)
    for key in daemon_state.DEFAULTS:
        if args.key in (None, key):
            print(f"{key} = {daemon_state.get_setting(key)}")
    return 0
