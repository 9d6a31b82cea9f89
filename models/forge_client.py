"""Talking to a forge: the OAuth 2.0 client (authlib's requests client) and authenticated
API requests, for the dashboard and the daemon alike (so in models/, and with no Flask).

- `authorization_url()` / `exchange_code()`: the two halves of the authorization-code flow
  (`state` always; PKCE S256 where forge_kinds.PKCE says the forge takes it);
- `refresh_tokens()`: the refresh grant, the default `refresh` of forge_tokens.access_token;
- `fetch_user()`: the login an account is named by (GitHub and GitLab: GET <api>/user);
- `request()`: one API call with the account's token (refreshed first); a 401 marks the
  account needs_reauthorisation with the forge's words and raises NeedsReauthorisation.
Errors a user can act on are `ForgeError` (the forge's own words, never a token).
"""
from __future__ import annotations

import datetime as dt

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token

from models import forge_kinds, forge_tokens
from models.forge_accounts import ForgeAccount, NeedsReauthorisation, Tokens, mark_revoked
from models.i18n import N_

TIMEOUT_SECONDS = 20
REFUSED_GRANTS = ("invalid_grant", "invalid_client", "unauthorized_client", "access_denied")


class ForgeError(RuntimeError):
    """The forge answered with an error, or could not be reached (the message says which)."""


def _session(account: ForgeAccount, redirect_uri: str | None = None, **kw) -> OAuth2Session:
    pkce = forge_kinds.PKCE[account.forge]
    return OAuth2Session(account.client_id, account.client_secret, scope=forge_kinds.SCOPES[account.forge],
                         redirect_uri=redirect_uri, code_challenge_method="S256" if pkce else None,
                         token_endpoint_auth_method="client_secret_post", timeout=TIMEOUT_SECONDS, **kw)


def authorization_url(account: ForgeAccount, redirect_uri: str) -> tuple[str, str, str | None]:
    """(URL to send the browser to, the `state` to expect back, the PKCE code verifier or None)."""
    verifier = generate_token(64) if forge_kinds.PKCE[account.forge] else None
    url, state = _session(account, redirect_uri).create_authorization_url(
        account.endpoints.authorize, code_verifier=verifier)
    return url, state, verifier


def exchange_code(account: ForgeAccount, redirect_uri: str, code: str, code_verifier: str | None) -> Tokens:
    """The authorization code → tokens (ForgeError with the forge's words when refused)."""
    try:
        token = _session(account, redirect_uri).fetch_token(
            account.endpoints.token, grant_type="authorization_code", code=code, code_verifier=code_verifier)
    except (OAuth2Error, AuthlibBaseError) as exc:
        raise ForgeError(_refusal(account, exc)) from None
    except (requests.RequestException, ValueError) as exc:
        raise ForgeError(_unreachable(account, exc)) from None
    return _tokens(token)


def refresh_tokens(account: ForgeAccount, refresh_token: str) -> Tokens:
    """The refresh grant. NeedsReauthorisation when the forge refuses it (revoked, rotated
    away, the application deleted); ForgeError when it cannot be asked."""
    try:
        token = _session(account).refresh_token(account.endpoints.token, refresh_token=refresh_token)
    except (OAuth2Error, AuthlibBaseError) as exc:
        if getattr(exc, "error", "") in REFUSED_GRANTS:
            raise NeedsReauthorisation(_refusal(account, exc)) from None
        raise ForgeError(_refusal(account, exc)) from None
    except (requests.RequestException, ValueError) as exc:
        raise ForgeError(_unreachable(account, exc)) from None
    return _tokens(token, keep_refresh=refresh_token)


def _tokens(token: dict, keep_refresh: str = "") -> Tokens:
    if not token.get("access_token"):
        raise ForgeError(N_("the forge's token endpoint answered without an access token"))
    expires = token.get("expires_at")
    return Tokens(token["access_token"], token.get("refresh_token") or keep_refresh,
                  dt.datetime.fromtimestamp(int(expires), dt.timezone.utc).replace(tzinfo=None) if expires else None,
                  str(token.get("scope") or "").replace(",", " "))


