"""Who is reading: the language and the time zone of the current dashboard request.

Language: the `millrace_lang` cookie (set by the navbar's switcher through `/lang/<code>`),
else the browser's Accept-Language, else English; models/i18n.py asks `language()` through
its resolver, so every `_()` in a layout or callback speaks the reader's language.
Time zone: the `millrace_tz` cookie, which assets/viewer.js sets from the browser's
`Intl.DateTimeFormat().resolvedOptions().timeZone`; UTC until it is known. Stored times
stay naive UTC; `local_time()` converts them for display only.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, abort, g, has_request_context, redirect, request

from models import i18n

LANG_COOKIE, TZ_COOKIE = "millrace_lang", "millrace_tz"
YEAR = 365 * 24 * 3600
blueprint = Blueprint("viewer", __name__)


def language() -> str | None:
    """The request's language (None outside a request: the CLI's or the environment's)."""
    if not has_request_context():
        return None
    if "millrace_lang" not in g:
        chosen = i18n.normalise(request.cookies.get(LANG_COOKIE))
        user = g.get("millrace_user")
        if chosen is None and user is not None:       # a browser new to this user: the language they chose
            chosen = i18n.normalise(user.language)
        if chosen is None:
            best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
            chosen = i18n.normalise(best) or i18n.DEFAULT
        g.millrace_lang = chosen
    return g.millrace_lang


def zone() -> dt.tzinfo:
    if not has_request_context():
        return dt.timezone.utc
    if "millrace_tz" not in g:
        name = request.cookies.get(TZ_COOKIE, "")
        try:
            g.millrace_tz = ZoneInfo(name) if name and len(name) < 64 else dt.timezone.utc
        except (ZoneInfoNotFoundError, ValueError):
            g.millrace_tz = dt.timezone.utc      # a zone this machine does not know: say UTC, never guess
    return g.millrace_tz


def local_time(at: dt.datetime) -> dt.datetime:
    """A stored (naive UTC) time in the reader's zone."""
    return at.replace(tzinfo=dt.timezone.utc).astimezone(zone())


def zone_label(at: dt.datetime) -> str:
    """'CST', 'CET', or the UTC offset where the zone has no abbreviation ('+08')."""
    name = at.tzname() or ""
    return "UTC" if name in ("UTC", "+00") else name


def _same_site(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    parts = urlsplit(target or "/")
    if parts.scheme or parts.netloc or not (parts.path or "/").startswith("/") or (parts.path or "").startswith("//"):
        return "/"
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def same_site(url: str | None, host: str) -> str:
    """The path and query of `url` when it is an address on this site (`host`), else "/"
    (the switcher's `next` from a Referer: never another site's address)."""
    parts = urlsplit(url or "/")
    if parts.netloc and parts.netloc != host:
        return "/"
    return _same_site((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))


@blueprint.get("/lang/<code>")
def choose_language(code: str):
    """The switcher's link: remember the language in a cookie and go back to the page."""
    chosen = i18n.normalise(code)
    if chosen not in i18n.LANGUAGES:
        abort(404)
    response = redirect(_same_site(request.args.get("next")), code=303)
    response.set_cookie(LANG_COOKIE, chosen, max_age=YEAR, samesite="Lax", httponly=True,
                        secure=request.is_secure)
    from dashboard.auth.gate import identify
    from models import accounts
    identify()                      # an open route: who is signed in, if anyone, to remember it for them
    if g.get("millrace_user") is not None:
        accounts.set_language(g.millrace_user, chosen)
    return response


def install(server) -> None:
    i18n.set_resolver(language)
    server.register_blueprint(blueprint)
