"""The shell around every page: navbar with the daemon's status, the warning shown when
no daemon runs, the feedback area, the shared action dialog, and Dash Pages' container.

The daemon status comes from models.daemon_state.alive() (a fresh heartbeat); it is
computed when the page loads and then every few seconds, so stopping or starting the
daemon shows up without a reload. The status poll's callback is declared on `wiring` and
registered by app.create_app(), which owns the shell (with actions' dialog).

The language switcher is a plain link per language, `/lang/<code>?next=<this page>`
(dashboard/viewer.py sets the cookie and comes back): the layout is built on Dash's own
request, so the first `next` comes from its Referer, and a clientside callback keeps it
on the page shown as the reader moves between pages.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from flask import has_request_context, request

from dashboard import actions, ids, viewer
from dashboard.auth.current import principal, user
from dashboard.components import sentence
from dashboard.wiring import Callbacks
from models import daemon_state, i18n, served
from models.i18n import N_, _, ngettext

DAEMON_POLL_MS = 5000
NAV_LINKS = ((N_("Pipelines"), "/pipelines"), (N_("Releases"), "/releases"), (N_("Clusters"), "/clusters"),
             (N_("Code repositories"), "/repositories"), (N_("Settings"), "/settings"), (N_("Users"), "/users"), (N_("Projects"), "/projects"),
             (N_("Audit"), "/audit"))
NAV_LANGUAGE = "nav-language"            # the switcher's links: {"type": NAV_LANGUAGE, "lang": code}

wiring = Callbacks()


def daemon_status():
    """(badge text, badge colour, warning hidden?) for the navbar."""
    beat = daemon_state.alive()
    if beat is None:
        return _("daemon: not running"), "danger", False
    if beat.state == "paused":        # e.g. a full disk: running tasks go on, new ones wait
        return _("daemon: paused — {reason}", reason=beat.shown_reason), "warning", True
    return _("daemon: running (pid {pid})", pid=beat.pid), "success", True


def _this_page() -> str:
    """The page being shown, for the switcher's `next` (the layout's request is Dash's own,
    made by that page: its Referer names it)."""
    if not has_request_context():
        return "/"
    referrer = request.referrer or "/"
    return viewer.same_site(referrer, request.host)


def language_switcher(current: str | None = None) -> html.Div:
    """English / 中文: each a plain link through /lang/<code>; the current one is marked."""
    current = current or i18n.language()
    target = _this_page()
    links = []
    for code, label in i18n.LANGUAGES.items():
        chosen = code == current
        links.append(html.A(label, href=f"/lang/{code}?{urlencode({'next': target})}", lang=code.replace("_", "-"),
                            id={"type": NAV_LANGUAGE, "lang": code},
                            className="nav-link ps-0 pe-3 px-md-2 language-choice" + (" active fw-bold" if chosen else ""),
                            **({"aria-current": "true"} if chosen else {})))
    return html.Div(links, className="navbar-nav flex-row language-switcher me-2",
                    title=_("Language"), **{"aria-label": _("Language")})


ADMIN_LINKS = {"/clusters": "see_cluster", "/settings": "admin", "/releases": "cluster", "/audit": "admin", "/users": "admin",
               "/projects": "admin"}


def _links():
    """The navbar's links this user may use (Settings only for administrators…)."""
    who = user()
    return [(label, href) for label, href in NAV_LINKS
            if who is None or href not in ADMIN_LINKS or who.is_admin
            or (href == "/clusters" and any(r == "project_admin" for r in principal().roles.values()))]


def account_menu():
    """Who is signed in, with Access tokens, Change password and Sign out (a POST form: same-origin checked)."""
    who = user()
    if who is None:
        return None
    return dbc.Nav(dbc.DropdownMenu([
        dbc.DropdownMenuItem(_("Access tokens"), href="/tokens", id=ids.NAV_TOKENS),
        dbc.DropdownMenuItem(_("Change password"), href="/password", external_link=True),
        html.Form(html.Button(_("Sign out"), type="submit", id=ids.NAV_SIGN_OUT, className="dropdown-item"),
                  method="post", action="/logout"),
    ], label=who.username, id=ids.NAV_ACCOUNT, nav=True, in_navbar=True, align_end=True), navbar=True,
        className="ms-md-2")      # inside a navbar-nav: the dark navbar's link colours


