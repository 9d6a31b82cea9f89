"""One daemon per data directory: an OS lock on `<home>/daemon.lock` held for the daemon's life.

`flock` is released by the kernel when the holder dies, however it dies (kill -9 too),
so a stale lock never blocks a restart. The file also records the holder's pid, so a
second daemon can say who holds it. Task processes never inherit the descriptor
(Python opens it non-inheritable and tasks are started with close_fds), so a task that
outlives the daemon does not keep the lock.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path


class DaemonAlreadyRunning(RuntimeError):
    def __init__(self, path: Path, pid: str):
        self.path, self.pid = path, pid
        super().__init__(f"another Millrace daemon (pid {pid or 'unknown'}) holds {path}; "
                         f"only one daemon may run per data directory — this one is not starting")


class DaemonLock:
    def __init__(self, home: Path):
        self.path = Path(home) / "daemon.lock"
        self._fd: int | None = None

    def acquire(self) -> "DaemonLock":
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            raise DaemonAlreadyRunning(self.path, holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)     # closing drops the flock
            self._fd = None


def holder(home: Path) -> str | None:
    """The pid holding the lock, or None when no daemon holds it.

    Read from /proc/locks rather than by trying the lock, so that asking never makes a
    daemon starting at that instant fail to take it."""
    path = Path(home) / "daemon.lock"
    try:
        st = os.stat(path)
        table = Path("/proc/locks").read_text()
    except OSError:
        return None
    inode = f":{st.st_ino} "
    for line in table.splitlines():
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"
        if len(fields) >= 6 and fields[1] == "FLOCK" and (fields[5] + " ").endswith(inode):
            major_minor = fields[5].rsplit(":", 1)[0]
            if int(major_minor.split(":")[0], 16) == os.major(st.st_dev) \
                    and int(major_minor.split(":")[1], 16) == os.minor(st.st_dev):
                return fields[4]
    return None
