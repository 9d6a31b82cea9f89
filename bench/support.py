"""What several benchmarks share: waiting for a run to end (and insisting it succeeded)."""
from __future__ import annotations

import time

from models.status import is_terminal
from models.tables import Run


def wait_run(run_id, timeout=300) -> Run:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = Run.get_by_id(run_id)
        if is_terminal(run.status):
            assert run.status == "succeeded", (run.status, run.reason)
            return run
        time.sleep(0.01)
    raise TimeoutError(run_id)
