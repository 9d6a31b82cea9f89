"""What one fake forge instance holds: its users, OAuth applications, codes and tokens, and
the repositories with their branches, hooks and the commit statuses posted to them.

Everything is in memory behind one lock, readable by tests (`Store.hooks`, `Store.statuses`).
Times come from the instance's clock (`time.time` unless a test gives another), so a test
can make tokens expire without waiting.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.util import list_to_scope, scope_to_list


@dataclass
class ForgeUser:
    id: int
    login: str
    name: str = ""


@dataclass
class App(ClientMixin):
    """An OAuth application a forge user registered ("new OAuth application" form)."""
    client_id: str
    client_secret: str
    redirect_uri: str
    name: str = "Millrace"

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uri

    def get_allowed_scope(self, scope):
        return list_to_scope(scope_to_list(scope or "")) if scope else ""

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret):
        return client_secret == self.client_secret

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_post", "client_secret_basic")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type in ("authorization_code", "refresh_token")


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: ForgeUser
    code_challenge: str | None = None
    code_challenge_method: str | None = None

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope


@dataclass
class Token(TokenMixin):
    access_token: str
    client_id: str
    user: ForgeUser
    scope: str = ""
    refresh_token: str | None = None
    expires_in: int = 0                # 0: never expires (GitHub OAuth apps)
    issued_at: float = 0.0
    revoked: bool = False
    clock: object = time.time

    def check_client(self, client):
        return self.client_id == client.get_client_id()

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return self.expires_in

    def is_expired(self):
        return bool(self.expires_in) and self.clock() >= self.issued_at + self.expires_in

    def is_revoked(self):
        return self.revoked

    def get_user(self):
        return self.user


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    private: bool = True
    default_branch: str = "main"
    branches: dict = field(default_factory=lambda: {"main": "0" * 40})    # name -> commit sha

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


class Store:
    def __init__(self, clock=time.time):
        self.clock = clock
        self.lock = threading.RLock()
        self.users: dict[str, ForgeUser] = {}
        self.apps: dict[str, App] = {}
        self.codes: dict[str, Code] = {}
        self.tokens: list[Token] = []
        self.repos: list[Repo] = []
        self.hooks: dict[str, list[dict]] = {}          # full_name -> hooks as the API shows them
        self.statuses: dict[str, list[dict]] = {}       # sha -> statuses posted, oldest first
        self.signed_in: ForgeUser | None = None          # who the browser is signed in to the forge as
        self._ids = 100

    def next_id(self) -> int:
        with self.lock:
            self._ids += 1
            return self._ids

    def user(self, login: str) -> ForgeUser:
        with self.lock:
            return self.users.setdefault(login, ForgeUser(self.next_id(), login, login.title()))

    def token_for(self, access_token: str) -> Token | None:
        with self.lock:
            return next((t for t in self.tokens if t.access_token == access_token), None)

    def refresh_token_for(self, refresh_token: str) -> Token | None:
        with self.lock:
            return next((t for t in self.tokens if t.refresh_token == refresh_token and not t.revoked), None)

    def repo(self, full_name: str) -> Repo | None:
        with self.lock:
            return next((r for r in self.repos if r.full_name == full_name or str(r.id) == full_name), None)
