"""Settings of the door: session lifetimes, the pipeline quota, the public base URL and the
host names the dashboard answers to. Stored in the `setting` table beside the daemon's
(models/daemon_state.py); only administrators change them.

- session_idle_minutes: a session unused this long ends (an open page that refreshes
  itself counts as use);
- session_absolute_hours: a session ends this long after sign-in, used or not;
- pipeline_quota: at most this many pipelines (not deleted) may exist; 0 = no cap (the
  manual's trial mode is 10);
- base_url: the address users reach the dashboard at (webhook URLs and OAuth callbacks are
  built from it, never from a request's Host header); '' = http://127.0.0.1:<port>;
- allowed_hosts: comma-separated host names the dashboard answers to besides 127.0.0.1,
  localhost and base_url's host ('*' = any, for a trusted network only).
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from models import audit
from models.db import utcnow, write_transaction
from models.i18n import N_
from models.tables import Setting

DEFAULTS = {"session_idle_minutes": "480", "session_absolute_hours": "168", "pipeline_quota": "0",
            "base_url": "", "allowed_hosts": ""}
LIMITS = {"session_idle_minutes": (5, 60 * 24 * 30), "session_absolute_hours": (1, 24 * 365),
          "pipeline_quota": (0, 1_000_000)}
HOST = re.compile(r"^(\*|[A-Za-z0-9]([A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:]+\])$")


def get(key: str) -> str:
    return get_many(key)[key]


def get_many(*keys: str) -> dict:
    """The values of `keys` (their defaults where unset) in one query: the door reads two on
    every request."""
    found = dict(Setting.select(Setting.key, Setting.value).where(Setting.key.in_(keys)).tuples())
    return {key: found.get(key, DEFAULTS[key]) for key in keys}


def number(key: str) -> int:
    value = get(key)
    return int(value) if problem(key, value) is None else int(DEFAULTS[key])


def problem(key: str, value: str):
    """Why `value` cannot be stored for `key` (a message), or None."""
    text = (value or "").strip()
    if key in LIMITS:
        low, high = LIMITS[key]
        if not re.fullmatch(r"\d+", text) or not low <= int(text) <= high:
            return N_("{key} must be a whole number from {low} to {high}", key=key, low=low, high=high)
        return None
    if key == "base_url":
        parts = urlsplit(text)
        if text and (parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment):
            return N_("base_url must be an http:// or https:// address such as https://ci.example.com, not '{value}'",
                      value=text[:80])
        return None
    if key == "allowed_hosts":
        bad = [h for h in _split(text) if not HOST.match(h)]
        if bad:
            return N_("allowed_hosts: '{host}' is not a host name", host=bad[0][:80])
        return None
    raise KeyError(key)


def set_value(key: str, value: str, actor: str) -> None:
    if key not in DEFAULTS:
        raise KeyError(N_("unknown setting '{key}' (known: {known})", key=key, known=", ".join(DEFAULTS)))
    if (found := problem(key, value)) is not None:
        raise ValueError(found)
    text = value.strip().rstrip("/") if key == "base_url" else value.strip()
    with write_transaction():
        Setting.replace(key=key, value=text, updated_at=utcnow(), updated_by=actor).execute()
        audit.record(actor, "set", None, setting=key, value=text)


def _split(text: str) -> list[str]:
    return [h.strip() for h in (text or "").split(",") if h.strip()]


def allowed_hosts() -> list[str]:
    values = get_many("allowed_hosts", "base_url")
    hosts = ["127.0.0.1", "localhost", "[::1]"] + _split(values["allowed_hosts"])
    base = urlsplit(values["base_url"]).hostname
    return hosts + ([base] if base else [])


def public_url() -> str:
    """The address users reach the dashboard at: `base_url` when set, else where it serves
    (models/served.py) — never a request's Host header, which any client can forge."""
    from models import served
    return get("base_url") or served.dashboard_url()
