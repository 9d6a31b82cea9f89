"""The manual's permission matrix through /api/v1, one test per role: an administrator, a project
administrator, a member and a user in no project each hold exactly their row (the table the
browser's test reads: tests/permission_rows.py) when every cell is tried with their bearer
token over a real socket — see, create, copy, run and stop, edit, (de)activate and delete,
clusters — and a token's scopes narrow it: a read token sees the same and starts nothing.

A pipeline the caller may not see answers 404 (as if it did not exist); one they see but may
not change answers 403 with the matrix's reason. Setup as the browser test's: projects alpha
and beta, the role held in alpha, the user's own `mine-…` in alpha, the administrator's
`theirs-alpha` and `theirs-beta`, and a cluster registered in each project.
"""
from __future__ import annotations

import pytest

from models import accounts, api_tokens, home as home_mod, pipelines, projects, runs
from models.clusters import Cluster
from models.db import database
from tests.api_server import Api, served
from tests.permission_rows import ALL, NO_PROJECT, ROWS

ADMIN, PASSWORD = "root", "a matrix password"
MATRIX = {**ROWS, **NO_PROJECT}
USERS = {"administrator": "u-admin", "project administrator": "u-padmin", "member": "u-member",
         "in no project": "u-nobody"}


def definition(name: str, description: str = "") -> dict:
    return {"name": name, "description": description, "stages": [
        {"name": "S", "tasks": [{"name": "t", "type": "script", "image": "busybox", "script": f"echo {name}"}]}]}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("api-matrix")
    home_mod.open_home(home, migrate=True)
    admin = accounts.create(ADMIN, PASSWORD, "tests", is_admin=True, must_change=False)
    for project in ("alpha", "beta"):
        projects.create(project, ADMIN)
        pipelines.create(definition(f"theirs-{project}"), ADMIN, project=project)
        Cluster.create(name=f"c-{project}", namespace=f"millrace-c-{project}", owner_label="tests", project=project,
                       server="https://k8s.invalid:6443", kubeconfig_sealed="sealed-kubeconfig-never-sent")
    tokens = {}
    for role, user in USERS.items():
        row = accounts.create(user, PASSWORD, ADMIN, is_admin=role == "administrator", must_change=False)
        if role in ("project administrator", "member"):
            projects.set_role("alpha", user, "project_admin" if role == "project administrator" else "member", ADMIN)
        pipelines.create(definition(f"mine-{user}"), user, project="alpha")   # the operator makes it theirs
        granted = ["admin"] if row.is_admin else ["write"]
        tokens[role] = {scope: api_tokens.create(row, scope, [scope])[1] for scope in ("read", *granted)}
    tokens["root"] = api_tokens.create(admin, "all", ["admin"])[1]
    database.close()
    with served(home) as url:
        yield url, tokens
    database.close()


def names_for(user: str) -> dict:
    return {"mine": f"mine-{user}", "theirs-alpha": "theirs-alpha", "theirs-beta": "theirs-beta"}


def refused(answer, seen: bool) -> bool:
    """Refused as the matrix says: 403 with its reason where the pipeline is seen, else 404."""
    expected = 403 if seen else 404
    assert answer.status_code == expected, (answer.status_code, answer.text[:300])
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    return True


def queued_run(name: str) -> int:
    """A run of `name` queued by the operator (for the stop cell of a pipeline the user cannot run)."""
    return runs.enqueue_run(pipelines.get(name), "manual", "system").id



