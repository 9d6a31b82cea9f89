"""The loop around `Daemon.tick`: sleep until woken, a task ends, or the poll interval.

It sleeps in poll() on the wake-up socket (models.nudge sends to it when an intent is
written) and on pidfds of running local tasks, so a new run or a finished task is
handled at once while an idle daemon costs next to nothing. Signal handlers only set
flags: SIGTERM/SIGINT = warm shutdown (stop claiming, leave tasks running, exit).
"""
from __future__ import annotations

import logging
import os
import select
import signal
import socket

from daemon.lock import DaemonLock
from daemon.main import Daemon
from models import home

log = logging.getLogger("millrace.daemon")
IDLE_POLL_SECONDS = 2.0
BUSY_POLL_SECONDS = 0.25      # how often logs of running tasks are shipped


def _bind_wake_socket() -> socket.socket:
    path = home.wake_socket_path()
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    os.chmod(path, 0o600)
    sock.setblocking(False)
    return sock


def serve(daemon: Daemon | None = None, *, max_ticks: int | None = None) -> None:
    """Run the daemon until SIGTERM/SIGINT. Raises DaemonAlreadyRunning when another
    daemon holds this data directory: two would start the same tasks twice."""
    lock = DaemonLock(home.current()).acquire()
    daemon = daemon or Daemon()
    flags = {"exit": False}

    def on_signal(signum, frame):
        flags["exit"] = True
        daemon.stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sock = _bind_wake_socket()
    log.info("millrace daemon started (pid %s, data in %s)", os.getpid(), home.current())
    ticks = 0
    try:
        while not flags["exit"]:
            daemon.tick()
            ticks += 1
            if max_ticks is not None and ticks >= max_ticks:
                break
            timeout = BUSY_POLL_SECONDS if daemon.has_active_work else IDLE_POLL_SECONDS
            to_timer = daemon.seconds_to_next_timer()
            if to_timer is not None:
                timeout = min(timeout, to_timer)      # wake on the second a timed rule is due
            task_fds = daemon.wait_fds()
            # a task already ended, or starts or output are left: tick again at once
            if task_fds is None or daemon.more_to_start or daemon.more_to_ship:
                task_fds, timeout = [], 0
            # poll(), not select(): select() fails on descriptors >= 1024 (hundreds of running tasks)
            waiter = select.poll()
            for fd in {sock.fileno(), *task_fds}:
                waiter.register(fd, select.POLLIN)
            try:
                ready = {fd for fd, _ in waiter.poll(timeout * 1000)}
            except InterruptedError:
                continue
            if sock.fileno() in ready:
                daemon.nudged = True
                try:
                    while sock.recv(64):
                        pass
                except BlockingIOError:
                    pass
    finally:
        daemon.shutdown()
        sock.close()
        lock.release()
        log.info("millrace daemon stopped; running tasks continue and will be adopted on the next start")
