"""The code source pickers' model side: the account select ⇄ `source.account`, and the
save's check that a definition names only the saver's own account (forge_accounts.usable_by),
an account the stored version already names staying (a colleague may still edit the pipeline)."""
from __future__ import annotations

from dashboard.editor import source_picker
from dashboard.editor.values import apply_form
from models import forge_accounts, pipelines
from tests.conftest import pipeline_spec, script_task

SECRET = "client-secret-0123456789abcdef"


def spec_with(account=None):
    source = {"repository": "https://forge.example/alice/app.git", "branch": "main"}
    if account is not None:
        source["account"] = account
    return pipeline_spec("picked", source=source, stages=[{"name": "S", "tasks": [script_task("t", "true")]}])


def test_the_account_select_writes_an_id_and_blank_removes_it():
    spec, changed = apply_form(spec_with(), [("source.account", "7")])
    assert spec["source"]["account"] == 7 and changed == ["source.account"]
    spec, changed = apply_form(spec, [("source.account", "")])
    assert "account" not in spec["source"] and changed == ["source.account"]


def test_another_users_account_is_refused_on_its_field(home, monkeypatch):
    alices = forge_accounts.register("alice", "github", "app-1", SECRET)
    monkeypatch.setattr(source_picker, "actor", lambda: "bob")
    problems = source_picker.account_problems(spec_with(alices.id), None)
    assert [p for p, _m in problems] == ["source.account"]
    assert f"no code repository account #{alices.id}" in problems[0][1]
    assert source_picker.account_problems(spec_with(999), None)[0][0] == "source.account"
    assert source_picker.account_problems(spec_with(), None) == []
    monkeypatch.setattr(source_picker, "actor", lambda: "alice")
    assert source_picker.account_problems(spec_with(alices.id), None) == []
    stored = pipelines.create(spec_with(alices.id), "alice")
    monkeypatch.setattr(source_picker, "actor", lambda: "bob")           # bob edits alice's pipeline
    assert source_picker.account_problems(spec_with(alices.id), stored.id) == []
