"""Signing in, for tests of the dashboard that are not about the door itself: a token for
plain HTTP requests, a signed-in Flask test client, and a request context with a user."""
from __future__ import annotations

import contextlib

from flask import g

PASSWORD = "tests' administrator password"


def admin(username: str = "tester"):
    from models import accounts
    from models.account_tables import User
    user = User.get_or_none(User.username == username)
    return user or accounts.create(username, PASSWORD, "tests", is_admin=True, must_change=False)


def admin_token(username: str = "tester") -> str:
    """A personal access token (every scope) of an administrator made for the test."""
    from models import api_tokens
    user = admin(username)
    return api_tokens.create(user, f"tests-{api_tokens.random.token_hex(4)}", ["admin"])[1]


def bearer(username: str = "tester") -> dict:
    return {"Authorization": f"Bearer {admin_token(username)}"}


def signed_in(client, username: str = "tester"):
    """Sign a Flask test client in through /login, as an administrator made for the test."""
    admin(username)
    answer = client.post("/login", data={"username": username, "password": PASSWORD},
                         headers={"Origin": "http://localhost"})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
    client.environ_base["HTTP_ORIGIN"] = "http://localhost"      # as the site's own pages send it
    return client


@contextlib.contextmanager
def request_as(server, path: str = "/", principal=None, **kwargs):
    """A test request context whose signed-in principal is `principal` (default: the operator)."""
    from models.permissions import SYSTEM
    with server.test_request_context(path, **kwargs):
        g.millrace_principal = principal or SYSTEM
        yield
