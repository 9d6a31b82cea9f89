"""The pipelines list's rows as data (dashboard/pages/pipelines.rows): a run not started yet
shows no start time — its queue time in "Started" read as a start (issue 12)."""
from __future__ import annotations

from models import pipelines, runs
from tests.conftest import pipeline_spec, script_task


def test_a_queued_run_is_not_shown_as_started(home):
    import sys
    if "dashboard.pages.pipelines" not in sys.modules:     # pages register themselves with an app: make one first
        from dashboard.app import create_app
        create_app()
    from dashboard.pages import pipelines as page
    p = pipelines.create(pipeline_spec("waiting", stages=[{"name": "S", "tasks": [script_task("t", "true")]}]), "tester")
    runs.enqueue_run(p, "manual", "tester")            # no daemon: it stays queued
    row = next(r for r in page.rows() if r["name"] == "waiting")
    assert row["status"] == "queued" and row["started"] == "queued, waiting"
