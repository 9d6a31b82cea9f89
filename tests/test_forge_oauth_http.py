"""Connecting code repository accounts over HTTP: the dashboard's OAuth routes (Flask's test
client on the real app, real SQLite) against the fake forge over real HTTP — success on
GitHub and on a private GitLab, a wrong state, a denied consent, a GitLab token refreshed
before use, and a revoked token marking the account with its message."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from models import account_settings, forge_accounts, forge_client, forge_tokens
from models.forge_accounts import NeedsReauthorisation, State
from models.tables import AuditEvent
from tests.auth_helpers import signed_in
from tests.fakeforge.fixture import forge  # noqa: F401

BASE = "http://localhost/ci"        # the configured base URL: callbacks are built from it


@pytest.fixture
def client(home):
    from dashboard.app import create_app
    app = create_app(home)
    account_settings.set_value("base_url", BASE, "tests")
    return signed_in(app.server.test_client())


def start(client, instance, private=False):
    """Register the fake forge's OAuth app as a user would and start the flow: (account, forge URL)."""
    app = instance.register_app(f"{BASE}/repository/{instance.kind}/redirect")
    account = forge_accounts.register("tester", instance.kind, app.client_id, app.client_secret,
                                      instance.url if private else "")
    answer = client.get(f"/repository/{instance.kind}/start/{account.id}")
    assert answer.status_code == 303
    return account, answer.headers["Location"]


def consent(url, decision="approve") -> str:
    """The browser on the forge: the consent page, a button, and where the forge sends it back."""
    assert 'id="approve"' in requests.get(url, timeout=10).text
    answer = requests.post(url, data={"decision": decision}, allow_redirects=False, timeout=10)
    return answer.headers["Location"]


def come_back(client, location):
    parts = urlsplit(location)
    assert location.startswith(BASE + "/repository/")            # the configured base, not the request's Host
    answer = client.get(parts.path[len("/ci"):] + "?" + parts.query)
    assert answer.status_code == 303
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def rendered_page(client, **query) -> str:
    """The Code repositories page's layout as the tester sees it, as text (what Dash sends)."""
    import json
    from dashboard.pages import repositories
    from models.permissions import principal_of
    from models.account_tables import User
    from tests.auth_helpers import request_as
    with request_as(client.application, principal=principal_of(User.get(User.username == "tester"))):
        return json.dumps(repositories.layout(**query).to_plotly_json(), default=lambda o: o.to_plotly_json())


@pytest.mark.parametrize("which,private", [("github", False), ("private_gitlab", True)])
def test_connecting_names_the_account_and_seals_its_tokens(home, client, forge, which, private):  # noqa: F811
    instance = getattr(forge, which)
    instance.sign_in("octocat")
    account, url = start(client, instance, private)
    query = parse_qs(urlsplit(url).query)
    assert query["redirect_uri"] == [f"{BASE}/repository/{instance.kind}/redirect"]
    assert ("code_challenge" in query) == (instance.kind == "gitlab")
    assert query["scope"][0] == ("repo admin:repo_hook" if instance.kind == "github" else "api read_user")
    back = come_back(client, consent(url))
    assert back == {"tab": instance.kind, "notice": "connected", "account": str(account.id)}
    row = forge_accounts.get(account.id)
    assert (row.state, row.login, row.base_url) == (State.CONNECTED, "octocat", instance.url)
    token = instance.live_tokens()[-1].access_token
    assert forge_tokens.access_token(row) == token
    stored = b"".join(f.read_bytes() for f in home.glob("millrace.db*"))
    assert token.encode() not in stored and row.client_secret.encode() not in stored
    shown = rendered_page(client, tab=instance.kind, notice="connected", account=str(account.id))
    assert "octocat" in shown and "is connected" in shown and "connected" in shown
    assert token not in shown and row.client_secret not in shown


def test_a_wrong_or_replayed_state_stores_nothing(client, forge):  # noqa: F811
    forge.github.sign_in("octocat")
    account, url = start(client, forge.github)
    location = consent(url)
    forged = location.replace("state=", "state=x")
    assert come_back(client, forged)["notice"] == "state"
    assert forge_accounts.get(account.id).state == State.PENDING and not forge.github.store.tokens
    assert come_back(client, location.replace("state=", "nostate="))["notice"] == "state"     # none at all
    assert come_back(client, location)["notice"] == "connected"     # the genuine answer still goes through
    assert come_back(client, location)["notice"] == "state"         # once: a replayed answer is refused
    assert len(forge.github.store.tokens) == 1


def test_a_denied_consent_is_said_on_the_page(client, forge):  # noqa: F811
    forge.gitlab.sign_in("octocat")
    account, url = start(client, forge.gitlab)
    back = come_back(client, consent(url, "deny"))
    assert back["notice"] == "denied"
    row = forge_accounts.get(account.id)
    assert row.state == State.PENDING and "denied" in row.last_error
    assert AuditEvent.select().where(AuditEvent.action == "authorise_failed").exists()


def test_a_token_endpoint_refusal_keeps_the_forges_words(client, forge):  # noqa: F811
    forge.github.sign_in("octocat")
    account, url = start(client, forge.github)
    forge.github.store.apps[account.client_id].client_secret = "changed-on-the-forge-0123456789"
    assert come_back(client, consent(url))["notice"] == "failed"
    assert "GitHub refused" in forge_accounts.get(account.id).last_error


def test_gitlab_tokens_are_refreshed_before_use_and_a_revoked_one_needs_reauthorisation(client, forge):  # noqa: F811
    instance = forge.gitlab
    instance.sign_in("octocat")
    account, url = start(client, instance)
    come_back(client, consent(url))
    first = forge_tokens.access_token(account)
    instance.expire_tokens()
    # The stored expiry is what the product goes by: make it due, as two hours later.
    forge_accounts.ForgeAccount.update(token_expires_at=forge_accounts.utcnow()).execute()
    assert forge_client.request(account, "GET", "/user").json()["username"] == "octocat"
    refreshed = forge_tokens.access_token(account)
    assert refreshed != first and [t["grant_type"] for t in instance.token_requests] == \
        ["authorization_code", "refresh_token"]
    instance.revoke_tokens()
    with pytest.raises(NeedsReauthorisation, match="refused the token"):
        forge_client.request(account, "GET", "/user")
    row = forge_accounts.get(account.id)
    assert row.state == State.NEEDS_REAUTHORISATION and "401 Unauthorized" in row.last_error
    shown = rendered_page(client, tab="gitlab")
    assert "needs re-authorisation" in shown and "Re-authorise" in shown and "401 Unauthorized" in shown
    assert f"/repository/gitlab/start/{account.id}" in shown and row.client_secret not in shown
    # Re-authorising runs the flow again on the same row.
    answer = client.get(f"/repository/gitlab/start/{account.id}")
    assert come_back(client, consent(answer.headers["Location"]))["notice"] == "connected"
    assert forge_accounts.get(account.id).state == State.CONNECTED


def test_another_users_account_cannot_be_started(client, forge):  # noqa: F811
    app = forge.github.register_app(f"{BASE}/repository/github/redirect")
    theirs = forge_accounts.register("someone-else", "github", app.client_id, app.client_secret)
    answer = client.get(f"/repository/github/start/{theirs.id}")
    assert "notice=missing" in answer.headers["Location"]
