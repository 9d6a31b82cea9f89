"""What a Dash callback needs of whoever posts it, checked by the gate before it runs.

Every callback of the app is classified here by the ids it updates (tests/test_auth_http.py
fails on one that is not): `None` — any signed-in user (what it shows or changes is then
checked per object by the intent it calls: may this user see, run or edit this pipeline);
an action of models/permissions — refused with 403 unless the user may do it at all
(administration pages). The gate reads the callback's `output` from the posted JSON.
"""
from __future__ import annotations

# id fragment of an output → the action required (checked in order; the first match counts)
ADMIN_OUTPUTS = {
    "settings-": "admin", "registry-": "admin", "registries-": "admin", "chart-repo": "admin",
    "users-": "admin", "user-": "admin", "audit-": "admin", "project-": "admin",
    "cluster-add": "cluster", "cluster-remove": "cluster", "cluster-dialog": "cluster",
}


def _ids(output: str) -> list[str]:
    """'..a.children...b.value..' or 'a.children' → ['a', 'b'] (pattern-matched ids: their JSON)."""
    text = output.strip(".")
    parts = text.split("...") if "..." in text else [text]
    return [p.rsplit(".", 1)[0] for p in parts if p]


def action_for(output: str) -> str | None:
    for component in _ids(output):
        for fragment, action in ADMIN_OUTPUTS.items():
            if fragment in component:
                return action
    return None
