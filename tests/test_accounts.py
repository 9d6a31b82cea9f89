"""Users, sessions and tokens on a real SQLite database (migrations/0010_accounts.py)."""
from __future__ import annotations

import datetime as dt
import re
import os
import stat

import pytest

from models import account_settings, accounts, api_tokens, login_sessions, projects
from models.account_tables import ApiToken, LoginSession, User
from models.db import utcnow
from models.errors import Conflict, NotFound
from models.tables import AuditEvent, Pipeline

PASSWORD = "correct horse battery"


def test_the_first_start_makes_one_administrator_and_writes_its_password_owner_only(home):
    password = accounts.ensure_first_admin(home)
    path = home / accounts.INITIAL_PASSWORD_FILE
    assert password and path.read_text().strip() == password
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    admin = accounts.authenticate("admin", password)
    assert admin is not None and admin.is_admin and admin.must_change_password
    assert accounts.ensure_first_admin(home) is None           # once only
    assert User.select().count() == 1
    assert password not in User.get().password_hash and User.get().password_hash.startswith("$argon2id$")


def test_changing_the_first_password_removes_the_file_and_the_forced_change(home):
    password = accounts.ensure_first_admin(home)
    admin = accounts.get("admin")
    with pytest.raises(ValueError, match="current password is not right"):
        accounts.change_password(admin, "wrong", PASSWORD)
    with pytest.raises(ValueError, match="at least 10 characters"):
        accounts.change_password(admin, password, "short")
    accounts.change_password(admin, password, PASSWORD)
    assert not (home / accounts.INITIAL_PASSWORD_FILE).exists()
    assert accounts.authenticate("admin", password) is None
    assert not accounts.authenticate("admin", PASSWORD).must_change_password


def test_wrong_names_passwords_and_disabled_users_are_refused_alike(home):
    accounts.create("alice", PASSWORD, "tester")
    accounts.create("root2", PASSWORD, "tester", is_admin=True)
    assert accounts.authenticate("alice", PASSWORD).username == "alice"
    assert accounts.authenticate("alice", PASSWORD + "x") is None
    assert accounts.authenticate("nobody", PASSWORD) is None
    accounts.set_active("alice", False, "root2")
    assert accounts.authenticate("alice", PASSWORD) is None
    with pytest.raises(Conflict, match="last active administrator"):
        accounts.set_active("root2", False, "root2")
    with pytest.raises(Conflict, match="already exists"):
        accounts.create("alice", PASSWORD, "tester")
    with pytest.raises(ValueError, match="username"):
        accounts.create("bad name", PASSWORD, "tester")
    with pytest.raises(NotFound):
        accounts.get("nobody")
    actions = [(e.actor, e.action, e.object_name) for e in AuditEvent.select().where(AuditEvent.object_type == "user")]
    assert ("root2", "disable", "alice") in actions


def test_a_session_ends_on_logout_idle_expiry_password_reset_and_disable(home):
    user = accounts.create("bob", PASSWORD, "tester", must_change=False)
    now = utcnow()
    token = login_sessions.start(user, "127.0.0.1", "test", now=now)
    assert login_sessions.resolve(token, now=now)[0].username == "bob"
    assert LoginSession.get().token_hash != token and token not in LoginSession.get().token_hash
    idle = int(account_settings.get("session_idle_minutes"))
    assert login_sessions.resolve(token, now=now + dt.timedelta(minutes=idle + 1)) == (None, None)
    assert LoginSession.get().end_reason == "idle"

    token = login_sessions.start(user, now=now)
    for hours in range(0, 24 * 7, 4):            # used every 4 hours: only the absolute lifetime ends it
        found, _ = login_sessions.resolve(token, now=now + dt.timedelta(hours=hours))
        assert found is not None, hours
    assert login_sessions.resolve(token, now=now + dt.timedelta(hours=24 * 7 + 1)) == (None, None)

    first, second = login_sessions.start(user), login_sessions.start(user)
    login_sessions.end(first)
    assert login_sessions.resolve(first)[0] is None and login_sessions.resolve(second)[0] is not None
    accounts.reset_password("bob", "tester")
    assert login_sessions.resolve(second)[0] is None
    third = login_sessions.start(user)
    accounts.create("boss", PASSWORD, "tester", is_admin=True)
    accounts.set_active("bob", False, "boss")
    assert login_sessions.resolve(third)[0] is None


