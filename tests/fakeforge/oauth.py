"""The fake forge's OAuth 2.0 provider, built with authlib's own authorization server, so the
product's authlib client runs a real authorization-code flow against it: `state` echoed,
PKCE S256 checked (GitLab), client secrets checked, codes single-use, tokens that expire and
refresh tokens that rotate (GitLab), revocation (RFC 7009, GitLab's /oauth/revoke).

The consent page is a form with **Authorize** (`#approve`) and **Deny** (`#deny`) buttons a
browser test clicks; denying redirects back with `error=access_denied`, as the forges do.
Paths are the forges' own: GitHub `/login/oauth/authorize` and `/login/oauth/access_token`,
GitLab `/oauth/authorize`, `/oauth/token` and `/oauth/revoke`.
"""
from __future__ import annotations

import html

from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import request

from tests.fakeforge.store import Code, Token

PATHS = {"github": ("/login/oauth/authorize", "/login/oauth/access_token", None),
         "gitlab": ("/oauth/authorize", "/oauth/token", "/oauth/revoke")}


def install(app, instance) -> AuthorizationServer:
    """Mount the provider's routes on `app` for `instance` (a tests.fakeforge.server.Instance)."""
    store = instance.store

    class CodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

        def save_authorization_code(self, code, req):
            with store.lock:
                store.codes[code] = Code(code, req.client.get_client_id(), req.payload.redirect_uri,
                                         req.payload.scope or "", req.user,
                                         req.payload.data.get("code_challenge"),
                                         req.payload.data.get("code_challenge_method"))

        def query_authorization_code(self, code, client):
            found = store.codes.get(code)
            return found if found and found.client_id == client.get_client_id() else None

        def delete_authorization_code(self, authorization_code):
            store.codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code):
            return authorization_code.user

    class RefreshGrant(grants.RefreshTokenGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
        INCLUDE_NEW_REFRESH_TOKEN = True          # GitLab rotates the refresh token on every use

        def authenticate_refresh_token(self, refresh_token):
            return store.refresh_token_for(refresh_token)

        def authenticate_user(self, credential):
            return credential.user

        def revoke_old_credential(self, credential):
            credential.revoked = True

    class Revocation(RevocationEndpoint):
        CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

        def query_token(self, token_string, token_type_hint):
            return store.token_for(token_string) or store.refresh_token_for(token_string)

        def revoke_token(self, token, req):
            token.revoked = True

    def save_token(token, req):
        with store.lock:
            store.tokens.append(Token(token["access_token"], req.client.get_client_id(), req.user,
                                      token.get("scope", ""), token.get("refresh_token"),
                                      token.get("expires_in", 0), store.clock(), clock=store.clock))

    server = AuthorizationServer(app, query_client=store.apps.get, save_token=save_token)
    # GitHub OAuth apps: tokens that never expire and no refresh token; GitLab: both.
    server.register_token_generator("default", _generator(instance))
    server.register_grant(CodeGrant, [CodeChallenge(required=instance.kind == "gitlab")])
    if instance.kind == "gitlab":
        server.register_grant(RefreshGrant)
        server.register_endpoint(Revocation)
    authorize, token_path, revoke = PATHS[instance.kind]

    @app.route(authorize, methods=["GET", "POST"])
    def authorize_view():
        user = store.signed_in
        try:
            grant = server.get_consent_grant(end_user=user)
        except OAuth2Error as error:
            return {"error": error.error, "error_description": error.description}, 400
        if request.method == "GET":
            return _consent_page(grant.client, user, grant.request.payload.scope or "")
        approved = request.form.get("decision") == "approve" and user is not None
        return server.create_authorization_response(grant_user=user if approved else None, grant=grant)

    @app.route(token_path, methods=["POST"])
    def token_view():
        instance.token_requests.append(dict(request.form))
        return server.create_token_response()

    if revoke:
        @app.route(revoke, methods=["POST"])
        def revoke_view():
            return server.create_endpoint_response(Revocation.ENDPOINT_NAME)
    return server


def _generator(instance):
    from authlib.oauth2.rfc6750 import BearerTokenGenerator
    prefix = "gho_" if instance.kind == "github" else "glpat-"
    refresh = (lambda *a, **k: "glrt-" + generate_token(40)) if instance.kind == "gitlab" else None
    return BearerTokenGenerator(lambda *a, **k: prefix + generate_token(36), refresh,
                                lambda client, grant_type: instance.token_lifetime)


def _consent_page(client, user, scope):
    who = html.escape(user.login) if user else "nobody (sign in to the forge first)"
    return f"""<!doctype html><html><head><title>Authorize {html.escape(client.name)}</title></head><body>
<h1 id="consent">Authorize {html.escape(client.name)}</h1>
<p>Signed in as <b id="forge-user">{who}</b>. The application asks for: <code id="scopes">{html.escape(scope)}</code></p>
<form method="post"><button id="approve" name="decision" value="approve">Authorize</button>
<button id="deny" name="decision" value="deny">Deny</button></form></body></html>"""