def navbar() -> dbc.Navbar:
    text, colour, _hidden = daemon_status()
    # Below Bootstrap's md breakpoint the links fold behind a toggler (a narrow window keeps one row).
    return dbc.Navbar(dbc.Container([
        dbc.NavbarBrand("Millrace", href="/pipelines"),
        dbc.NavbarToggler(id=ids.NAV_TOGGLER, n_clicks=0),
        dbc.Collapse([
            dbc.Nav([dbc.NavItem(dbc.NavLink(str(label), href=href, active="partial")) for label, href in _links()],
                    navbar=True, className="me-auto"),
            language_switcher(),
            dbc.Badge(text, id=ids.NAV_DAEMON, color=colour, className="daemon-status"),
            account_menu(),
        ], id=ids.NAV_COLLAPSE, is_open=False, navbar=True),
    ], fluid=True), color="dark", dark=True, expand="md", className="mb-3")


def daemon_warning() -> dbc.Alert:
    hidden = daemon_status()[2]
    # One sentence, its commands kept as code: the translation places them ({daemon}, {up}).
    return dbc.Alert([html.Strong(_("No daemon is running: ")),
                      *sentence(_("queued runs will not start and triggers will not fire. Start one with {daemon} "
                                 "(or {up})."), daemon=html.Code("python run.py daemon"), up=html.Code("python run.py up"))],
                     id=ids.NAV_DAEMON_WARNING, color="warning", is_open=not hidden, className="mx-3")


RESTART_SHOWN_SECONDS = 3600


def restart_note():
    """A line about the last time `run.py up` restarted its daemon (shown for an hour), or None."""
    note = served.last_restart()
    if not note or time.time() - note.get("at", 0) > RESTART_SHOWN_SECONDS:
        return None
    at = viewer.local_time(dt.datetime.fromtimestamp(note["at"], dt.timezone.utc).replace(tzinfo=None))
    how = _("was killed (SIGKILL)") if note.get("exit_code") == -9 else \
        _("exited with code {code}", code=note.get("exit_code"))
    count = note.get("count", 1)
    when, delay = at.strftime("%H:%M:%S ") + viewer.zone_label(at), format(note.get("delay", 0), "g")
    return [html.Strong(_("Daemon restarted: ")),
            ngettext("the daemon {how}; run.py up started it again (pid {pid}) at {at} after {delay} s ({n} restart "
                     "so far). Its log is on the terminal running run.py up.",
                     "the daemon {how}; run.py up started it again (pid {pid}) at {at} after {delay} s ({n} restarts "
                     "so far). Its log is on the terminal running run.py up.", count,
                     how=how, pid=note.get("pid"), at=when, delay=delay)]


def shell():
    """app.layout: a function, so each page load reads the daemon status afresh."""
    return html.Div([
        navbar(), daemon_warning(),
        dbc.Alert(restart_note(), id=ids.NAV_DAEMON_RESTARTED, color="info", is_open=restart_note() is not None,
                  className="mx-3 daemon-restarted"),
        dcc.Interval(id=ids.NAV_DAEMON_POLL, interval=DAEMON_POLL_MS),
        dbc.Container([html.Div(id=ids.FEEDBACK), dash.page_container], fluid=True, className="pb-5"),
        actions.dialog(),
    ])


@wiring.callback(Output(ids.NAV_DAEMON, "children"), Output(ids.NAV_DAEMON, "color"),
                 Output(ids.NAV_DAEMON_WARNING, "is_open"), Output(ids.NAV_DAEMON_RESTARTED, "children"),
                 Output(ids.NAV_DAEMON_RESTARTED, "is_open"), Input(ids.NAV_DAEMON_POLL, "n_intervals"),
                 prevent_initial_call=True)
def refresh_daemon(_n):
    text, colour, hidden = daemon_status()
    note = restart_note()
    return text, colour, not hidden, note, note is not None


# The switcher's `next` follows the page shown (Dash moves between pages without a new layout).
# It also sets <html lang> to the current language, so the browser picks Chinese glyphs for zh-CN.
wiring.clientside("""function (_path, _search) {
    var here = window.location.pathname + window.location.search;
    var current = document.querySelector(".language-choice[aria-current]");
    if (current) { document.documentElement.lang = current.getAttribute("lang"); }
    return CODES.map(function (code) { return "/lang/" + code + "?next=" + encodeURIComponent(here); });
}""".replace("CODES", json.dumps(list(i18n.LANGUAGES))),
    Output({"type": NAV_LANGUAGE, "lang": dash.ALL}, "href"), Input("_pages_location", "pathname"),
    Input("_pages_location", "search"))


@wiring.callback(Output(ids.NAV_COLLAPSE, "is_open"), Input(ids.NAV_TOGGLER, "n_clicks"),
                 State(ids.NAV_COLLAPSE, "is_open"), prevent_initial_call=True)
def toggle_navbar(_clicks, is_open):
    return not is_open
