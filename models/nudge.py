"""Waking the daemon early after an intent is written (a datagram on a local socket).

Correctness never depends on it: the daemon also polls. Sending never blocks or fails
loudly — no daemon listening simply means it picks the work up on its next poll.
"""
from __future__ import annotations

import socket

from models import home


def wake_daemon() -> None:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            sock.sendto(b"wake", str(home.wake_socket_path()))
    except (OSError, RuntimeError):
        pass
