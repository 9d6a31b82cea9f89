"""The shell around every page: navbar with the daemon's status, the warning shown when
no daemon runs, the feedback area, the shared action dialog, and Dash Pages' container.

The daemon status comes from models.daemon_state.alive() (a fresh heartbeat); it is
computed when the page loads and then every few seconds, so stopping or starting the
daemon shows up without a reload. The status poll's callback is declared on `wiring` and
registered by app.create_app(), which owns the shell (with actions' dialog).
"""
from __future__ import annotations

import datetime as dt
import time

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from dashboard import actions, ids
from dashboard.wiring import Callbacks
from models import daemon_state, served

DAEMON_POLL_MS = 5000
NAV_LINKS = (("Pipelines", "/pipelines"), ("Releases", "/releases"), ("Clusters", "/clusters"),
             ("Code repositories", "/repositories"), ("Settings", "/settings"))

wiring = Callbacks()


def daemon_status():
    """(badge text, badge colour, warning hidden?) for the navbar."""
    beat = daemon_state.alive()
    if beat is None:
        return "daemon: not running", "danger", False
    if beat.state == "paused":        # e.g. a full disk: running tasks go on, new ones wait
        return f"daemon: paused — {beat.reason}", "warning", True
    return f"daemon: running (pid {beat.pid})", "success", True


def navbar() -> dbc.Navbar:
    text, colour, _ = daemon_status()
    # Below Bootstrap's md breakpoint the links fold behind a toggler (a narrow window keeps one row).
    return dbc.Navbar(dbc.Container([
        dbc.NavbarBrand("Millrace", href="/pipelines"),
        dbc.NavbarToggler(id=ids.NAV_TOGGLER, n_clicks=0),
        dbc.Collapse([
            dbc.Nav([dbc.NavItem(dbc.NavLink(label, href=href, active="partial")) for label, href in NAV_LINKS],
                    navbar=True, className="me-auto"),
            dbc.Badge(text, id=ids.NAV_DAEMON, color=colour, className="daemon-status"),
        ], id=ids.NAV_COLLAPSE, is_open=False, navbar=True),
    ], fluid=True), color="dark", dark=True, expand="md", className="mb-3")


def daemon_warning() -> dbc.Alert:
    _, _, hidden = daemon_status()
    return dbc.Alert([html.Strong("No daemon is running: "),
                      "queued runs will not start and triggers will not fire. Start one with ",
                      html.Code("python run.py daemon"), " (or ", html.Code("python run.py up"), ")."],
                     id=ids.NAV_DAEMON_WARNING, color="warning", is_open=not hidden, className="mx-3")


RESTART_SHOWN_SECONDS = 3600


def restart_note():
    """A line about the last time `run.py up` restarted its daemon (shown for an hour), or None."""
    note = served.last_restart()
    if not note or time.time() - note.get("at", 0) > RESTART_SHOWN_SECONDS:
        return None
    at = dt.datetime.fromtimestamp(note["at"], dt.timezone.utc)
    how = "was killed (SIGKILL)" if note.get("exit_code") == -9 else f"exited with code {note.get('exit_code')}"
    return [html.Strong("Daemon restarted: "),
            f"the daemon {how}; run.py up started it again (pid {note.get('pid')}) at {at:%H:%M:%S} UTC "
            f"after {note.get('delay', 0):g} s ({note.get('count', 1)} restart{'s' if note.get('count', 1) != 1 else ''} "
            "so far). Its log is on the terminal running run.py up."]


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


@wiring.callback(Output(ids.NAV_COLLAPSE, "is_open"), Input(ids.NAV_TOGGLER, "n_clicks"),
                 State(ids.NAV_COLLAPSE, "is_open"), prevent_initial_call=True)
def toggle_navbar(_clicks, is_open):
    return not is_open
