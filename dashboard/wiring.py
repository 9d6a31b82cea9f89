"""Callbacks declared outside pages/ and registered by the page (or the app) that shows them.

Dash Pages runs every module in dashboard/pages, so a page module's own `@callback`s
register with the page. The pieces a page shows but does not define declare theirs on a
`Callbacks` instead: `@wiring.callback(...)` only notes the callback and leaves the
function as it is (tests call it directly), and nothing reaches Dash until the owner calls
`wiring.register()` — pages/editor.py for dashboard.editor, pages/pipeline_detail.py for
the trigger dialog (dashboard.triggers.panel), pages/run_detail.py for the log panel
(dashboard.runlog.panel), and app.create_app() for the shell (layout's daemon status,
actions' dialog). Importing a module therefore registers nothing, and a reader finds every
registration at its owner. Registering again is a no-op while Dash still holds the first
registration; once an app has taken it (Dash moves its pending callbacks into the first app
that serves a request), the next app made in the same process registers them anew, as Dash
Pages runs the page modules anew for it (tests make many apps; the product one).
"""
from __future__ import annotations

import dash
from dash import _callback as dash_callbacks


class Callbacks:
    """The callbacks one module declares, registered with Dash when its owner says so."""

    def __init__(self) -> None:
        self._declared: list[tuple] = []
        self._registered = False
        self._pending: set[str] = set()     # the output keys of our last registration, while Dash holds them

    def callback(self, *args, **kwargs):
        """`@dash.callback(*args, **kwargs)`, deferred to `register()`; the function is returned unchanged."""
        def note(function):
            self._declared.append((args, kwargs, function))
            return function
        return note

    def clientside(self, code: str, *args, **kwargs) -> None:
        """`dash.clientside_callback(code, *args, **kwargs)`, deferred to `register()`."""
        self._declared.append(((code, *args), kwargs, None))

    def register(self) -> None:
        taken = bool(self._pending) and not self._pending <= set(dash_callbacks.GLOBAL_CALLBACK_MAP)
        if self._registered and not taken:
            return              # Dash still holds our registration for the app being made
        self._registered = True
        before = set(dash_callbacks.GLOBAL_CALLBACK_MAP)
        for args, kwargs, function in self._declared:
            if function is None:
                dash.clientside_callback(*args, **kwargs)
            else:
                dash.callback(*args, **kwargs)(function)
        self._pending = set(dash_callbacks.GLOBAL_CALLBACK_MAP) - before
