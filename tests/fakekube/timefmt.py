"""Kubernetes time strings: RFC 3339 for object fields, RFC 3339 with nanoseconds for logs.

Log timestamps are formatted like Go's time.RFC3339Nano, which trims trailing
zeros from the fraction, so they cannot be compared as strings; we keep times as
integer nanoseconds since the epoch and format them only at the edge.
"""
from __future__ import annotations

import calendar
import re
import time
from decimal import Decimal

_RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z$")


def to_ns(seconds: float) -> int:
    # Through Decimal: a float of epoch seconds times 1e9 loses the last digits.
    return int(Decimal(repr(seconds)) * 1_000_000_000)


def rfc3339(ns: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ns // 1_000_000_000))


def rfc3339nano(ns: int) -> str:
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 1_000_000_000))
    frac = f"{ns % 1_000_000_000:09d}".rstrip("0")
    return f"{whole}.{frac}Z" if frac else f"{whole}Z"


def parse(text: str) -> int:
    """Nanoseconds since the epoch from an RFC 3339 UTC string."""
    m = _RFC3339.match(text)
    if not m:
        raise ValueError(f"not an RFC 3339 UTC time: {text!r}")
    y, mo, d, h, mi, s, frac = m.groups()
    secs = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s), 0, 0, 0))
    return secs * 1_000_000_000 + int((frac or "0").ljust(9, "0"))