def _refusal(account, exc):
    words = getattr(exc, "description", None) or getattr(exc, "error", None) or str(exc)
    return N_("{forge} refused: {words}", forge=forge_kinds.LABELS[account.forge], words=str(words)[:300])


def _unreachable(account, exc):
    return N_("{forge} at {url} could not be reached: {error}", forge=forge_kinds.LABELS[account.forge],
              url=account.base_url, error=type(exc).__name__)


def fetch_user(account: ForgeAccount, access_token: str) -> tuple[str, str]:
    """(login, forge user id) of the token's user: GitHub's `login`, GitLab's `username`."""
    response = _call(account, "GET", "/user", access_token)
    if response.status_code != 200:
        raise ForgeError(http_error(account, response))
    body = response.json()
    login = body.get("login") if account.forge == forge_kinds.GITHUB else body.get("username")
    if not login:
        raise ForgeError(N_("{forge}'s user API named no user", forge=forge_kinds.LABELS[account.forge]))
    return str(login), str(body.get("id", ""))


def request(account: ForgeAccount, method: str, path: str, *, now=None, refresh=None, **kw) -> requests.Response:
    """One API call (`path` under the account's API root, e.g. "/user/repos") with its token.
    Returns any response but a 401, which marks the account and raises NeedsReauthorisation."""
    token = forge_tokens.access_token(account, now, refresh=refresh)
    response = _call(account, method, path, token, **kw)
    if response.status_code == 401:
        message = N_("{forge} refused the token of account {account} ({error}): authorise it again",
                     forge=forge_kinds.LABELS[account.forge], account=account.name,
                     error=_error_words(response))
        mark_revoked(account.id, message)
        raise NeedsReauthorisation(message)
    return response


def _call(account, method, path, token, **kw) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", **kw.pop("headers", {})}
    try:
        return requests.request(method, account.endpoints.api + path, headers=headers,
                                timeout=kw.pop("timeout", TIMEOUT_SECONDS), **kw)
    except requests.RequestException as exc:
        raise ForgeError(_unreachable(account, exc)) from None


def _error_words(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    words = body.get("message") or body.get("error_description") or body.get("error") if isinstance(body, dict) \
        else None
    return f"HTTP {response.status_code}: {str(words)[:200]}" if words else f"HTTP {response.status_code}"


error_words = _error_words      # for the other modules that read a forge's refusal (models/forge_repo_api.py)


def http_error(account, response):
    return N_("{forge} answered {error}", forge=forge_kinds.LABELS[account.forge], error=_error_words(response))


def revoke(account: ForgeAccount) -> None:
    """Ask the forge to revoke the account's grant (on deregistering): GitLab's RFC 7009
    /oauth/revoke for the access and refresh tokens, GitHub's DELETE
    /applications/{client_id}/grant. ForgeError when the forge refuses or cannot be reached;
    the account's row may already be gone (its fields are read, not the table)."""
    from models.secrets import unseal
    tokens = [(unseal(sealed), hint) for sealed, hint in ((account.access_token_sealed, "access_token"),
                                                          (account.refresh_token_sealed, "refresh_token")) if sealed]
    try:
        for token, hint in tokens:
            if account.forge == forge_kinds.GITLAB:
                response = _session(account).revoke_token(account.endpoints.revoke, token=token,
                                                          token_type_hint=hint)
            else:
                response = requests.delete(f"{account.endpoints.api}/applications/{account.client_id}/grant",
                                           auth=(account.client_id, account.client_secret),
                                           json={"access_token": token}, timeout=TIMEOUT_SECONDS)
            if response.status_code not in (200, 204):
                raise ForgeError(http_error(account, response))
            if account.forge == forge_kinds.GITHUB:
                break            # the grant covers every token of the application for this user
    except requests.RequestException as exc:
        raise ForgeError(_unreachable(account, exc)) from None