@pytest.mark.parametrize("role", list(MATRIX))
def test_a_read_token_sees_the_row_and_changes_nothing(server, role):
    url, tokens = server
    user = USERS[role]
    seen = MATRIX[role][0]
    reader = Api(url, tokens[role]["read"])
    named = names_for(user)
    for key in ALL:
        name = named[key]
        if key not in seen:
            assert reader.get(f"/pipelines/{name}").status_code == 404
            continue
        assert reader.get(f"/pipelines/{name}").status_code == 200
        before = reader.get("/runs", params={"pipeline": name}).headers["X-Total-Count"]
        for method, path, body in (("POST", f"/pipelines/{name}/runs", {"parameters": {}}),
                                   ("POST", f"/pipelines/{name}/copy", {"name": f"{name}-by-reader"}),
                                   ("POST", f"/pipelines/{name}/deactivate", None),
                                   ("DELETE", f"/pipelines/{name}", None)):
            answer = reader(method, path, json=body)
            assert answer.status_code == 403, (key, method, path, answer.text[:300])
            assert "scopes (read)" in answer.json()["detail"], answer.json()
        assert reader.get("/runs", params={"pipeline": name}).headers["X-Total-Count"] == before
        assert reader.get(f"/pipelines/{name}").json()["active"] is True
    assert reader.post("/me/tokens", json={"name": "more", "scopes": ["write"]}).status_code == 422


@pytest.mark.parametrize("role", list(MATRIX))
def test_each_role_holds_its_row_through_the_api(server, role):
    url, tokens = server
    user = USERS[role]
    seen, creates, acts, edits, clusters_page = MATRIX[role]
    api = Api(url, tokens[role]["admin" if role == "administrator" else "write"])
    named = names_for(user)

    listed = {p["name"] for p in api.get("/pipelines", params={"per_page": 100}).json()}
    assert {k for k in ALL if named[k] in listed} == set(seen)                       # see: the list
    for key in ALL:
        answer = api.get(f"/pipelines/{named[key]}")
        assert answer.status_code == (200 if key in seen else 404), (key, answer.text[:200])   # see: each one

    made = api.post("/pipelines", params={"project": "alpha"}, json=definition(f"new-{user}"))   # create
    assert made.status_code == 201 if creates else refused(made, seen=True), made.text[:300]

    for key in ALL:
        name, allowed = named[key], key in acts
        started = api.post(f"/pipelines/{name}/runs", json={"parameters": {}})        # run
        assert started.status_code == 201 if allowed else refused(started, key in seen), (key, started.text[:300])
        run_id = started.json()["id"] if allowed else queued_run(name)
        stopped = api.post(f"/runs/{run_id}/stop")                                   # stop
        assert stopped.status_code == 202 if allowed else refused(stopped, key in seen), (key, stopped.text[:300])

        copied = api.post(f"/pipelines/{name}/copy", json={"name": f"{name}-copy-{user}"})       # copy
        assert copied.status_code == 201 if allowed else refused(copied, key in seen), (key, copied.text[:300])

        edited = api("PUT", f"/pipelines/{name}", json=definition(name, f"edited by {user}"))   # edit
        assert edited.status_code == 200 if key in edits else refused(edited, key in seen), (key, edited.text[:300])

        off = api.post(f"/pipelines/{name}/deactivate")                              # (de)activate
        assert off.status_code == 200 if allowed else refused(off, key in seen), (key, off.text[:300])
        if allowed:
            assert off.json()["active"] is False
            assert api.post(f"/pipelines/{name}/activate").json()["active"] is True
        if allowed:     # delete, carried out on the copy (in the same project; the original has a run)
            assert api("DELETE", f"/pipelines/{name}-copy-{user}").status_code == 204
            assert api.get(f"/pipelines/{name}-copy-{user}").status_code == 404
        else:
            assert refused(api("DELETE", f"/pipelines/{name}"), key in seen)              # delete: refused

    # clusters: administrators all, project administrators their projects', the others none
    expected = ({"c-alpha", "c-beta"} if role == "administrator" else {"c-alpha"}) if clusters_page else set()
    shown = api.get("/clusters")
    assert shown.status_code == 200
    assert {c["name"] for c in shown.json()} == expected
    assert "sealed-kubeconfig" not in shown.text
    for name in ("c-alpha", "c-beta"):
        assert api.get(f"/clusters/{name}").status_code == (200 if name in expected else 404)
