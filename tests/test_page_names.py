"""Every user-facing message that tells the reader to fix something with a `python run.py …`
command also names the dashboard page that fixes it (models/page_names.py), unless the fix
exists only on the command line (listed below, with why)."""
from __future__ import annotations

import ast
from pathlib import Path

from daemon.tasks import TaskUnavailable
from daemon.tasks.lib import chart_repo, deploy_target, registry
from models import page_names

ROOT = Path(__file__).resolve().parent.parent
CLI_ONLY = {
    ("models/schema.py", "migrate"): "migrating the database is the CLI's (the dashboard cannot open it before)",
    ("daemon/upkeep.py", "cluster check"): "re-creating a cluster's namespace: the Clusters page has no check action",
}


def cli_messages():
    """(file, msgid, the names passed as `page=`) of every _()/N_() naming `python run.py`."""
    for folder in ("daemon", "models", "dashboard"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("_", "N_") and node.args \
                        and isinstance(node.args[0], ast.Constant) and "python run.py" in str(node.args[0].value):
                    pages = {getattr(k.value, "id", None) for k in node.keywords if k.arg == "page"}
                    yield str(path.relative_to(ROOT)), node.args[0].value, pages


def test_every_cli_fix_also_names_the_page_that_fixes_it():
    found = list(cli_messages())
    assert len(found) >= 5, found            # the chart repository, registry and cluster reasons at least
    page_constants = {name for name in dir(page_names) if name.endswith("_PAGE")}
    for where, msgid, pages in found:
        if any(where == f and command in msgid for f, command in CLI_ONLY):
            continue
        assert "{page}" in msgid and pages and pages <= page_constants, f"{where}: {msgid!r} names no page"


def test_the_task_reasons_name_their_pages(home):
    reasons = []
    for call in (lambda: chart_repo.repository({"name": "chart"}),
                 lambda: registry.registry_for({"name": "image"}, {}, "stages[0].tasks[0]"),
                 lambda: deploy_target.target_cluster({"name": "deploy"}, "", "a chart"),
                 lambda: deploy_target.target_cluster({"name": "deploy"}, "ghost", "a chart")):
        try:
            call()
        except TaskUnavailable as e:
            reasons.append(str(e.args[0]))
    assert len(reasons) == 4
    assert "the Settings page (/settings), or with python run.py chart-repo set" in reasons[0]
    assert "the Settings page (/settings), or with python run.py registry add" in reasons[1]
    assert "the Clusters page (/clusters), or with python run.py cluster add NAME" in reasons[2]
    assert reasons[3] == ("task 'deploy' deploys to cluster 'ghost', which is not registered: register it on the "
                          "Clusters page (/clusters), or with python run.py cluster add ghost --kubeconfig FILE")
