"""Fire times of the five timed rules, as pure functions (PRODUCT.md §4.1).

Rules are written in the words the dashboard and CLI use ("every 2 minutes", "every 2
hours at 28", "daily at 09:30", "weekly on mon,fri at 08:00", "monthly on 31 at 23:00");
`parse_rule` turns them into a `Rule`, `str(rule)` turns them back. Fire times are wall
times in the rule's zone, aligned cron style (`*/n` minutes within the hour, `m */n` hours
within the day); a monthly day the month lacks fires on that month's last day.
DST: a wall time that does not exist (spring forward) fires once, at the next valid
minute; a wall time that occurs twice (fall back) fires once, at its first occurrence.
"""
from __future__ import annotations

import calendar
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from models.i18n import N_

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KINDS = ("minutes", "hours", "daily", "weekly", "monthly")
FORMS = ('"every N minutes", "every N hours at M", "daily at HH:MM", '
         '"weekly on mon,fri at HH:MM", "monthly on D at HH:MM"')
# Every rule fires at least once in 31 days; 400 days of search covers any DST oddity.
_SEARCH_DAYS = 400


@dataclass(frozen=True)
class Rule:
    kind: str                       # one of KINDS
    every: int = 1                  # n for "minutes" / "hours"
    hour: int = 0
    minute: int = 0
    weekdays: tuple[int, ...] = ()  # 0 = Monday, for "weekly"
    day: int = 1                    # day of month, for "monthly"

    def __str__(self) -> str:
        hhmm = f"{self.hour:02d}:{self.minute:02d}"
        if self.kind == "minutes":
            return f"every {self.every} minute{'s' if self.every != 1 else ''}"
        if self.kind == "hours":
            return f"every {self.every} hour{'s' if self.every != 1 else ''} at {self.minute}"
        if self.kind == "daily":
            return f"daily at {hhmm}"
        if self.kind == "weekly":
            return f"weekly on {','.join(WEEKDAYS[d] for d in self.weekdays)} at {hhmm}"
        return f"monthly on {self.day} at {hhmm}"

    def times_on(self, day: date) -> list[time]:
        """Wall times this rule names on `day`, ascending (before any DST adjustment)."""
        if self.kind == "minutes":
            return [time(h, m) for h in range(24) for m in range(0, 60, self.every)]
        if self.kind == "hours":
            return [time(h, self.minute) for h in range(0, 24, self.every)]
        if self.kind == "weekly" and day.weekday() not in self.weekdays:
            return []
        if self.kind == "monthly":
            last = calendar.monthrange(day.year, day.month)[1]
            if day.day != min(self.day, last):
                return []
        return [time(self.hour, self.minute)]


# ---- parsing the words -------------------------------------------------------------

def _number(text: str, what, low: int, high: int) -> int:
    if not text.isdigit():
        raise ValueError(N_("{what} must be a whole number, got '{text}'", what=what, text=text))
    value = int(text)
    if not low <= value <= high:
        raise ValueError(N_("{what} must be from {low} to {high}, got {value}", what=what, low=low, high=high,
                            value=value))
    return value


