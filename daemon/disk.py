"""Noticing a full disk: by the errors it causes and by the free space left.

The daemon pauses new starts while the data directory's filesystem has less than
`MIN_FREE_BYTES` free or a write failed with ENOSPC / SQLite's "database or disk is
full", and resumes by itself once space is back; it never exits over it.
"""
from __future__ import annotations

import errno
import os
import shutil

from models import home

MIN_FREE_BYTES = int(os.environ.get("MILLRACE_MIN_FREE_BYTES", str(2 * 1024 * 1024)))


def is_disk_full(exc: BaseException) -> bool:
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if "database or disk is full" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def free_bytes(path=None) -> int | None:
    try:
        return shutil.disk_usage(path or home.current()).free
    except OSError:
        return None


def full_reason(path=None) -> str | None:
    """Why the disk counts as full now, or None."""
    free = free_bytes(path)
    if free is None or free >= MIN_FREE_BYTES:
        return None
    return f"disk full: {free // 1024} KiB free on the filesystem of {path or home.current()}; new tasks wait"


def reason_from(exc: BaseException) -> str:
    return f"disk full: {exc}; new tasks wait"
