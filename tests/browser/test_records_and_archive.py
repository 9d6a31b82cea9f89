"""Run records beyond the latest 50 on the pipeline page, and the runs of deleted pipelines
reachable from "Archived pipelines", read-only (issue 12). Runs are stored straight
through the models (finished, so no daemon is needed) to keep the test fast."""
from __future__ import annotations

import pytest

from dashboard import ids
from tests.browser.pages import Page
from tests.conftest import wait_for

pytestmark = pytest.mark.slow

PIPELINE = """
name: NAME
stages:
- name: Build
  tasks:
  - name: hello
    type: script
    image: busybox
    script: echo hi
"""


def store_runs(home, name: str, count: int) -> int:
    """`count` finished runs of `name`, numbered 1..count; returns the pipeline's id."""
    from models import home as home_mod, pipelines
    from models.db import database, utcnow, write_transaction
    from models.tables import Pipeline, Run
    home_mod.open_home(home)
    try:
        p = Pipeline.get((Pipeline.name == name) & Pipeline.deleted_at.is_null())
        now, version = utcnow(), pipelines.current_version(p)
        with write_transaction():
            for n in range(1, count + 1):
                Run.create(pipeline=p, number=n, version=version, cause="manual", status="succeeded",
                           queued_at=now, started_at=now, finished_at=now)
        return p.id
    finally:
        database.close()


@pytest.fixture(scope="module")
def page(millrace, chrome):
    return Page(chrome, millrace.url)


def shown_runs(page) -> list[int]:
    try:
        return [int(r.get_attribute("data-run")) for r in page.all(f"#{ids.DETAIL_RUNS} tr[data-run]")]
    except Exception:  # noqa: BLE001 — re-rendered mid-read
        return []


def test_run_records_page_beyond_the_latest_50(page, millrace):
    millrace.apply(PIPELINE.replace("NAME", "many-runs"))
    pid = store_runs(millrace.home, "many-runs", 120)
    page.open(f"/pipelines/{pid}", ready=f"#{ids.DETAIL_RUNS} tr[data-run]")
    assert wait_for(lambda: shown_runs(page) == list(range(120, 70, -1)), message="runs 120..71")
    assert page.driver.title == "many-runs · Millrace"
    page.click(f"#{ids.DETAIL_RUNS_PAGE} li:last-child a")          # "last"
    wait_for(lambda: shown_runs(page) == list(range(20, 0, -1)),
             message=lambda: f"the last page: runs 20..1 (shown: {shown_runs(page)[:3]}…)")


def test_a_deleted_pipelines_runs_are_reachable_from_the_archive_read_only(page, millrace):
    millrace.apply(PIPELINE.replace("NAME", "gone"))
    store_runs(millrace.home, "gone", 2)
    millrace.cli("delete", "gone", "--yes")
    page.open("/pipelines", ready=".archived-link")
    assert not page.all(page.row("gone"))
    page.click(".archived-link")
    page.wait_text('[data-pipeline="gone"]', "Read-only")
    assert [li.get_attribute("data-run") for li in page.all('[data-pipeline="gone"] li[data-run]')] == ["2", "1"]
    page.click('[data-pipeline="gone"] li[data-run="1"] a')
    page.wait_text(".run-archived", "Pipeline deleted")
    assert not page.all('button[data-action="rerun"]')
    page.click(f"#{ids.RUN_HEADER} h2 a")               # the pipeline's name leads back to the archive
    page.wait_text("h2", "Archived pipelines")
