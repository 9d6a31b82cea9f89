"""/login, /logout and /password: plain HTML forms (Bootstrap from assets/, no script), so
signing in works before, and without, Dash's scripts.

Failed sign-ins are throttled per address and per username by Flask-Limiter (in memory:
one dashboard process) and audited; the message never says whether the name exists.
"""
from __future__ import annotations

from flask import g, redirect, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from markupsafe import escape

from dashboard import viewer
from dashboard.auth import current
from models import accounts, audit, i18n, login_sessions
from models.i18n import _

LOGIN_LIMIT = "10 per minute"

def _next_target() -> str:
    return viewer._same_site(request.values.get("next"))   # only a path on this site


def _page(title: str, body: str, status: int = 200):
    lang = "zh-CN" if i18n.language() == "zh_CN" else "en"
    html = f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · Millrace</title><link rel="stylesheet" href="/assets/00_bootstrap-5.3.8.min.css">
</head><body class="bg-light"><main class="container" style="max-width: 26rem; padding-top: 10vh">
<h1 class="h3 mb-4">Millrace</h1>{body}</main></body></html>"""
    return html, status, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


def _field(name: str, label: str, kind: str = "text", value: str = "", auto: str = "") -> str:
    return (f'<div class="mb-3"><label class="form-label" for="{name}">{escape(label)}</label>'
            f'<input class="form-control" id="{name}" name="{name}" type="{kind}" value="{escape(value)}" '
            f'autocomplete="{auto}" required></div>')


def _error(message: str) -> str:
    return f'<div class="alert alert-danger" role="alert" id="auth-error">{escape(message)}</div>' if message else ""


def login_form(message: str = "", username: str = "", status: int = 200):
    body = (_error(message) + f'<form method="post" action="/login"><input type="hidden" name="next" '
            f'value="{escape(_next_target())}">' + _field("username", _("Username"), value=username, auto="username")
            + _field("password", _("Password"), "password", auto="current-password")
            + f'<button class="btn btn-primary w-100" id="login-submit" type="submit">{escape(_("Sign in"))}'
            "</button></form>")
    return _page(_("Sign in"), body, status)


def password_form(message: str = "", status: int = 200):
    user = current.user()
    forced = user is not None and user.must_change_password
    note = (f'<div class="alert alert-info" id="auth-forced">{escape(_("Choose a new password to go on."))}</div>'
            if forced else "")
    body = (note + _error(message) + '<form method="post" action="/password">'
            + _field("current", _("Current password"), "password", auto="current-password")
            + _field("new", _("New password (at least {n} characters)", n=accounts.MIN_PASSWORD_LENGTH), "password",
                     auto="new-password")
            + _field("again", _("New password again"), "password", auto="new-password")
            + f'<button class="btn btn-primary w-100" id="password-submit" type="submit">'
            f'{escape(_("Change password"))}</button></form>')
    return _page(_("Change password"), body, status)


def login():
    if request.method == "GET":
        return login_form()
    username, password = request.form.get("username", "").strip(), request.form.get("password", "")
    user = accounts.authenticate(username, password)
    if user is None:
        audit.record(username or "?", "failed login", None, remote_addr=request.remote_addr or "")
        return login_form(_("Wrong username or password."), username, 401)
    session.clear()
    session["sid"] = login_sessions.start(user, request.remote_addr or "", request.headers.get("User-Agent", ""))
    session.permanent = False
    audit.record(user.username, "login", user, remote_addr=request.remote_addr or "")
    return redirect("/password" if user.must_change_password else _next_target(), code=303)


def logout():
    row = login_sessions.end(session.get("sid"))
    if row is not None:
        audit.record(row.user.username, "logout", row.user)
    session.clear()
    return redirect("/login", code=303)


def password():
    if request.method == "GET":
        return password_form()
    user = current.user()
    new = request.form.get("new", "")
    if new != request.form.get("again", ""):
        return password_form(_("The two new passwords differ."), 400)
    try:
        accounts.change_password(user, request.form.get("current", ""), new, keep_session=current.session_id())
    except ValueError as exc:
        return password_form(str(exc), 400)
    g.millrace_user = user
    return redirect("/", code=303)


def _login_username() -> str:
    return "user:" + request.form.get("username", "").strip().lower()


def register(server) -> None:
    # one limiter per app (its counts in memory: the dashboard is one process)
    limiter = Limiter(key_func=get_remote_address, app=server, storage_uri="memory://", strategy="fixed-window")
    # only failures count; one limit per address and one per username, on the same view
    failed = dict(methods=["POST"], deduct_when=lambda response: response.status_code == 401)
    limited = limiter.shared_limit(LOGIN_LIMIT, scope="login-address", **failed)(
        limiter.shared_limit(LOGIN_LIMIT, scope="login-username", key_func=_login_username, **failed)(login))
    server.add_url_rule("/login", "login", limited, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", logout, methods=["POST"])
    server.add_url_rule("/password", "password", password, methods=["GET", "POST"])

    @server.errorhandler(429)
    def _too_many(_exc):
        return login_form(_("Too many sign-in attempts; wait a minute and try again."), request.form.get(
            "username", ""), 429)
