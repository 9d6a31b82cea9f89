"""Callbacks declared outside pages/ (dashboard.wiring): declaring registers nothing, the
owner's register() does, once; and the app leaves no declared callback unregistered."""
import importlib
import pkgutil

import dash

import dashboard
from dashboard.wiring import Callbacks


def test_declaring_leaves_the_function_alone_and_register_registers_once(monkeypatch):
    registered = []
    monkeypatch.setattr(dash, "callback", lambda *a, **k: (lambda f: registered.append((a, k, f)) or f))
    monkeypatch.setattr(dash, "clientside_callback", lambda *a, **k: registered.append((a, k, None)))
    wiring = Callbacks()

    @wiring.callback("out", "in", prevent_initial_call=True)
    def plain(x):
        return x + 1

    wiring.clientside("function(x) { return x; }", "out2", "in2")
    assert plain(1) == 2 and registered == []
    wiring.register()
    wiring.register()
    assert registered == [(("out", "in"), {"prevent_initial_call": True}, plain),
                          (("function(x) { return x; }", "out2", "in2"), {}, None)]


def test_the_app_registers_every_callback_declared_in_the_dashboard(home):
    from dashboard.app import create_app
    create_app()
    found = {}
    for info in pkgutil.walk_packages(dashboard.__path__, "dashboard."):
        if info.name.startswith("dashboard.pages."):
            continue        # page modules are run by Dash Pages, and register their own
        module = importlib.import_module(info.name)
        found.update({f"{info.name}.{name}": value for name, value in vars(module).items()
                      if isinstance(value, Callbacks)})
    assert {"dashboard.actions.wiring", "dashboard.layout.wiring", "dashboard.editor.callbacks.wiring",
            "dashboard.editor.save.wiring", "dashboard.triggers.panel.wiring",
            "dashboard.runlog.panel.wiring"} <= set(found)
    assert [name for name, wiring in found.items() if not wiring._registered] == []


def test_a_second_app_after_the_first_served_a_request_gets_the_callbacks_too(home):
    """Dash hands its pending callbacks to the first app that serves a request; an app made
    after that (tests make many in one process) must still get the editor's and the shell's."""
    from dashboard.app import create_app
    first = create_app()
    first.server.test_client().get("/api/health")          # takes every pending callback
    second = create_app()
    second.server.test_client().get("/api/health")
    outputs = " ".join(second.callback_map)
    assert "editor-canvas.elements" in outputs and "nav-daemon.children" in outputs
