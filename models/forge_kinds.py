"""The two forges Millrace connects to, and every address derived from a base URL.

A repository account stores only the forge's *web* base URL (what a user types for a
private instance: `https://github.example.com`, `https://git.example.com/gitlab`); this
module is the one place the OAuth and API addresses are derived from it:

| forge  | API                                   | authorize / token                           |
|--------|---------------------------------------|---------------------------------------------|
| github | https://api.github.com (github.com),  | <web>/login/oauth/authorize, …/access_token |
|        | else <web>/api/v3 (GitHub Enterprise) |                                             |
| gitlab | <web>/api/v4 (GitLab ≥ 9.0)           | <web>/oauth/authorize, <web>/oauth/token    |

The public forges' addresses can be moved with `MILLRACE_GITHUB_URL` / `MILLRACE_GITLAB_URL`
(a mirror, or the test suite's fake forge); a public address moved that way is treated like
a private instance's (its API under /api/v3 or /api/v4).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from models.errors import on_field
from models.i18n import N_

GITHUB, GITLAB = "github", "gitlab"
FORGES = (GITHUB, GITLAB)
LABELS = {GITHUB: "GitHub", GITLAB: "GitLab"}
PUBLIC = {GITHUB: "https://github.com", GITLAB: "https://gitlab.com"}
ENV = {GITHUB: "MILLRACE_GITHUB_URL", GITLAB: "MILLRACE_GITLAB_URL"}
# What Millrace asks for: GitLab's `api` covers hooks and statuses, `read_user` the user API;
# GitHub's `repo` covers private repositories and statuses, `admin:repo_hook` managed webhooks.
SCOPES = {GITHUB: "repo admin:repo_hook", GITLAB: "api read_user"}
# GitHub's OAuth apps do not support PKCE for every installation (GHE before 3.x); GitLab does.
PKCE = {GITHUB: False, GITLAB: True}


@dataclass(frozen=True)
class Endpoints:
    web: str            # the base URL the user sees (no trailing '/')
    api: str            # REST API root (no trailing '/')
    authorize: str
    token: str
    revoke: str         # '' where the forge has no OAuth revocation endpoint for the app itself


def check_forge(forge: str) -> str:
    if forge not in FORGES:
        raise on_field(ValueError(N_("unknown forge '{forge}' (known: github, gitlab)", forge=str(forge)[:40])),
                       "forge")
    return forge


def public_url(forge: str) -> str:
    return (os.environ.get(ENV[check_forge(forge)]) or PUBLIC[forge]).rstrip("/")


def normalise_base_url(forge: str, url: str | None) -> str:
    """The web base URL to store: the public forge's for '' or None, else the private
    instance's, checked (http(s), a host, no query) and without a trailing '/' nor an API
    suffix a user may have pasted (`/api/v3`, `/api/v4`)."""
    text = (url or "").strip().rstrip("/")
    if not text:
        return public_url(forge)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
            or parts.username or parts.password:
        raise on_field(ValueError(N_("the private instance URL must be an http:// or https:// address such as "
                                     "https://git.example.com, not '{value}'", value=text[:80])), "base_url")
    for suffix in ("/api/v3", "/api/v4"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    return text


def is_public(forge: str, base_url: str) -> bool:
    return base_url.rstrip("/") == PUBLIC[forge]


def endpoints(forge: str, base_url: str) -> Endpoints:
    web = base_url.rstrip("/")
    if check_forge(forge) == GITHUB:
        api = "https://api.github.com" if is_public(forge, web) else f"{web}/api/v3"
        # GitHub revokes a user's grant through the API (DELETE /applications/{client_id}/grant).
        return Endpoints(web, api, f"{web}/login/oauth/authorize", f"{web}/login/oauth/access_token", "")
    return Endpoints(web, f"{web}/api/v4", f"{web}/oauth/authorize", f"{web}/oauth/token", f"{web}/oauth/revoke")


def callback_path(forge: str) -> str:
    """The path of the authorization callback, under the dashboard's base URL (PRODUCT.md §6)."""
    return f"/repository/{check_forge(forge)}/redirect"
