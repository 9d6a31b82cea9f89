"""`create_app()`: the Dash application — pages, shell, static assets, API and webhook blueprints.

Pages are Dash Pages modules in dashboard/pages (the canvas editor's included, found by
the same mechanism); each registers its own callbacks and those of the pieces it shows.
The shell (layout: navbar, daemon status, the action dialog) is this module's, so its
callbacks are registered here (dashboard.wiring). /api/v1 is dashboard.api_v1 (an apiflask
blueprint, so the server is an APIFlask). Bootstrap is served from assets/ (no
CDN). Each request uses its own SQLite connection, closed when the request ends, because
Flask serves requests on many threads and a connection belongs to one.
"""
from __future__ import annotations

from pathlib import Path

import dash
from apiflask import APIFlask
from dash import Dash
from flask import g

from dashboard import actions, api, api_v1, auth, forge_oauth, layout, viewer
from models import home
from models.db import database

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"


def _specificity(page: dict):
    """Sort key: more path segments first, fixed paths before templates at the same depth.

    Dash matches templates with fnmatch, whose '*' also matches '/', so `/pipelines/<id>`
    would swallow `/pipelines/3/runs/1` and `/pipelines/new` if it were tried first."""
    path = page.get("path_template") or page["path"]
    segments = [s for s in path.strip("/").split("/") if s]
    return -len(segments), bool(page.get("path_template")), page["module"]


def _most_specific_first() -> None:
    registry = dash.page_registry
    for page in sorted(registry.values(), key=_specificity):
        registry.move_to_end(page["module"])


def _per_request_connection(server) -> None:
    @server.before_request
    def _open():
        if database.is_closed():
            database.connect()
            g.millrace_opened_db = True

    @server.teardown_request
    def _close(_exc):
        if g.pop("millrace_opened_db", False) and not database.is_closed():
            database.close()


def create_app(home_path=None) -> Dash:
    try:
        home.current()
    except RuntimeError:
        home.open_home(home_path)
    # An APIFlask, so /api/v1's OpenAPI document is generated (dashboard.api_v1); without
    # json_errors and its own docs routes: the pages keep Flask's HTML errors.
    server = APIFlask("dashboard", title="Millrace API", version="1", json_errors=False, enable_openapi=False)
    app = Dash("dashboard", server=server, use_pages=True, pages_folder="pages", assets_folder=str(ASSETS),
               title="Millrace", suppress_callback_exceptions=True, update_title=None)
    _most_specific_first()
    app.layout = layout.shell
    layout.wiring.register()      # the navbar's daemon status
    actions.wiring.register()     # the action dialog every page's buttons open
    server.register_blueprint(api.blueprint)
    api_v1.install(server)        # /api/v1: the REST API and its OpenAPI document
    server.register_blueprint(forge_oauth.blueprint)     # connecting code repository accounts
    try:
        from dashboard.hooks import hooks_blueprint
    except ImportError:   # the webhook receiver is optional until its issue lands
        hooks_blueprint = None
    if hooks_blueprint is not None:
        server.register_blueprint(hooks_blueprint)
    viewer.install(server)        # the reader's language and time zone
    _per_request_connection(server)
    auth.install(app)             # after the connection opens: the door reads sessions and tokens
    from dashboard.pages import audit
    server.add_url_rule("/audit.csv", "audit_csv", audit.export_csv)
    return app
