"""Before every request: Host, identity, forced password change, same origin, callback rule.
After every response: the security headers. The only place a request is let in or not.

Identity is a session cookie (Flask's signed session holds the random value whose SHA-256
is a login_session row) or `Authorization: Bearer mrt_…` (a personal access token). A
token request carries no ambient credential, so it needs no Origin check; a cookie request
that changes state must come from this site's own pages (Origin, else Sec-Fetch-Site).
"""
from __future__ import annotations

import hashlib
import hmac
import os
from urllib.parse import quote, urlsplit

from flask import g, jsonify, redirect, request, session

from dashboard.auth import callback_rules
from models import account_settings, api_tokens, home, login_sessions
from models.i18n import _
from models.permissions import Forbidden, principal_of, require

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
LOGIN_ASSETS = ("/assets/00_bootstrap-5.3.8.min.css", "/assets/login.css")
PASSWORD_PATHS = ("/password", "/logout") + LOGIN_ASSETS


def is_open(method: str, path: str) -> bool:
    """Requests served to anyone: webhook deliveries (signature-checked), health, the login page
    (and the language switch, which only sets a cookie and goes back to a path of this site)."""
    return ((method == "POST" and path.startswith("/hooks/")) or (method == "GET" and path == "/api/health")
            or path == "/login" or (method == "GET" and (path in LOGIN_ASSETS or path.startswith("/lang/"))))


def session_key() -> bytes:
    """Flask's signing key, derived from the data directory's secret.key (never stored apart)."""
    key = (home.current() / "secret.key").read_bytes().strip()
    return hmac.new(key, b"millrace dashboard session cookie", hashlib.sha256).digest()


def cookie_name() -> str:
    """Cookies are per host, not per port: two Millraces on one machine must not sign each
    other out, so the name carries a digest of the data directory."""
    return "millrace-" + hashlib.sha256(str(home.current()).encode()).hexdigest()[:10]


def _wants_json(path: str) -> bool:
    if path == "/api/v1/docs":          # the API's documentation page: a browser signs in first
        return "text/html" not in request.headers.get("Accept", "")
    return path.startswith(("/_dash-", "/api/")) or request.method != "GET" or \
        "text/html" not in request.headers.get("Accept", "")


def _refuse(status: int, message: str):
    if request.path.startswith("/api/v1/"):       # the REST API answers RFC 9457 problems
        from dashboard.api_v1.errors import problem
        return problem(status, message)
    response = jsonify(error=message)
    response.status_code = status
    return response


def _host_allowed() -> bool:
    hosts = account_settings.allowed_hosts()
    host = (request.host or "").rsplit(":", 1)[0] if not request.host.startswith("[") else \
        request.host.split("]")[0] + "]"
    return "*" in hosts or host.lower() in {h.lower() for h in hosts}


def _same_origin() -> bool:
    origin = request.headers.get("Origin")
    if origin:
        return urlsplit(origin).netloc.lower() == (request.host or "").lower()
    return request.headers.get("Sec-Fetch-Site") in ("same-origin", "none")


def identify() -> None:
    """Set g.millrace_user/_principal/_session from a bearer token or the session cookie."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user, token = api_tokens.authenticate(header[len("Bearer "):].strip())
        g.millrace_token = token
        if user is not None:
            g.millrace_user, g.millrace_principal = user, principal_of(user, token)
        return
    user, row = login_sessions.resolve(session.get("sid"))
    if user is not None:
        g.millrace_user, g.millrace_session, g.millrace_principal = user, row, principal_of(user)


def check():
    """The before_request hook: None lets the request through; else the refusal."""
    path, method = request.path, request.method
    if not _host_allowed():
        return _refuse(400, _("this dashboard does not answer to host '{host}' (Settings → allowed hosts)",
                              host=request.host[:100]))
    if is_open(method, path):
        if method in STATE_CHANGING and path == "/login" and not _same_origin():
            return _refuse(403, _("a sign-in must come from this site's own login page"))
        return None
    identify()
    user = g.get("millrace_user")
    if user is None:
        if _wants_json(path):
            return _refuse(401, _("sign in first (or send a valid token: Authorization: Bearer …)"))
        return redirect("/login?next=" + quote(request.full_path.rstrip("?"), safe="/?=&"), code=303)
    if method in STATE_CHANGING and g.get("millrace_token") is None and not _same_origin():
        return _refuse(403, _("refused: a change must come from this site's own pages (cross-origin request)"))
    if user.must_change_password and g.get("millrace_token") is None and path not in PASSWORD_PATHS:
        if _wants_json(path):
            return _refuse(403, _("choose a new password first (/password)"))
        return redirect("/password", code=303)
    if path == "/_dash-update-component" and method == "POST":
        output = (request.get_json(silent=True) or {}).get("output", "")
        action = callback_rules.action_for(output, _app.callback_map)
        if action is not None:
            try:
                require(g.millrace_principal, action)
            except Forbidden as exc:
                from dashboard.auth.current import refused
                refused(action, None, exc)
                return _refuse(403, str(exc))
    return None


def headers(response):
    """The after_request hook: no framing, no sniffing, scripts only from this site."""
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", policy())
    return response


_policy = None
_app = None


def policy() -> str:
    """Dash's own inline scripts (its config, the renderer's start, inline clientside callbacks)
    by hash — known once Dash has set itself up, at the first request; styles inline because
    React sets style attributes; nothing from another origin."""
    global _policy
    if _policy is None:
        scripts = " ".join(_app.csp_hashes())       # each already quoted: 'sha256-…'
        _policy = ("default-src 'self'; script-src 'self' " + scripts + "; style-src 'self' 'unsafe-inline'; "
                   "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
                   "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
    return _policy


def install(app) -> None:
    """Put the door on `app` (a Dash app): signing key, cookie flags, hooks, login pages."""
    global _policy, _app
    from dashboard.auth import pages
    _app, _policy = app, None
    server = app.server
    server.secret_key = session_key()
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_NAME=cookie_name(),
                         SESSION_COOKIE_SECURE=account_settings.get("base_url").startswith("https://"))
    proxies = os.environ.get("MILLRACE_TRUSTED_PROXIES", "").strip()
    if proxies:       # behind that many reverse proxies: their X-Forwarded-* headers are believed, no one else's
        from werkzeug.middleware.proxy_fix import ProxyFix
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=int(proxies), x_proto=int(proxies), x_host=int(proxies))
    server.before_request(check)
    server.after_request(headers)
    pages.register(server)