def _clock(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if not match:
        raise ValueError(N_("time must be HH:MM (e.g. 09:30), got '{text}'", text=text))
    return (_number(match[1], N_("hour"), 0, 23), _number(match[2], N_("minute"), 0, 59))


_DAY_NAMES = {name: i for i, full in enumerate(("monday", "tuesday", "wednesday", "thursday",
                                               "friday", "saturday", "sunday"))
              for name in (full, full[:3])}


def _weekdays(text: str) -> tuple[int, ...]:
    days = set()
    for word in filter(None, re.split(r"[,\s]+|\band\b", text)):
        if word not in _DAY_NAMES:
            raise ValueError(N_("unknown weekday '{word}' (use {days})", word=word, days=",".join(WEEKDAYS)))
        days.add(_DAY_NAMES[word])
    if not days:
        raise ValueError(N_("weekly rule needs at least one weekday, e.g. 'weekly on mon at 08:00'"))
    return tuple(sorted(days))


def parse_rule(text: str) -> Rule:
    """The rule named by `text`; ValueError saying what is wrong otherwise."""
    words = " ".join(text.strip().lower().split())
    if m := re.fullmatch(r"every (\S+) minutes?", words):
        return Rule("minutes", every=_number(m[1], N_("minutes in 'every N minutes'"), 1, 59))
    if m := re.fullmatch(r"every (\S+) hours?(?: at :?(\S+))?", words):
        return Rule("hours", every=_number(m[1], N_("hours in 'every N hours'"), 1, 23),
                    minute=_number(m[2] or "0", N_("minute in 'every N hours at M'"), 0, 59))
    if m := re.fullmatch(r"daily at (\S+)", words):
        hour, minute = _clock(m[1])
        return Rule("daily", hour=hour, minute=minute)
    if m := re.fullmatch(r"weekly on (.+?) at (\S+)", words):
        days = _weekdays(m[1])
        hour, minute = _clock(m[2])
        return Rule("weekly", hour=hour, minute=minute, weekdays=days)
    if m := re.fullmatch(r"monthly on (?:day )?(\S+?)(?:st|nd|rd|th)? at (\S+)", words):
        day = _number(m[1], N_("day of month"), 1, 31)
        hour, minute = _clock(m[2])
        return Rule("monthly", hour=hour, minute=minute, day=day)
    raise ValueError(N_("cannot read rule '{text}': expected one of {forms}", text=text.strip(), forms=FORMS))


# ---- zones -------------------------------------------------------------------------

def local_zone() -> tzinfo:
    """The server's zone by name (so DST applies), falling back to UTC."""
    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        target = os.path.realpath("/etc/localtime")
        name = target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def zone(name: str | tzinfo | None) -> tzinfo:
    """A zone from its IANA name ('' or None: the server's); ValueError if unknown."""
    if name is None or isinstance(name, tzinfo):
        return name or local_zone()
    if not name.strip():
        return local_zone()
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(N_("unknown timezone '{name}' (use an IANA name like Europe/Berlin)", name=name)) from None


def parse_local(text: str, tz: str | tzinfo | None = None) -> datetime:
    """'YYYY-MM-DD HH:MM[:SS]' as a wall time in `tz` (e.g. the CLI's --from), aware."""
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=zone(tz))
        except ValueError:
            continue
    raise ValueError(N_("time must be 'YYYY-MM-DD HH:MM:SS', got '{text}'", text=text))


# ---- fire times --------------------------------------------------------------------

def _instant(wall: datetime, tz: tzinfo) -> datetime:
    """The instant a naive wall time fires at under the DST rule in the docstring."""
    probe = wall
    # A wall time that does not exist does not survive the round trip through UTC;
    # gaps are at most a few hours, so walking minute by minute is cheap.
    for _ in range(24 * 60):
        aware = probe.replace(tzinfo=tz, fold=0)
        if aware.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None) == probe:
            return aware
        probe += timedelta(minutes=1)
    return wall.replace(tzinfo=tz, fold=0)


def _fires(rule: Rule, after: datetime, tz: tzinfo) -> Iterator[datetime]:
    """Distinct fire instants strictly after `after`, ascending, in zone `tz`."""
    tz = zone(tz)
    # Wall time -> instant is monotone under the DST rule, so walking wall times in
    # order yields instants in order, and wall times up to `after`'s own are all past.
    after_wall = after.astimezone(tz).replace(tzinfo=None, fold=0)
    # Aware datetimes sharing a tzinfo compare by wall time, ignoring fold; compare in
    # UTC so the second pass of a repeated hour is ordered correctly.
    after_utc = after.astimezone(timezone.utc)
    last = None
    for offset in range(_SEARCH_DAYS):
        day = after_wall.date() + timedelta(days=offset)
        for t in rule.times_on(day):
            wall = datetime.combine(day, t)
            if wall <= after_wall:
                continue
            fire = _instant(wall, tz)
            if fire.astimezone(timezone.utc) > after_utc and fire != last:
                last = fire
                yield fire


def next_fire(rule: Rule | str, after: datetime, tz: str | tzinfo | None = None) -> datetime:
    """The first fire strictly after the aware datetime `after`, aware in the rule's zone.

    Results carry the rule's ZoneInfo; compare or subtract them in UTC (Python compares
    datetimes that share a tzinfo by wall time).
    """
    rule = parse_rule(rule) if isinstance(rule, str) else rule
    return next(_fires(rule, after, tz))


def fires_between(rule: Rule | str, start: datetime, end: datetime,
                  tz: str | tzinfo | None = None) -> list[datetime]:
    """Every fire in the half-open window (start, end], ascending."""
    rule = parse_rule(rule) if isinstance(rule, str) else rule
    found = []
    for fire in _fires(rule, start, tz):
        if fire > end:
            break
        found.append(fire)
    return found


def preview(rule: Rule | str, start: datetime, tz: str | tzinfo | None = None,
            n: int = 5) -> list[datetime]:
    """The next `n` fires strictly after `start` (what the rule editor shows)."""
    rule = parse_rule(rule) if isinstance(rule, str) else rule
    fires = _fires(rule, start, tz)
    return [next(fires) for _ in range(n)]
