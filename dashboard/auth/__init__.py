"""The dashboard's door: who is asking, in one place for every route and callback.

- gate.py: before every request — the Host check, the session cookie or a bearer token,
  401 for callbacks and API calls without one (a redirect to /login for pages), the forced
  password change, the same-origin check on state-changing requests; after every
  response — the frame, content-type and content-security headers.
- pages.py: /login, /logout, /password (plain Flask forms in the dashboard's look, so they
  work before Dash's scripts load), with login throttling (Flask-Limiter).
- current.py: `principal()` and `actor()` for callbacks and intents.
Open without a session: POST /hooks/* (each delivery's signature is checked) and
GET /api/health, plus the login page and its stylesheet.
"""
from dashboard.auth.gate import install

__all__ = ["install"]
