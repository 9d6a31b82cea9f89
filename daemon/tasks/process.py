"""Task processes: the Python a task's fixed script starts as `python -m daemon.tasks.X`.

Four task types run Python as (part of) a durable local process: deploy_yaml,
deploy_chart and build_chart for their whole work, build_image only to explain a failed
build. Such a process takes every value from its environment; deploy_yaml and
deploy_chart open the data directory ($MILLRACE_HOME, `open_home()`) to read clusters and
record release revisions: the third kind of process that writes the database
(docs/architecture.md). What they share is here:

- `python_env()`: how the task's script finds this interpreter and this source tree;
- `main(work, …)`: run the work; any exception becomes the task's one-line reason
  (`fail()`), the cluster's answer worded by daemon.kube.client.describe, an error of a
  kind the task expects as its own text, anything else with its type; secrets masked;
- `fail(reason)`: print `millrace: failed: <reason>` and write $MILLRACE_REASON_FILE;
- `outputs(NAME=value, …)`: append dynamic parameters to $MILLRACE_ENV;
- `say(line)`: a log line, flushed at once.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]


def python_env() -> dict[str, str]:
    """How a task process finds this interpreter and this source tree."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {"MILLRACE_PYTHON": sys.executable, "PYTHONPATH": path}


def say(line: str) -> None:
    print(line, flush=True)


def open_home() -> None:
    from models import home
    home.open_home(os.environ["MILLRACE_HOME"])


def work_dir(name: str) -> Path:
    """A directory of the task's own under $MILLRACE_TASK_DIR."""
    work = Path(os.environ["MILLRACE_TASK_DIR"]) / name
    work.mkdir(parents=True, exist_ok=True)
    return work


def outputs(**values: str) -> None:
    """Append NAME=value lines to $MILLRACE_ENV: the task's dynamic parameters."""
    with open(os.environ["MILLRACE_ENV"], "a") as fh:
        fh.write("".join(f"{name}={value}\n" for name, value in values.items()))


def fail(reason: str, secrets=()) -> int:
    """The task failed: its reason, in one line, in the log and in $MILLRACE_REASON_FILE."""
    for secret in secrets:
        if secret:
            reason = reason.replace(secret, "***")
    say(f"millrace: failed: {reason}")
    reason_file = os.environ.get("MILLRACE_REASON_FILE")
    if reason_file:
        Path(reason_file).write_text(reason + "\n")
    return 1


def reason_of(exc: Exception, cluster: str = "", expected: tuple = ()) -> str:
    """One line for an exception of a task process."""
    if isinstance(exc, expected):
        return str(exc)
    if cluster:
        from daemon.kube.client import describe, is_api_error
        if is_api_error(exc):               # the cluster's answer, in one line, is the task's reason
            return str(describe(exc, cluster))
    return f"{type(exc).__name__}: {exc}"


def main(work: Callable[[], None], *, expected: tuple = (), cluster: str = "", secrets=()) -> int:
    """Run a task process's work: exit code 0, or 1 after `fail()` with the reason of what it raised."""
    try:
        work()
    except Exception as exc:  # noqa: BLE001 — every failure of a task process is the task's reason
        return fail(reason_of(exc, cluster, expected), secrets)
    return 0
