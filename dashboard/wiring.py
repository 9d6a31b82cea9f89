"""Callbacks declared outside pages/ and registered by the page (or the app) that shows them.

Dash Pages runs every module in dashboard/pages, so a page module's own `@callback`s
register with the page. The pieces a page shows but does not define declare theirs on a
`Callbacks` instead: `@wiring.callback(...)` only notes the callback and leaves the
function as it is (tests call it directly), and nothing reaches Dash until the owner calls
`wiring.register()` — pages/editor.py for dashboard.editor, pages/pipeline_detail.py for
the trigger dialog (dashboard.triggers.panel), pages/run_detail.py for the log panel
(dashboard.runlog.panel), and app.create_app() for the shell (layout's daemon status,
actions' dialog). Importing a module therefore registers nothing, and a reader finds every
registration at its owner. Registering twice is a no-op: once per process, as an import was.
"""
from __future__ import annotations

import dash


class Callbacks:
    """The callbacks one module declares, registered with Dash when its owner says so."""

    def __init__(self) -> None:
        self._declared: list[tuple] = []
        self._registered = False

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
        if self._registered:
            return
        self._registered = True
        for args, kwargs, function in self._declared:
            if function is None:
                dash.clientside_callback(*args, **kwargs)
            else:
                dash.callback(*args, **kwargs)(function)
