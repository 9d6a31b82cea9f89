"""The manual's permission matrix (PRODUCT.md §8) as the rows the per-role tests check: the
browser's (tests/browser/test_permission_matrix.py) and the API's (tests/test_api_permissions.py)
read this one table, so a cell changed here is checked through both doors.

Setup both tests share: projects alpha and beta; the role is held in alpha; the user owns
`mine` (a pipeline in alpha); an administrator owns `theirs-alpha` and `theirs-beta`.
"""
from __future__ import annotations

ALL = ("mine", "theirs-alpha", "theirs-beta")
# role → (pipelines seen, may create, pipelines run/copied/(de)activated/deleted, pipelines edited, clusters page)
ROWS = {
    "administrator": (ALL, True, ALL, ("mine",), True),
    "project administrator": (("mine", "theirs-alpha"), True, ("mine", "theirs-alpha"), ("mine",), True),
    "member": (("mine",), False, (), (), False),
}
# A user in no project: the member's row without even their own pipeline in sight (the matrix's
# "only own" is within joined projects). The browser test has no page of its own to show for it.
NO_PROJECT = {"in no project": ((), False, (), (), False)}
