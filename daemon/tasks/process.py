"""Task processes: the Python a task's fixed script starts as `python -m daemon.tasks.X`.

`python_env()` is how such a script finds this interpreter and this source tree
($MILLRACE_PYTHON, $PYTHONPATH).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def python_env() -> dict[str, str]:
    """How a task process finds this interpreter and this source tree."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {"MILLRACE_PYTHON": sys.executable, "PYTHONPATH": path}
