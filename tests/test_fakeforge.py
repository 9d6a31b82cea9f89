"""The fake forge itself, driven by the product's OAuth client (models/forge_client.py) and
plain HTTP: a real authorization-code flow (state, PKCE), refresh rotation, revocation,
paging, hooks and statuses, at a public-like and a private-instance path."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from models import forge_accounts, forge_client
from models.forge_accounts import NeedsReauthorisation
from tests.fakeforge.fixture import forge  # noqa: F401

REDIRECT = "http://127.0.0.1:1/repository/{}/redirect"


def consent(url: str, decision: str = "approve") -> dict:
    """What a browser does on the forge: open the consent page, click a button, follow the
    redirect back to the callback (not served here): the callback's query."""
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and 'id="approve"' in page.text
    answer = requests.post(url, data={"decision": decision}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def connect(instance, home_owner="alice", login="octo"):
    app = instance.register_app(REDIRECT.format(instance.kind))
    instance.sign_in(login)
    account = forge_accounts.register(home_owner, instance.kind, app.client_id, app.client_secret, instance.url)
    url, state, verifier = forge_client.authorization_url(account, app.redirect_uri)
    back = consent(url)
    assert back["state"] == state
    tokens = forge_client.exchange_code(account, app.redirect_uri, back["code"], verifier)
    return account, tokens


@pytest.mark.parametrize("which", ["github", "private_gitlab"])
def test_the_authorization_code_flow_names_the_user(home, forge, which):  # noqa: F811
    instance = getattr(forge, which)
    account, tokens = connect(instance)
    assert forge_client.fetch_user(account, tokens.access_token)[0] == "octo"
    sent = instance.token_requests[-1]
    assert ("code_verifier" in sent) == (instance.kind == "gitlab")
    assert (tokens.expires_at is None, bool(tokens.refresh_token)) == (
        (True, False) if instance.kind == "github" else (False, True))


def test_pkce_is_enforced_and_codes_are_single_use(home, forge):  # noqa: F811
    instance = forge.private_gitlab
    app = instance.register_app(REDIRECT.format("gitlab"))
    instance.sign_in("octo")
    account = forge_accounts.register("alice", "gitlab", app.client_id, app.client_secret, instance.url)
    url, state, verifier = forge_client.authorization_url(account, app.redirect_uri)
    code = consent(url)["code"]
    with pytest.raises(forge_client.ForgeError, match="refused"):
        forge_client.exchange_code(account, app.redirect_uri, code, "wrong-verifier-" + "x" * 40)
    url, state, verifier = forge_client.authorization_url(account, app.redirect_uri)
    code = consent(url)["code"]
    forge_client.exchange_code(account, app.redirect_uri, code, verifier)
    with pytest.raises(forge_client.ForgeError, match="invalid_grant|refused"):
        forge_client.exchange_code(account, app.redirect_uri, code, verifier)


def test_denying_consent_redirects_with_access_denied(home, forge):  # noqa: F811
    instance = forge.github
    app = instance.register_app(REDIRECT.format("github"))
    instance.sign_in("octo")
    account = forge_accounts.register("alice", "github", app.client_id, app.client_secret, instance.url)
    url, state, _ = forge_client.authorization_url(account, app.redirect_uri)
    back = consent(url, "deny")
    assert (back["error"], back["state"], "code" in back) == ("access_denied", state, False)


def test_refresh_rotates_and_revocation_refuses(home, forge):  # noqa: F811
    instance = forge.gitlab
    account, tokens = connect(instance)
    fresh = forge_client.refresh_tokens(account, tokens.refresh_token)
    assert fresh.refresh_token != tokens.refresh_token and fresh.access_token != tokens.access_token
    with pytest.raises(NeedsReauthorisation, match="GitLab refused"):
        forge_client.refresh_tokens(account, tokens.refresh_token)          # rotated away
    instance.revoke_tokens()
    with pytest.raises(NeedsReauthorisation):
        forge_client.refresh_tokens(account, fresh.refresh_token)


def api(instance, token, path, method="GET", **kw):
    root = instance.url + ("/api/v3" if instance.kind == "github" else "/api/v4")
    return requests.request(method, root + path, headers={"Authorization": f"Bearer {token}"}, timeout=10, **kw)


def test_github_pages_with_link_headers_and_records_hooks_and_statuses(home, forge):  # noqa: F811
    instance = forge.github
    _, tokens = connect(instance)
    instance.add_repos("octo", [f"repo-{i:03}" for i in range(250)], branches=("main", "dev"))
    first = api(instance, tokens.access_token, "/user/repos?per_page=100")
    assert len(first.json()) == 100 and 'rel="next"' in first.headers["Link"]
    last = requests.get(first.links["last"]["url"], headers={"Authorization": f"token {tokens.access_token}"},
                        timeout=10)
    assert len(last.json()) == 50 and "next" not in last.links
    found = api(instance, tokens.access_token, "/search/repositories?q=repo-24+user:octo").json()
    assert found["total_count"] == 10
    assert [b["name"] for b in api(instance, tokens.access_token, "/repos/octo/repo-001/branches").json()] == \
        ["dev", "main"]
    assert api(instance, tokens.access_token, "/repos/octo/repo-001/branches/dev").json()["name"] == "dev"
    assert api(instance, tokens.access_token, "/repos/octo/repo-001/branches/nope").status_code == 404
    hook = api(instance, tokens.access_token, "/repos/octo/repo-001/hooks", "POST",
               json={"config": {"url": "http://ci/hooks/github", "secret": "s3cret-value"}, "events": ["push"]})
    assert hook.status_code == 201 and instance.hook_secrets[hook.json()["id"]] == "s3cret-value"
    assert "s3cret" not in hook.text
    sha = instance.store.repo("octo/repo-001").branches["main"]
    api(instance, tokens.access_token, f"/repos/octo/repo-001/statuses/{sha}", "POST",
        json={"state": "pending", "target_url": "http://ci/run/1", "context": "millrace/p"})
    assert [s["state"] for s in instance.store.statuses[sha]] == ["pending"]
    assert api(instance, tokens.access_token, f"/repos/octo/repo-001/hooks/{hook.json()['id']}",
               "DELETE").status_code == 204
    assert instance.store.hooks["octo/repo-001"] == []
    instance.revoke_tokens()
    assert api(instance, tokens.access_token, "/user").status_code == 401


def test_gitlab_pages_with_next_page_headers_at_a_private_path(home, forge):  # noqa: F811
    instance = forge.private_gitlab
    _, tokens = connect(instance)
    instance.add_repos("octo", [f"proj-{i}" for i in range(45)])
    page = api(instance, tokens.access_token, "/projects?membership=true&per_page=20&page=3")
    assert (len(page.json()), page.headers["X-Next-Page"], page.headers["X-Total"]) == (5, "", "45")
    assert api(instance, tokens.access_token, "/projects?search=proj-4").headers["X-Total"] == "6"
    one = api(instance, tokens.access_token, "/projects/octo%2Fproj-1").json()
    assert one["http_url_to_repo"] == f"{instance.url}/octo/proj-1.git"
    hook = api(instance, tokens.access_token, "/projects/octo%2Fproj-1/hooks", "POST",
               json={"url": "http://ci/hooks/gitlab", "token": "t0ken-value", "push_events": True})
    assert hook.status_code == 201
    assert [h["url"] for h in api(instance, tokens.access_token, "/projects/octo%2Fproj-1/hooks").json()] == \
        ["http://ci/hooks/gitlab"]
    instance.expire_tokens()
    assert api(instance, tokens.access_token, "/user").status_code == 401


@pytest.mark.parametrize("which", ["github", "gitlab"])
def test_revoking_on_deregister_ends_the_tokens_on_the_forge(home, forge, which):  # noqa: F811
    instance = getattr(forge, which)
    account, tokens = connect(instance)
    row = forge_accounts.store_tokens(account.id, tokens, login="octo", actor="alice")
    assert instance.live_tokens()
    forge_client.revoke(forge_accounts.deregister(row.id, "alice"))
    assert not instance.live_tokens()
    assert api(instance, tokens.access_token, "/user").status_code == 401
