"""What a Dash callback needs of whoever posts it, checked by the gate before it runs.

Every server callback of the app is classified by the module (and function) that defines
it; tests/test_auth_http.py fails on one that is not, so a new page must say who may use
it. `RULES` — administrator pages: refused with 403 unless the user may do the action at
all. `SIGNED_IN` — any signed-in user: what such a callback shows or changes is checked
per object where it reads or acts (may this user see, run or edit this pipeline:
dashboard/intents.py, dashboard/auth/current.py's `visible`/`require_see`).
The gate finds the callback from the `output` of the posted JSON.
"""
from __future__ import annotations

RULES = {"dashboard.pages.settings": "admin", "dashboard.pages.users": "admin",
         "dashboard.pages.projects": "admin", "dashboard.pages.clusters": "cluster",
         "dashboard.pages.releases": "cluster"}
# functions of RULES modules that only read (the lists, filtered to what the user may see)
READ_ONLY = {("dashboard.pages.clusters", "refresh"), ("dashboard.pages.releases", "refresh")}
SIGNED_IN = {"dash.dash", "dashboard.actions", "dashboard.editor.callbacks", "dashboard.editor.chart_picker",
             "dashboard.editor.conflict", "dashboard.editor.save",
             "dashboard.editor.source_picker",   # only the signed-in user's own accounts (forge_accounts.visible)
             "dashboard.layout", "dashboard.pages.pipeline_detail",
             "dashboard.pages.pipelines", "dashboard.pages.run_detail", "dashboard.runlog.panel",
             "dashboard.runlog.search", "dashboard.triggers.panel", "dashboard.versions", "dashboard.pages.archived", "dashboard.pages.audit",
             "dashboard.pages.tokens",      # a user's own tokens: dashboard.token_intents looks them up by user
             "dashboard.pages.repositories"}  # a user's own repository accounts: looked up by owner

_by_output: dict[str, str | None] = {}


class Unclassified(LookupError):
    pass


def where(entry: dict) -> tuple[str, str]:
    func = entry.get("callback")
    return getattr(func, "__module__", ""), getattr(func, "__name__", "")


def classify(module: str, name: str) -> str | None:
    if module in RULES:
        return None if (module, name) in READ_ONLY else RULES[module]
    if module in SIGNED_IN:
        return None
    raise Unclassified(f"callback {module}.{name} is not classified in dashboard/auth/callback_rules.py")


def learn(callback_map: dict) -> None:
    """Read the app's callbacks (once Dash has collected them: at the first request)."""
    for output, entry in callback_map.items():
        if entry.get("callback") is not None:
            _by_output[output] = classify(*where(entry))


def action_for(output: str, callback_map: dict) -> str | None:
    """The action a post to `output` needs (None: a signed-in user); an unknown output is
    refused as an administrator's, so nothing is ever let through by omission."""
    if output not in _by_output:
        learn(callback_map)
    return _by_output.get(output, "admin")
