"""Reading GitHub and GitLab webhook deliveries, as pure functions.

Owns three things: checking a delivery's secret (GitHub's HMAC-SHA256 signature of the
raw body, GitLab's shared token, both compared in constant time), turning any form of a
repository URL into one key so a pipeline's URL and a payload's URL match, and reducing a
payload to an `Event` (push / merge / tag / ping / other) with the branch, tag, commit and
delivery id the daemon needs. Nothing here touches the database or the network.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, replace
from typing import Mapping

ZERO_SHA = "0" * 40


@dataclass(frozen=True)
class Event:
    provider: str               # "github" | "gitlab"
    kind: str                   # "push" | "merge" | "tag" | "ping" | "other"
    delivery_id: str
    name: str = ""              # the forge's own event name, shown in delivery lists
    repository: str = ""        # repo_key() of the repository the event is about
    branch: str = ""            # pushed branch, or the target branch of a merge
    tag: str = ""
    sha: str = ""
    note: str = ""              # for kind "other": why it starts nothing


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def verify_github(secret: str | bytes, body: bytes, signature: str | None) -> bool:
    """True if `signature` (X-Hub-Signature-256) is the HMAC-SHA256 of `body` under `secret`."""
    if not secret or not signature or not signature.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(_bytes(secret), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


def verify_gitlab(secret: str | bytes, token: str | None) -> bool:
    """True if `token` (X-Gitlab-Token) equals `secret`, compared in constant time."""
    if not secret or not token:
        return False
    return hmac.compare_digest(_bytes(secret), token.encode())


def verify(provider: str, secret: str | bytes, headers: Mapping[str, str], body: bytes) -> bool:
    """True if the delivery carries `secret`'s signature (GitHub) or token (GitLab)."""
    h = {k.lower(): v for k, v in headers.items()}
    if provider == "github":
        return verify_github(secret, body, h.get("x-hub-signature-256"))
    return verify_gitlab(secret, h.get("x-gitlab-token"))


def repo_key(url: str) -> str:
    """One key for every spelling of a repository URL: 'host/owner/repo', lower case.

    https://, http://, ssh://, git:// and scp-like git@host:owner/repo forms agree; user,
    port (ssh and https often differ), trailing '/' and '.git' are dropped. GitHub and
    GitLab both treat owner and project names case-insensitively, so case is folded too.
    """
    text = url.strip()
    if m := re.fullmatch(r"[a-z][a-z0-9+.-]*://(?:[^@/]*@)?([^/:]+)(?::\d*)?(/.*)?", text, re.I):
        host, path = m[1], m[2] or ""
    elif m := re.fullmatch(r"(?:[^@/]+@)?([^/:]+):(.*)", text):
        host, path = m[1], m[2]
    else:
        host, _, path = text.partition("/")
    path = path.strip("/")
    if path.lower().endswith(".git"):
        path = path[:-4]
    return f"{host}/{path}".lower().rstrip("/")


def delivery_id(provider: str, headers: Mapping[str, str], body: bytes) -> str:
    """The forge's id for this delivery; without one, a hash of the body (so replays match)."""
    h = {k.lower(): v for k, v in headers.items()}
    if provider == "github":
        found = h.get("x-github-delivery")
    else:
        found = h.get("idempotency-key") or h.get("x-gitlab-event-uuid")
    return (found or "").strip() or "sha256:" + hashlib.sha256(body).hexdigest()


def load_json(body: bytes) -> dict:
    """The payload as a dict; ValueError (answered 400) for anything else."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"body is not valid JSON: {err}") from None
    if not isinstance(payload, dict):
        raise ValueError("body is JSON but not an object")
    return payload


def _ref(ref: str) -> tuple[str, str]:
    """(branch, tag) named by a git ref."""
    if ref.startswith("refs/heads/"):
        return ref[len("refs/heads/"):], ""
    if ref.startswith("refs/tags/"):
        return "", ref[len("refs/tags/"):]
    return "", ""


def parse_github(headers: Mapping[str, str], body: bytes) -> Event:
    h = {k.lower(): v for k, v in headers.items()}
    name = h.get("x-github-event", "").strip()
    payload = load_json(body)
    repo = payload.get("repository") or {}
    base = Event("github", "other", delivery_id("github", headers, body), name,
                 repo_key(repo.get("html_url") or repo.get("clone_url") or "") if repo else "",
                 note=f"'{name or 'unnamed'}' events start no runs")
    if name == "ping":
        return replace(base, kind="ping")
    if name == "push":
        branch, tag = _ref(payload.get("ref", ""))
        sha = payload.get("after") or ""
        if payload.get("deleted") or sha == ZERO_SHA or not (branch or tag):
            return replace(base, note=f"{payload.get('ref', 'ref')} was deleted or is not a branch or tag")
        if tag:
            # For an annotated tag `after` names the tag object; head_commit is the commit.
            sha = (payload.get("head_commit") or {}).get("id") or sha
        return replace(base, kind="tag" if tag else "push", branch=branch, tag=tag, sha=sha)
    if name == "pull_request":
        pr = payload.get("pull_request") or {}
        if payload.get("action") == "closed" and pr.get("merged"):
            return replace(base, kind="merge", branch=(pr.get("base") or {}).get("ref", ""),
                            sha=pr.get("merge_commit_sha") or "")
        return replace(base, note=f"pull request {payload.get('action', '')}, not merged")
    return base


def parse_gitlab(headers: Mapping[str, str], body: bytes) -> Event:
    h = {k.lower(): v for k, v in headers.items()}
    name = h.get("x-gitlab-event", "").strip()
    payload = load_json(body)
    project = payload.get("project") or payload.get("repository") or {}
    url = project.get("web_url") or project.get("git_http_url") or project.get("homepage") or ""
    base = Event("gitlab", "other", delivery_id("gitlab", headers, body), name,
                 repo_key(url) if url else "", note=f"'{name or 'unnamed'}' events start no runs")
    if name in ("Push Hook", "Tag Push Hook"):
        branch, tag = _ref(payload.get("ref", ""))
        sha = payload.get("checkout_sha") or ""
        if not sha or payload.get("after") == ZERO_SHA or not (branch or tag):
            # Deletion: GitLab sends checkout_sha null.
            return replace(base, note=f"{payload.get('ref', 'ref')} was deleted or is not a branch or tag")
        return replace(base, kind="tag" if tag else "push", branch=branch, tag=tag, sha=sha)
    if name == "Merge Request Hook":
        attrs = payload.get("object_attributes") or {}
        if attrs.get("action") == "merge":
            # merge_commit_sha is null for fast-forward merges; the MR's last commit is
            # then exactly what the target branch points to.
            sha = attrs.get("merge_commit_sha") or (attrs.get("last_commit") or {}).get("id", "")
            return replace(base, kind="merge", branch=attrs.get("target_branch", ""), sha=sha)
        return replace(base, note=f"merge request {attrs.get('action', '')}, not merged")
    return base


def parse(provider: str, headers: Mapping[str, str], body: bytes) -> Event:
    """The event in a delivery from `provider` ('github' or 'gitlab')."""
    return (parse_github if provider == "github" else parse_gitlab)(headers, body)
