"""`FakeForge`: fake GitHub and GitLab instances over real HTTP, in a thread.

One server on 127.0.0.1 (a free port) mounts any number of instances, each at its own
base path, the way a private instance lives under a path of its host:

    forge = FakeForge().start()
    github = forge.add("github", "/github")            # web base URL: forge.url + "/github"
    gitlab = forge.add("gitlab", "/private/gitlab")    # a self-hosted GitLab under a path

Each instance is a Flask app with its own store (tests.fakeforge.store): the OAuth provider
(tests.fakeforge.oauth), its API subset (github.py under /api/v3, gitlab.py under /api/v4),
and the controls a test needs: register an OAuth application, sign a forge user in for the
consent page, add repositories, expire or revoke tokens, and read the hooks and statuses
the product made, and the git remote its clone URLs relay to (`git_remote`, tests.fakeforge.git_http).
"""
from __future__ import annotations

import hashlib
import threading
import time

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from tests.fakeforge import git_http, github, gitlab, oauth
from tests.fakeforge.store import App, Repo, Store

LIFETIMES = {"github": 0, "gitlab": 7200}     # GitHub OAuth app tokens never expire; GitLab's last 2 h


class Instance:
    def __init__(self, forge: "FakeForge", kind: str, prefix: str, clock=time.time):
        self.forge, self.kind, self.prefix = forge, kind, prefix.rstrip("/")
        self.store = Store(clock)
        self.token_lifetime = LIFETIMES[kind]
        self.token_requests: list[dict] = []        # every form posted to the token endpoint
        self.hook_secrets: dict[int, str] = {}      # hook id -> the secret it was created with
        self.git_remote = None                      # a git_http.TokenGitServer its clone URLs relay to
        self.app = Flask(f"fakeforge-{kind}{self.prefix.replace('/', '-')}")
        self.app.config["SECRET_KEY"] = "fakeforge"
        oauth.install(self.app, self)
        self.app.register_blueprint((github if kind == "github" else gitlab).blueprint(self))
        self.app.register_blueprint(git_http.clone_routes(self))

    @property
    def url(self) -> str:
        """The web base URL, what a user types as the private instance URL."""
        return self.forge.url + self.prefix

    def register_app(self, redirect_uri: str, client_id: str = "", client_secret: str = "") -> App:
        n = len(self.store.apps) + 1
        app = App(client_id or f"{self.kind}-client-{n}", client_secret or f"{self.kind}-secret-{n}-0123456789abcdef",
                  redirect_uri)
        self.store.apps[app.client_id] = app
        return app

    def sign_in(self, login: str):
        """The browser is signed in to the forge as `login` (whom the consent page authorises)."""
        self.store.signed_in = self.store.user(login)
        return self.store.signed_in

    def add_repos(self, owner: str, names, branches=("main",)) -> list[Repo]:
        made = []
        with self.store.lock:
            self.store.user(owner)
            for name in names:
                repo = Repo(self.store.next_id(), owner, name,
                            branches={b: hashlib.sha1(f"{owner}/{name}@{b}".encode()).hexdigest() for b in branches})
                self.store.repos.append(repo)
                made.append(repo)
        return made

    def expire_tokens(self) -> None:
        """Every access token issued so far is past its lifetime (refresh tokens still work)."""
        with self.store.lock:
            for token in self.store.tokens:
                token.expires_in = 1
                token.issued_at = 0

    def revoke_tokens(self) -> None:
        """The user revoked the application on the forge: every token, refresh tokens too."""
        with self.store.lock:
            for token in self.store.tokens:
                token.revoked = True

    def live_tokens(self):
        return [t for t in self.store.tokens if not t.revoked and not t.is_expired()]


class FakeForge:
    def __init__(self):
        self.instances: list[Instance] = []
        self.port = 0
        self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, kind: str, prefix: str, clock=time.time) -> Instance:
        instance = Instance(self, kind, prefix, clock)
        self.instances.append(instance)
        return instance

    def _wsgi(self, environ, start_response):
        # Instances may be added after start: dispatch on the current list each request.
        mounts = {i.prefix: i.app for i in self.instances}
        return DispatcherMiddleware(_not_found, mounts)(environ, start_response)

    def start(self) -> "FakeForge":
        self._server = make_server("127.0.0.1", self.port, self._wsgi, threaded=True)
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, name="fakeforge", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _not_found(environ, start_response):
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"fakeforge: no instance mounted at this path\n"]
