"""Every time a tick writes comes from the `now` it was given (the structure issue): the
claim, task starts and ends, stage and run ends — so a test's fake clock governs them all
and a run's stored times never mix the wall clock with the tick's."""
import datetime as dt

from models import pipelines, runs
from models.tables import Run, StageRun, TaskRun
from tests.conftest import FakeClock, pipeline_spec, script_task, wait_for


def test_a_run_ticked_at_a_fake_time_stores_only_that_clock(home, daemon):
    clock = FakeClock(dt.datetime(2021, 3, 25, 14, 53, 21))       # years before the wall clock
    p = pipelines.create(pipeline_spec(stages=[
        {"name": "A", "mode": "serial", "tasks": [script_task("ok", "true")]},
        {"name": "B", "mode": "serial", "tasks": [script_task("bad", "exit 3")]},
        {"name": "C", "mode": "serial", "tasks": [script_task("never", "true")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")

    def ended():
        daemon.tick(clock.advance(1))
        return Run.get_by_id(run.id).status in ("succeeded", "failed")
    wait_for(ended, message="the run to end", ignore=())

    done = Run.get_by_id(run.id)
    assert done.status == "failed"
    start, end = dt.datetime(2021, 3, 25, 14, 53, 21), clock.now()
    stamps = [("run.started_at", done.started_at), ("run.finished_at", done.finished_at),
              ("run.accounted_at", done.accounted_at)]
    stamps += [(f"stage {s.name}.{f}", getattr(s, f)) for s in StageRun.select().where(StageRun.run == run.id)
               for f in ("started_at", "finished_at") if getattr(s, f) is not None]
    stamps += [(f"task {t.name}.{f}", getattr(t, f)) for t in TaskRun.select().where(TaskRun.run == run.id)
               for f in ("started_at", "finished_at") if getattr(t, f) is not None]
    outside = [(name, at) for name, at in stamps if not start < at <= end]
    assert not outside, f"times not from the tick's clock: {outside}"
    never = TaskRun.get((TaskRun.run == run.id) & (TaskRun.name == "never"))
    assert never.status == "skipped" and never.finished_at is not None
    assert len(stamps) >= 11            # run 3, four stages' starts/ends, four tasks' starts/ends (checkout incl.)
