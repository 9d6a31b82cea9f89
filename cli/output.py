"""Plain-text output helpers for the CLI: tables, durations, and every time it prints.

Stored times are naive UTC; the CLI shows them in the machine's zone (TZ, else the system
zone), with the zone named, or in UTC after `--utc` (`show_utc`). `--json` output keeps
the stored values. Table headings are translated; cells are padded by their width on a
terminal, where a Chinese character takes two columns.
"""
from __future__ import annotations

import unicodedata
from datetime import datetime, timezone, tzinfo

from models.i18n import N_, _
from models.schedule import local_zone

_utc = False

# Column key → heading (rendered when the table is printed, in the reader's language).
HEADINGS = {
    "run": N_("RUN"), "status": N_("STATUS"), "cause": N_("CAUSE"), "started_at": N_("STARTED_AT"),
    "duration": N_("DURATION"), "reason": N_("REASON"), "stage": N_("STAGE"), "task": N_("TASK"),
    "name": N_("NAME"), "active": N_("ACTIVE"), "latest_run": N_("LATEST_RUN"),
    "latest_status": N_("LATEST_STATUS"), "latest_started_at": N_("LATEST_STARTED_AT"),
    "scheduled_for": N_("SCHEDULED_FOR"), "outcome": N_("OUTCOME"), "received_at": N_("RECEIVED_AT"),
    "provider": N_("PROVIDER"), "event": N_("EVENT"), "release": N_("RELEASE"), "cluster": N_("CLUSTER"),
    "namespace": N_("NAMESPACE"), "revision": N_("REVISION"), "chart": N_("CHART"), "version": N_("VERSION"),
    "values": N_("VALUES"), "deployed": N_("DEPLOYED"), "description": N_("DESCRIPTION"), "url": N_("URL"),
    "username": N_("USERNAME"), "password": N_("PASSWORD"), "insecure": N_("INSECURE"),
    "ca_cert": N_("CA_CERT"), "default": N_("DEFAULT"), "server": N_("SERVER"), "health": N_("HEALTH"),
    "checked": N_("CHECKED"), "used_by": N_("USED_BY"), "user": N_("USER"), "admin": N_("ADMIN"),
    "last_sign_in": N_("LAST_SIGN_IN"), "projects": N_("PROJECTS"), "project": N_("PROJECT"),
    "members": N_("MEMBERS"), "token": N_("TOKEN"), "scopes": N_("SCOPES"), "expires": N_("EXPIRES"),
    "last_used": N_("LAST_USED"), "state": N_("STATE"),
}


def show_utc(flag: bool) -> None:
    """`--utc`: print times in UTC rather than the local zone."""
    global _utc
    _utc = bool(flag)


def zone() -> tzinfo:
    return timezone.utc if _utc else local_zone()


def _aware(value: datetime, tz: tzinfo | None) -> datetime:
    if value.tzinfo is None:                # stored: naive UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(tz or zone())


def when(value, tz: tzinfo | None = None, seconds: bool = True) -> str:
    """A time as the reader's: '2026-12-02 14:05:09 CST' ('' for none). A naive value is
    UTC (as stored); `tz` overrides the shown zone (a timed rule's own zone)."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return _aware(value, tz).strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


def clock(value) -> str:
    """The time of day only (log lines), in the same zone as `when`."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return _aware(value, None).strftime("%H:%M:%S")


# Stored codes → words for the plain-text output (`--json` keeps the codes); English shows
# the code itself, as before.
WORDS = {
    "pending": N_("pending"), "queued": N_("queued"), "running": N_("running"), "waiting": N_("waiting"),
    "succeeded": N_("succeeded"), "failed": N_("failed"), "stopped": N_("stopped"),
    "timed_out": N_("timed_out"), "skipped": N_("skipped"),
    "checking": N_("checking"), "healthy": N_("healthy"), "unreachable": N_("unreachable"),
    "refused": N_("refused"), "namespace missing": N_("namespace missing"), "error": N_("error"),
}


def word(code) -> str | None:
    """A status (or a cluster's health) in the reader's language; an unknown code as it is."""
    if code is None:
        return None
    found = WORDS.get(str(code))
    return str(found) if found is not None else str(code)


def yes_no(value: bool) -> str:
    """A table's boolean cell: True/False in English (as before), 是/否 in Chinese."""
    return _("True") if value else _("False")


def width(text: str) -> int:
    """Columns `text` takes on a terminal: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def heading(column: str) -> str:
    found = HEADINGS.get(column)
    return str(found) if found is not None else column.upper()


def table(rows: list[dict], columns) -> None:
    if not rows:
        print(_("(none)"))
        return
    heads = [heading(c) for c in columns]
    cells = [[("" if r[c] is None else str(r[c])) for c in columns] for r in rows]
    widths = [max(width(h), *(width(row[i]) for row in cells)) for i, h in enumerate(heads)]
    print("  ".join(pad(h, w) for h, w in zip(heads, widths)).rstrip())
    for row in cells:
        print("  ".join(pad(v, w) for v, w in zip(row, widths)).rstrip())


def seconds(value) -> str:
    if value is None:
        return ""
    value = float(value)
    if value < 60:
        tenths = "%.1f" % value
        return _("{s}s", s=tenths)
    minutes, secs = divmod(int(value), 60)
    hours, minutes = divmod(minutes, 60)
    mm, ss = "%02d" % minutes, "%02d" % secs
    if hours:
        return _("{h}h{m}m{s}s", h=hours, m=mm, s=ss)
    return _("{m}m{s}s", m=minutes, s=ss)
