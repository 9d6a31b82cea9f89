"""Code repository accounts, the model: sealed credentials, visibility, deregistering,
the token refreshed before use and a refused refresh marking the account."""
from __future__ import annotations

import datetime as dt

import pytest

from models import forge_accounts, forge_kinds, forge_tokens, pipelines
from models.errors import InUse, NotFound
from models.forge_accounts import NeedsReauthorisation, State, Tokens
from models.i18n import N_
from models.spec import SpecError, validate
from models.tables import AuditEvent
from tests.conftest import pipeline_spec, script_task, utc

SECRET = "client-secret-0123456789abcdef"
ACCESS = "gho_access_token_abcdef0123456789"
REFRESH = "glrt-refresh-token-9876543210fedcba"


def stored_bytes(home) -> bytes:
    return b"".join(f.read_bytes() for f in home.glob("millrace.db*"))      # the WAL too


def connected(owner="alice", forge="gitlab", login="alice-gl", expires_at=None, base_url=""):
    row = forge_accounts.register(owner, forge, "app-id-1", SECRET, base_url)
    return forge_accounts.store_tokens(row.id, Tokens(ACCESS, REFRESH, expires_at, "api read_user"),
                                       login=login, forge_user_id="7", actor=owner)


def test_credentials_are_sealed_in_the_database_file_and_the_audit_trail(home):
    row = connected()
    assert (row.state, row.login, row.name) == (State.CONNECTED, "alice-gl", "alice-gl@gitlab.com")
    assert row.client_secret == SECRET and forge_tokens.access_token(row) == ACCESS
    data = stored_bytes(home)
    assert b"app-id-1" in data and b"alice-gl" in data
    for plain in (SECRET, ACCESS, REFRESH):
        assert plain.encode() not in data
    assert [e.action for e in AuditEvent.select().where(AuditEvent.object_type == "forgeaccount")] == \
        ["create", "authorise"]
    assert all(SECRET not in e.detail_json and ACCESS not in e.detail_json for e in AuditEvent.select())


@pytest.mark.parametrize("forge,typed,web,api", [
    ("github", "", "https://github.com", "https://api.github.com"),
    ("github", "https://ghe.example.com/", "https://ghe.example.com", "https://ghe.example.com/api/v3"),
    ("github", "https://ghe.example.com/api/v3", "https://ghe.example.com", "https://ghe.example.com/api/v3"),
    ("gitlab", "", "https://gitlab.com", "https://gitlab.com/api/v4"),
    ("gitlab", "http://git.example.com/gitlab", "http://git.example.com/gitlab", "http://git.example.com/gitlab/api/v4"),
])
def test_the_api_url_is_derived_from_the_stored_web_url(home, forge, typed, web, api):
    row = forge_accounts.register("alice", forge, "id", SECRET, typed)
    assert (row.base_url, row.endpoints.api) == (web, api)
    assert row.is_private_instance == bool(typed)


@pytest.mark.parametrize("kw,field", [
    ({"client_id": ""}, "client_id"), ({"client_secret": ""}, "client_secret"),
    ({"client_secret": "abc"}, "client_secret"), ({"base_url": "ftp://x"}, "base_url"),
    ({"base_url": "https://u:p@x.example.com"}, "base_url"), ({"forge": "bitbucket"}, "forge"),
])
def test_bad_registrations_are_refused_on_their_field(home, kw, field):
    args = {"forge": "github", "client_id": "id", "client_secret": SECRET, "base_url": "", **kw}
    with pytest.raises(ValueError) as caught:
        forge_accounts.register("alice", **args)
    assert caught.value.field == field
    assert not forge_accounts.ForgeAccount.select().exists()


def test_only_the_owner_sees_an_account(home):
    mine, theirs = connected("alice"), connected("bob", login="bob-gl")
    assert [a.id for a in forge_accounts.visible("alice")] == [mine.id]
    assert [a.id for a in forge_accounts.visible("bob")] == [theirs.id]
    with pytest.raises(NotFound):
        forge_accounts.get_visible(theirs.id, "alice")
    with pytest.raises(NotFound):
        forge_accounts.deregister(theirs.id, "alice")
    assert forge_accounts.get(theirs.id).state == State.CONNECTED


def test_connecting_the_same_login_again_reauthorises_the_existing_account(home):
    first = connected()
    again = forge_accounts.register("alice", "gitlab", "app-id-2", SECRET + "x")
    kept = forge_accounts.store_tokens(again.id, Tokens("new-access-token-123"), login="alice-gl", actor="alice")
    assert kept.id == first.id and kept.client_id == "app-id-2"
    assert [a.id for a in forge_accounts.visible("alice")] == [first.id]


