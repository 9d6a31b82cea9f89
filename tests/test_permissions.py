"""The manual's permission matrix (PRODUCT.md §8), row by row, as models/permissions decides it."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from models.permissions import SYSTEM, Forbidden, Principal, allowed, require, visible_projects

ADMIN = Principal("root", is_admin=True)
PROJECT_ADMIN = Principal("pat", roles={"web": "project_admin", "ops": "member"})
MEMBER = Principal("mia", roles={"web": "member"})

OWN = SimpleNamespace(name="mine", project="web", owner="pat")           # created by the project admin
MEMBERS = SimpleNamespace(name="handed", project="web", owner="mia")     # owned by the member
ROOTS = SimpleNamespace(name="roots", project="web", owner="root")       # created by the administrator
ELSEWHERE = SimpleNamespace(name="far", project="data", owner="someone")  # a project none of them joined
CLUSTER_WEB = SimpleNamespace(name="k-web", project="web")
CLUSTER_DATA = SimpleNamespace(name="k-data", project="data")

# (action, object, administrator, project administrator, member) — one line per matrix cell
MATRIX = [
    ("see", OWN, True, True, False), ("see", MEMBERS, True, True, True), ("see", ELSEWHERE, True, False, False),
    ("create", "web", True, True, False), ("create", "data", True, False, False),
    ("create", "ops", True, False, False),                               # a member there, not an admin
    ("copy", ROOTS, True, True, False), ("copy", ELSEWHERE, True, False, False),
    ("run", ROOTS, True, True, False), ("run", MEMBERS, True, True, False), ("run", ELSEWHERE, True, False, False),
    ("edit", OWN, False, True, False), ("edit", ROOTS, True, False, False), ("edit", MEMBERS, False, False, False),
    ("activate", ROOTS, True, True, False), ("activate", ELSEWHERE, True, False, False),
    ("see_cluster", CLUSTER_WEB, True, True, False), ("see_cluster", CLUSTER_DATA, True, False, False),
    ("cluster", CLUSTER_WEB, True, False, False),
    ("admin", None, True, False, False),
]


@pytest.mark.parametrize("action, obj, admin, project_admin, member", MATRIX,
                         ids=[f"{a}-{getattr(o, 'name', o)}" for a, o, *_ in MATRIX])
def test_each_cell_of_the_matrix(action, obj, admin, project_admin, member):
    for principal, expected in ((ADMIN, admin), (PROJECT_ADMIN, project_admin), (MEMBER, member)):
        assert allowed(principal, action, obj) is expected, (principal.name, action)
        if expected:
            require(principal, action, obj)
        else:
            with pytest.raises(Forbidden):
                require(principal, action, obj)
    assert allowed(SYSTEM, action, obj)          # the machine's operator (CLI, daemon)


def test_a_refusal_says_what_and_why():
    with pytest.raises(Forbidden, match="you cannot edit pipeline 'roots': only the user who created it can "
                                        r"\(its owner is 'root'\)"):
        require(PROJECT_ADMIN, "edit", type("Pipeline", (), {"name": "roots", "project": "web", "owner": "root"})())
    with pytest.raises(Forbidden, match="only administrators"):
        require(MEMBER, "admin")


def test_a_token_narrows_its_user_to_its_scopes():
    reader = Principal("root", is_admin=True, scopes=frozenset({"read"}))
    assert allowed(reader, "see", ELSEWHERE) and not allowed(reader, "run", ELSEWHERE)
    with pytest.raises(Forbidden, match=r"scopes \(read\) do not include 'run'"):
        require(reader, "run", ELSEWHERE)
    runner = Principal("mia", roles={"web": "member"}, scopes=frozenset({"run", "read", "write", "admin"}))
    assert not allowed(runner, "run", ROOTS)      # a scope never adds to what the user may do


def test_what_each_one_sees():
    assert visible_projects(ADMIN) is None
    assert visible_projects(PROJECT_ADMIN) == ["ops", "web"] and visible_projects(PROJECT_ADMIN, "run") == ["web"]
    assert visible_projects(MEMBER) == ["web"]
