"""Fault points: named moments where a test can make the daemon die, exactly there.

`point("claim.before_commit")` does nothing unless the environment variable
`MILLRACE_FAULT` names that point; then the daemon kills itself with SIGKILL on the
spot, as a power cut or an OOM kill would. Tests use it to reproduce a crash between
two steps deterministically instead of by luck. `MILLRACE_FAULT_AFTER=N` lets the
point pass N times before it fires. The points are listed here so a grep finds them.
"""
from __future__ import annotations

import os
import signal

POINTS = (
    "claim.before_commit",        # the run is marked running, its rows are not committed yet
    "local.after_spawn",          # the task's process exists, handle.json does not
    "task.before_record",         # the executor returned a handle, the task row does not hold it yet
    "ship.before_commit",         # a batch of a task's output and its cursor are written, not committed
    "ship.after_store",           # a batch of a task's output and its cursor are committed, the next is not
    "forge_hook.after_create",    # the forge made the webhook, its id is not stored yet
)
_passed: dict[str, int] = {}


def point(name: str) -> None:
    if os.environ.get("MILLRACE_FAULT") != name:
        return
    seen = _passed.get(name, 0)
    _passed[name] = seen + 1
    if seen >= int(os.environ.get("MILLRACE_FAULT_AFTER", "0")):
        os.kill(os.getpid(), signal.SIGKILL)