def test_deregister_is_refused_while_a_pipeline_names_the_account(home):
    row = connected()
    spec = pipeline_spec("uses-it", source={"repository": "https://gitlab.com/a/b.git", "account": row.id},
                         stages=[{"name": "s", "tasks": [script_task("t", "true")]}])
    p = pipelines.create(spec, "alice")
    with pytest.raises(InUse, match="used by 1 pipeline.*uses-it"):
        forge_accounts.deregister(row.id, "alice")
    pipelines.delete(p, "alice")
    forge_accounts.deregister(row.id, "alice")
    assert not forge_accounts.ForgeAccount.select().exists()
    assert AuditEvent.select().where(AuditEvent.action == "delete", AuditEvent.object_type == "forgeaccount").exists()


@pytest.mark.parametrize("value", ["x", 0, -1, True, 1.5, {"id": 1}])
def test_the_source_account_must_be_an_account_number(value):
    spec = pipeline_spec(source={"repository": "r", "account": value}, stages=[{"name": "s", "tasks": [
        script_task("t", "true")]}])
    with pytest.raises(SpecError) as caught:
        validate(spec)
    assert [p for p, _m in caught.value.errors] == ["source.account"]


def test_the_source_account_is_kept_and_absent_when_not_given():
    stages = [{"name": "s", "tasks": [script_task("t", "true")]}]
    assert validate(pipeline_spec(source={"repository": "r", "account": "3"}, stages=stages))["source"] == \
        {"repository": "r", "branch": "main", "account": 3}
    assert "account" not in validate(pipeline_spec(source={"repository": "r"}, stages=stages))["source"]


def test_an_expiring_token_is_refreshed_before_use_and_stored_sealed(home):
    now = utc(2026, 1, 1, 12)
    row = connected(expires_at=now + dt.timedelta(minutes=3))
    asked = []

    def refresh(account, refresh_token):
        asked.append(refresh_token)
        return Tokens("refreshed-access-token-1", "rotated-refresh-token-1", now + dt.timedelta(hours=2))

    assert forge_tokens.access_token(row, now, refresh=refresh) == "refreshed-access-token-1"
    assert forge_tokens.access_token(row, now, refresh=refresh) == "refreshed-access-token-1"
    assert asked == [REFRESH]                    # the second call found a fresh token
    assert b"rotated-refresh-token-1" not in stored_bytes(home)


def test_a_refused_refresh_marks_the_account_with_the_forges_words(home):
    now = utc(2026, 1, 1, 12)
    row = connected(expires_at=now)

    def refused(account, refresh_token):
        raise NeedsReauthorisation(N_("the forge refused the refresh token: {why}", why="invalid_grant"))

    with pytest.raises(NeedsReauthorisation):
        forge_tokens.access_token(row, now, refresh=refused)
    row = forge_accounts.get(row.id)
    assert row.state == State.NEEDS_REAUTHORISATION and "invalid_grant" in row.last_error
    assert not row.access_token_sealed and not row.refresh_token_sealed
    with pytest.raises(NeedsReauthorisation, match="invalid_grant"):
        forge_tokens.access_token(row, now)


def test_a_refresh_another_process_won_is_taken_instead_of_marking_the_account(home):
    now = utc(2026, 1, 1, 12)
    row = connected(expires_at=now)

    def lost_the_race(account, refresh_token):
        # Another process refreshed first (its request consumed the refresh token) and stored its tokens.
        forge_accounts.ForgeAccount.update(**forge_accounts.token_fields(
            Tokens("winner-access-token-1", "winner-refresh-token", now + dt.timedelta(hours=2)))).execute()
        raise NeedsReauthorisation("invalid_grant")

    assert forge_tokens.access_token(row, now, refresh=lost_the_race) == "winner-access-token-1"
    assert forge_accounts.get(row.id).state == State.CONNECTED


def test_public_addresses_can_be_moved_for_a_mirror(monkeypatch):
    monkeypatch.setenv("MILLRACE_GITHUB_URL", "http://127.0.0.1:9/github/")
    assert forge_kinds.normalise_base_url("github", "") == "http://127.0.0.1:9/github"
    assert forge_kinds.endpoints("github", "http://127.0.0.1:9/github").api == "http://127.0.0.1:9/github/api/v3"
