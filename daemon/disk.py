"""Noticing a full disk: by the errors it causes and by the free space left.

The daemon pauses new starts while the data directory's filesystem has less than
`MIN_FREE_BYTES` free or a write failed with ENOSPC / SQLite's "database or disk is
full", and resumes by itself once space is back; it never exits over it.
"""
from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from models import home
from models.i18n import N_

MIN_FREE_BYTES = int(os.environ.get("MILLRACE_MIN_FREE_BYTES", str(2 * 1024 * 1024)))


def is_disk_full(exc: BaseException) -> bool:
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if "database or disk is full" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def is_transient(exc: BaseException) -> bool:
    """Storage trouble that is not the run's fault and may pass: retry rather than fail it."""
    text = str(exc)
    return is_disk_full(exc) or "database is locked" in text or "disk I/O error" in text


def writable(path=None) -> bool:
    """Whether a small file can be written under the data directory again (ends an error pause:
    free space can look fine while writes fail — no inodes left, a quota)."""
    probe = Path(path or home.current()) / ".millrace-space-probe"
    try:
        with open(probe, "wb") as fh:
            fh.write(b"\0" * 65536)
            fh.flush()
            os.fsync(fh.fileno())
        return True
    except OSError:
        return False
    finally:
        try:
            probe.unlink()
        except OSError:
            pass


def free_bytes(path=None) -> int | None:
    try:
        return shutil.disk_usage(path or home.current()).free
    except OSError:
        return None


def full_reason(path=None):
    """Why the disk counts as full now, or None."""
    free = free_bytes(path)
    if free is None or free >= MIN_FREE_BYTES:
        return None
    # the same text while it lasts: a changing number would rewrite rows on a full disk
    return N_("disk full: less than {mib} MiB free on the filesystem of {path}; new tasks wait",
              mib=MIN_FREE_BYTES // (1024 * 1024), path=str(path or home.current()))


def reason_from(exc: BaseException):
    return N_("disk full: writing under {path} failed ({error}); new tasks wait", path=str(home.current()),
              error=(str(exc).splitlines() or [""])[0])