def test_tokens_are_shown_once_stored_hashed_scoped_expiring_and_revocable(home):
    user = accounts.create("carol", PASSWORD, "tester", must_change=False)
    row, value = api_tokens.create(user, "deploy script", ["run"], expires_days=30)
    assert value.startswith("mrt_") and value not in ApiToken.get().token_hash and row.prefix == value[:10]
    found, token = api_tokens.authenticate(value)
    assert found.username == "carol" and api_tokens.implied(token.scope_set) == {"run", "read"}
    assert api_tokens.authenticate(value, now=utcnow() + dt.timedelta(days=31)) == (None, None)
    assert api_tokens.authenticate(value + "x") == (None, None)
    with pytest.raises(ValueError, match="admin scope"):
        api_tokens.create(user, "too much", ["admin"])
    with pytest.raises(ValueError, match="scopes"):
        api_tokens.create(user, "none", [])
    with pytest.raises(Conflict):
        api_tokens.create(user, "deploy script", ["read"])
    api_tokens.revoke(user, "deploy script", "carol")
    assert api_tokens.authenticate(value) == (None, None)
    _, other = api_tokens.create(user, "reader", ["read"])
    accounts.create("dan", PASSWORD, "tester", is_admin=True)
    accounts.set_active("carol", False, "dan")
    assert api_tokens.authenticate(other) == (None, None)


def test_everything_made_before_belongs_to_the_default_project(home):
    assert [p.name for p in projects.all_projects()] == ["default"]
    assert Pipeline._meta.fields["project"].default == "default"
    from models.clusters import Cluster
    assert "project" in {c.name for c in Cluster._meta.database.get_columns("cluster")}
    projects.create("web", "tester")
    accounts.create("erin", PASSWORD, "tester")
    projects.set_role("web", "erin", "member", "tester")
    assert projects.roles_of(accounts.get("erin")) == {"web": "member"}
    projects.set_role("web", "erin", "project_admin", "tester")
    assert projects.members("web") == [("erin", "project_admin")]
    projects.set_role("web", "erin", None, "tester")
    assert projects.roles_of(accounts.get("erin")) == {}
    with pytest.raises(ValueError, match="role"):
        projects.set_role("web", "erin", "owner", "tester")


def test_account_settings_are_checked(home):
    with pytest.raises(ValueError, match="session_idle_minutes must be a whole number from 5"):
        account_settings.set_value("session_idle_minutes", "1", "tester")
    with pytest.raises(ValueError, match="base_url"):
        account_settings.set_value("base_url", "ftp://x", "tester")
    account_settings.set_value("base_url", "https://ci.example.com/", "tester")
    assert account_settings.get("base_url") == "https://ci.example.com"
    assert "ci.example.com" in account_settings.allowed_hosts()
    with pytest.raises(ValueError, match="not a host name"):
        account_settings.set_value("allowed_hosts", "good.example, bad host", "tester")


def test_the_pipeline_quota_refuses_one_more_by_create_copy_and_apply(home):
    from models import pipelines
    from tests.conftest import pipeline_spec as spec, script_task

    def pipeline_spec(name, **extra):
        return spec(name, stages=[{"name": "S", "tasks": [script_task("t", "true")]}], **extra)
    account_settings.set_value("pipeline_quota", "2", "tester")
    first = pipelines.create(pipeline_spec("one"), "tester")
    pipelines.create(pipeline_spec("two"), "tester")
    message = "pipeline quota reached (2 of 2); ask an administrator to raise it"
    with pytest.raises(pipelines.QuotaReached, match=re.escape(message)):
        pipelines.create(pipeline_spec("three"), "tester")
    with pytest.raises(pipelines.QuotaReached):
        pipelines.copy(first, "one-copy", "tester")
    with pytest.raises(pipelines.QuotaReached):
        pipelines.apply(pipeline_spec("three"), "tester")
    pipelines.apply(pipeline_spec("two", description="changed"), "tester")       # an update is not one more
    pipelines.delete(first, "tester")
    pipelines.create(pipeline_spec("three"), "tester")                         # a deleted one frees its place
    account_settings.set_value("pipeline_quota", "0", "tester")
    pipelines.create(pipeline_spec("four"), "tester")
