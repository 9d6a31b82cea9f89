"""The access tokens and projects pages over the real app and a real SQLite home: a token is
shown once and is each user's own (another user neither sees nor revokes it), the forms'
errors are clear, and the projects page's callbacks are administrators' (a member's post is
refused with 403 and audited) doing what `run.py project …` does."""
from __future__ import annotations

import json

import pytest

from models import accounts, api_tokens, pipelines, projects
from models.errors import NotFound
from models.permissions import principal_of
from models.tables import AuditEvent
from tests.auth_helpers import request_as
from tests.conftest import pipeline_spec, script_task
from tests.test_auth_http import ORIGIN, app, client, sign_in  # noqa: F401  (fixtures)


def shown(component) -> str:
    return json.dumps(component.to_plotly_json() if hasattr(component, "to_plotly_json") else component,
                      default=lambda o: o.to_plotly_json())


def as_user(app, name):
    return request_as(app.server, principal=principal_of(accounts.get(name)))


def test_a_token_made_on_the_page_is_shown_once_and_authenticates(app):
    from dashboard.pages import tokens
    with as_user(app, "mia"):
        feedback, table, name_left = tokens.create(1, "deploy script", ["run"], "30")
        value = feedback.children[2].children
        assert value.startswith(api_tokens.PREFIX) and "shown only this once" in shown(feedback) and name_left == ""
        assert value not in shown(table) and value not in shown(tokens.table()) and value not in shown(tokens.layout())
        assert "deploy script" in shown(table) and "read, run" in shown(table)
    user, row = api_tokens.authenticate(value)
    assert user.username == "mia" and row.expires_at is not None
    assert [e.actor for e in AuditEvent.select().where(AuditEvent.action == "create token")] == ["mia"]


@pytest.mark.parametrize("name, scopes, expiry, words", [
    ("", ["read"], "", "give it a name"), ("ci", [], "", "token scopes"), ("ci", ["read"], "soon", "whole number"),
    ("ci", ["read"], "0", "from 1 to"), ("ci", ["admin"], "", "only administrators")])
def test_the_token_form_says_what_is_wrong(app, name, scopes, expiry, words):
    from dashboard.pages import tokens
    with as_user(app, "mia"):
        feedback, table, _name = tokens.create(1, name, scopes, expiry)
    assert words in shown(feedback) and "error-alert" in shown(feedback)
    assert api_tokens.ApiToken.select().count() == 0


def test_a_duplicate_token_name_is_refused_and_only_administrators_are_offered_admin(app):
    from dashboard.pages import tokens
    with as_user(app, "mia"):
        tokens.create(1, "ci", ["read"], "")
        assert "already have a token named 'ci'" in shown(tokens.create(1, "ci", ["read"], "")[0])
        assert '"value": "admin"' not in shown(tokens.layout())
    with as_user(app, "root"):
        assert '"value": "admin"' in shown(tokens.layout())


def test_one_user_can_neither_see_nor_revoke_anothers_token(app):
    from dashboard import token_intents
    from dashboard.pages import tokens
    row, value = api_tokens.create(accounts.get("root"), "root's script", ["read"])
    with as_user(app, "mia"):
        assert "root's script" not in shown(tokens.table())
        for step in (token_intents.describe, token_intents.perform):
            with pytest.raises(NotFound):
                step({"action": "revoke", "token": row.id})
    assert api_tokens.authenticate(value)[0].username == "root"
    with as_user(app, "root"):
        assert "Revoke" in token_intents.describe({"action": "revoke", "token": row.id})["confirm"]
        assert "Revoked token" in token_intents.perform({"action": "revoke", "token": row.id})[0]
        assert "revoked" in shown(tokens.table())
    assert api_tokens.authenticate(value) == (None, None)
    assert [e.actor for e in AuditEvent.select().where(AuditEvent.action == "revoke token")] == ["root"]


def test_a_member_cannot_post_the_projects_callbacks_and_is_audited(app, client):
    sign_in(client, "mia")
    posted = 0
    for output, entry in app.callback_map.items():
        if entry.get("callback") is not None and entry["callback"].__module__ == "dashboard.pages.projects":
            answer = client.post("/_dash-update-component", json={"output": output}, headers=ORIGIN,
                                 base_url="http://127.0.0.1")
            assert answer.status_code == 403 and "administrators" in answer.get_json()["error"], output
            posted += 1
    assert posted == 3
    refused = AuditEvent.select().where((AuditEvent.action == "refused") & (AuditEvent.actor == "mia")).count()
    assert refused == posted and [p.name for p in projects.all_projects()] == ["default"]


def test_the_projects_page_creates_sets_roles_and_removes_only_empty_ones(app):
    from dashboard.pages import projects as page
    with as_user(app, "root"):
        feedback, table, _name, options = page.add(1, "alpha", "the alpha team")
        assert "alpha" in shown(table) and {"label": "alpha", "value": "alpha"} in options
        assert "already exists" in shown(page.add(1, "alpha", "")[0])
        assert "project name" in shown(page.add(1, "bad name!", "")[0])
        feedback, table = page.set_role(1, "alpha", "mia", "project_admin")
        assert "mia (project administrator)" in shown(table)
        assert "Choose the user" in shown(page.set_role(1, "alpha", None, "member")[0])
    assert projects.roles_of(accounts.get("mia")) == {"alpha": "project_admin"}
    pipelines.create(pipeline_spec("in-alpha", stages=[{"name": "S", "tasks": [script_task("t", "true")]}]), "mia",
                     project="alpha")
    with as_user(app, "root"):
        assert "still holds 1 pipelines or clusters" in shown(page.remove_project("alpha")[0])
        feedback, table = page.set_role(1, "alpha", "mia", "none")
        assert "mia" not in shown(table)
        pipelines.delete(pipelines.live().get(), "root")
        assert "removed" in shown(page.remove_project("alpha")[0])
    assert [p.name for p in projects.all_projects()] == ["default"]
    assert projects.roles_of(accounts.get("mia")) == {}
    assert {e.actor for e in AuditEvent.select().where(AuditEvent.object_name == "alpha")} == {"root"}
