"""The fake forge's git remote: a real `git http-backend` (tests/delivery/git_server.py)
that requires HTTP basic auth whose password is a live access token of a fake forge
instance, as GitHub and GitLab do for a private repository over HTTPS.

`TokenGitServer(root, instance)` answers 401 with `WWW-Authenticate: Basic` to anything
else. `during_request`, when set, is called in the server thread after a request is
authorised and before it is answered: the git client is waiting for the answer at that
exact moment, so a test samples its processes then (not by luck). `authorised` counts
the requests that carried a good token, `refused` the others.

`clone_routes(instance)` makes the instance's own clone URLs (`<web>/<owner>/<name>.git`, what
its API lists) answer git by relaying to `instance.git_remote` when a test set one, as the
forge's web host serves git: a process that cannot be given a URL rewrite (the browser
session's daemon) then clones what a picker chose.
"""
from __future__ import annotations

import base64

import requests
from flask import Blueprint, Response, abort, request

from tests.delivery.git_server import GitServer, _Handler

# what git sends that the backend reads (the rest is the relay's own business)
RELAYED_HEADERS = ("Authorization", "Content-Type", "Content-Encoding", "Git-Protocol", "Accept")


class _TokenHandler(_Handler):
    def _cgi(self):
        owner = self.git_server
        if not owner.token_is_live(self._password()):
            owner.refused += 1
            self._body()
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="fakeforge"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        owner.authorised += 1
        if owner.during_request is not None:
            owner.during_request()
        super()._cgi()

    def _password(self) -> str:
        scheme, _, value = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return ""
        try:
            return base64.b64decode(value).decode().partition(":")[2]
        except ValueError:
            return ""


class TokenGitServer(GitServer):
    handler_class = _TokenHandler

    def __init__(self, root, instance):
        self.instance = instance
        self.authorised = self.refused = 0
        self.during_request = None
        super().__init__(root)

    def token_is_live(self, password: str) -> bool:
        token = self.instance.store.token_for(password) if password else None
        return token is not None and not token.revoked and not token.is_expired()


def clone_routes(instance) -> Blueprint:
    bp = Blueprint(f"git_{id(instance)}", __name__)

    @bp.route("/<owner>/<name>.git/<path:rest>", methods=["GET", "POST"])
    def relay(owner, name, rest):
        remote = instance.git_remote
        if remote is None:
            abort(404)
        answer = requests.request(request.method, f"{remote.url(f'{owner}/{name}')}/{rest}",
                                  params=request.args, data=request.get_data(), timeout=60,
                                  headers={k: v for k, v in request.headers.items() if k in RELAYED_HEADERS})
        kept = {k: v for k, v in answer.headers.items()
                if k.lower() not in ("content-length", "content-encoding", "transfer-encoding", "connection")}
        return Response(answer.content, status=answer.status_code, headers=kept)
    return bp
