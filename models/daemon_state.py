"""Facts about the daemon that others read: its heartbeat, and settings it obeys.

The dashboard and CLI call `alive()` to say plainly when no daemon will pick runs up.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import socket

from models import i18n
from models.db import utcnow
from models.i18n import N_
from models.tables import DaemonHeartbeat, Setting

HEARTBEAT_FRESH_SECONDS = 15
# container_runtime: "" | podman | docker. kaniko_image: what builds images on a cluster; it must have
# a shell at /bin/sh (kaniko's :debug images do), because the task's wrapper script runs in it.
# checkout_timeout_minutes: how long a run's checkout may take before it fails (a server that accepts
# and never answers would otherwise hold the run until the pipeline's timeout). Fractions are allowed
# (0.5 = 30 s); at most 14 days, the longest a pipeline runs without a timeout of its own.
DEFAULTS = {"task_slots": "8", "container_runtime": "", "container_network": "bridge",
            "kaniko_image": "gcr.io/kaniko-project/executor:v1.23.2-debug", "checkout_timeout_minutes": "10",
            "log_cap_mb": "64"}
MAX_CHECKOUT_TIMEOUT_MINUTES = 14 * 24 * 60
MAX_LOG_CAP_MB = 10240
CHECKOUT_TIMEOUT_MESSAGE = N_("checkout_timeout_minutes must be a number of minutes above 0 and at most {max} "
                              "(e.g. 10, or 0.5 for 30 seconds)", max=MAX_CHECKOUT_TIMEOUT_MINUTES)
CHECKOUT_TIMEOUT_ERROR = i18n.english(CHECKOUT_TIMEOUT_MESSAGE)     # its English text


class UnknownSetting(KeyError):
    """A setting Millrace does not have; its message renders like other errors' (KeyError's own
    str() would show the message object's repr, quoted)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def beat(row: DaemonHeartbeat | None, state: str = "running", now=None, reason="") -> DaemonHeartbeat:
    """state: running | paused (reason says why, e.g. a full disk: a Msg or text) | stopping | stopped.
    The reason is stored in English, its message beside it."""
    now = now or utcnow()
    reason, reason_message = i18n.english(reason), (reason.to_json() if isinstance(reason, i18n.Msg) else None)
    if row is None:
        return DaemonHeartbeat.create(hostname=socket.gethostname(), pid=os.getpid(), started_at=now, beat_at=now,
                                      state=state, reason=reason, reason_message=reason_message)
    DaemonHeartbeat.update(beat_at=now, state=state, reason=reason, reason_message=reason_message) \
        .where(DaemonHeartbeat.id == row.id).execute()
    row.beat_at, row.state, row.reason, row.reason_message = now, state, reason, reason_message
    return row


def alive(now=None) -> DaemonHeartbeat | None:
    """The freshest heartbeat of a running daemon, or None when no daemon is alive."""
    now = now or utcnow()
    since = now - dt.timedelta(seconds=HEARTBEAT_FRESH_SECONDS)
    return (DaemonHeartbeat.select().where((DaemonHeartbeat.beat_at >= since)
                                           & DaemonHeartbeat.state.in_(["running", "paused"]))
            .order_by(DaemonHeartbeat.beat_at.desc()).first())


def get_setting(key: str) -> str:
    row = Setting.get_or_none(Setting.key == key)
    return row.value if row else DEFAULTS[key]


def set_setting(key: str, value: str, actor: str) -> None:
    if key not in DEFAULTS:
        raise UnknownSetting(N_("unknown setting '{key}' (known: {known})", key=key, known=", ".join(DEFAULTS)))
    if key == "task_slots" and (not value.isdigit() or int(value) < 1):
        raise ValueError(N_("task_slots must be a whole number of at least 1"))
    if key == "kaniko_image" and not value.strip():
        raise ValueError(N_("kaniko_image must name an image (a kaniko :debug image, which has /bin/sh)"))
    if key == "checkout_timeout_minutes" and (problem := checkout_timeout_message(value)):
        raise ValueError(problem)
    if key == "log_cap_mb" and (problem := log_cap_message(value)):
        raise ValueError(problem)
    Setting.replace(key=key, value=value, updated_at=utcnow(), updated_by=actor).execute()


def checkout_timeout_problem(value: str) -> str | None:
    """Why `value` is not a usable checkout_timeout_minutes, or None (the dashboard asks before
    saving), in the current reader's language."""
    message = checkout_timeout_message(value)
    return None if message is None else str(message)


def log_cap_problem(value: str) -> str | None:
    """log_cap_message in the current reader's language (a form field's feedback)."""
    message = log_cap_message(value)
    return None if message is None else str(message)


def checkout_timeout_message(value: str) -> i18n.Msg | None:
    text = value.strip()
    # Plain decimals only: float() would also take "nan", "inf" and "1e9".
    if not re.fullmatch(r"\d+(\.\d+)?", text):
        return CHECKOUT_TIMEOUT_MESSAGE
    minutes = float(text)
    return None if 0 < minutes <= MAX_CHECKOUT_TIMEOUT_MINUTES else CHECKOUT_TIMEOUT_MESSAGE


def log_cap_message(value: str) -> i18n.Msg | None:
    """Why `value` is not a usable log_cap_mb, or None: the one check behind `run.py settings`
    (set_setting) and the dashboard's Settings page. A whole number of megabytes, 1 to
    MAX_LOG_CAP_MB (a log is read whole by a download; beyond that no one reads it)."""
    text = value.strip()
    shown = text if len(text) <= 20 else text[:20] + "…"
    if re.fullmatch(r"-?\d+", text):
        if int(text) < 1:
            return N_("log_cap_mb must be at least 1 (megabytes): {shown} would keep no log at all", shown=shown)
        if int(text) > MAX_LOG_CAP_MB:
            return N_("log_cap_mb must be at most {max} (10 GB of log per task), not {shown}", max=MAX_LOG_CAP_MB,
                      shown=shown)
        return None
    if re.fullmatch(r"-?(\d+\.\d*|\.\d+)", text):
        return N_("log_cap_mb must be a whole number of megabytes (e.g. 64), not {shown}", shown=shown)
    if not text:
        return N_("log_cap_mb must be a whole number of megabytes (e.g. 64); it is empty")
    return N_("log_cap_mb must be a whole number of megabytes (e.g. 64); '{shown}' is not a number", shown=shown)


def log_cap_bytes() -> int:
    """The per-task log cap in bytes (a stored value that no longer validates counts as the default)."""
    value = get_setting("log_cap_mb")
    return int(DEFAULTS["log_cap_mb"] if log_cap_problem(value) else value.strip()) * 1024 * 1024


def checkout_timeout_seconds() -> float:
    """The checkout's time limit in seconds (a stored value that no longer validates counts as the default)."""
    value = get_setting("checkout_timeout_minutes")
    if checkout_timeout_problem(value):
        value = DEFAULTS["checkout_timeout_minutes"]
    return float(value) * 60
