"""`/api/v1/openapi.json` (the generated document) and `/api/v1/docs` (Swagger UI to browse it).

Swagger UI's files come from the flask-swagger-ui wheel's dist/ folder, served by this
site under /api/v1/docs/assets/ (no CDN); the page starts it with static/docs.js, a file
of ours, because the gate's Content-Security-Policy runs scripts from 'self' only. Both
need a signed-in user or a token like every other route (a browser without a session is
sent to the login page).
"""
from __future__ import annotations

from html import escape
from pathlib import Path

import flask_swagger_ui
from flask import Response, abort, current_app, jsonify, send_from_directory, url_for

from dashboard.api_v1.blueprint import bp
from models.i18n import _

SWAGGER_DIST = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
OURS = Path(__file__).resolve().parent / "static"
SERVED = {"swagger-ui.css": SWAGGER_DIST, "swagger-ui-bundle.js": SWAGGER_DIST, "favicon-32x32.png": SWAGGER_DIST,
          "docs.js": OURS}


@bp.get("/openapi.json")
@bp.doc(hide=True)
def openapi():
    return jsonify(current_app._get_spec("json"))     # a dict for the json format (built once, then cached)


@bp.get("/docs")
@bp.doc(hide=True)
def docs():
    asset = lambda name: escape(url_for("api_v1.docs_asset", name=name))     # noqa: E731
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Millrace API v1</title>
<link rel="stylesheet" href="{asset('swagger-ui.css')}"><link rel="icon" href="{asset('favicon-32x32.png')}">
</head><body><div id="swagger-ui" data-spec="{escape(url_for('api_v1.openapi'))}"></div>
<script src="{asset('swagger-ui-bundle.js')}"></script><script src="{asset('docs.js')}"></script>
</body></html>"""
    return Response(page, mimetype="text/html")


@bp.get("/docs/assets/<name>")
@bp.doc(hide=True)
def docs_asset(name: str):
    folder = SERVED.get(name)
    if folder is None:
        abort(404)
    return send_from_directory(folder, name, max_age=3600)


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@bp.doc(hide=True)
def no_such_operation(rest: str):
    """Without it the Dash pages' catch-all would answer an unknown /api/v1 path with HTML."""
    abort(404, _("no such operation: /api/v1/{path} (see /api/v1/docs)", path=rest[:100]))
