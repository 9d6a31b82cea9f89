"""Timed rules start each run exactly once, driven by a fake clock: restarts, racing
daemons and clock steps never double a run; downtime follows the misfire policy; overlap
follows the concurrency policy; a deactivated pipeline starts nothing and says so."""
import datetime as dt
import threading

from daemon.triggers import fire_timers, next_timer_due
from models import pipelines, runs, triggers
from models.tables import Run
from models.triggers import TimerFire, TimerRule
from tests.conftest import pipeline_spec, run_until_done, script_task

ONE_TASK = [{"name": "S", "tasks": [script_task("t", "true")]}]      # a pipeline needs a task to be saved

T0 = dt.datetime(2021, 3, 25, 14, 53, 21)       # the manual's moment, naive UTC like the daemon's clock


def at(hh, mm, ss=0):
    return T0.replace(hour=hh, minute=mm, second=ss)


def make(name="nightly", rule="every 2 minutes", **timer):
    p = pipelines.create(pipeline_spec(name, ONE_TASK), "tester")
    triggers.save_timer(p, rule, "tester", timezone=timer.pop("timezone", "UTC"), now=T0, **timer)
    return p


def run_numbers(p):
    return [r.number for r in Run.select().where(Run.pipeline == p).order_by(Run.number)]


def fires(p):
    return [(f.scheduled_for.strftime("%H:%M"), f.outcome, f.reason) for f in triggers.recent_fires(p)][::-1]


def test_manual_example_fires_on_even_minutes_with_one_run_each(home):
    p = make()
    for now in (at(14, 53, 59), at(14, 54, 0, ), at(14, 54, 1), at(14, 55, 30), at(14, 56, 0), at(14, 58, 0)):
        fire_timers(now)
    assert run_numbers(p) == [1, 2, 3]
    assert [f[:2] for f in fires(p)] == [("14:54", "started"), ("14:56", "started"), ("14:58", "started")]
    run = Run.get(Run.pipeline == p, Run.number == 1)
    assert (run.cause, run.cause_detail) == ("timer", "every 2 minutes, due 2021-03-25 14:54 UTC")


def test_restart_at_the_fire_second_does_not_fire_twice(home):
    p = make()
    fire_timers(at(14, 54, 0))
    # A new daemon process starts within the same second and ticks again.
    fire_timers(at(14, 54, 0))
    fire_timers(at(14, 54, 0).replace(microsecond=900_000))
    assert run_numbers(p) == [1]


def test_fire_row_is_the_guard_even_if_the_progress_mark_is_lost(home):
    p = make()
    fire_timers(at(14, 54, 0))
    TimerRule.update(checked_through=T0).execute()      # as if written by a daemon that died mid-tick
    fire_timers(at(14, 54, 5))
    assert run_numbers(p) == [1]
    assert len(fires(p)) == 1


def test_two_daemons_racing_start_one_run(home):
    p = make()
    barrier = threading.Barrier(4)

    def daemon():
        barrier.wait()
        fire_timers(at(14, 54, 0))

    threads = [threading.Thread(target=daemon) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert run_numbers(p) == [1]


def test_clock_step_backwards_does_not_repeat_fires(home):
    p = make()
    fire_timers(at(14, 54, 0))
    fire_timers(at(14, 56, 0))
    for now in (at(14, 53, 0), at(14, 54, 0), at(14, 55, 0), at(14, 56, 0)):   # clock stepped back 3 minutes
        fire_timers(now)
    assert run_numbers(p) == [1, 2]
    fire_timers(at(14, 58, 0))
    assert run_numbers(p) == [1, 2, 3]


def test_skip_after_ten_minutes_down_records_one_missed_entry_and_starts_nothing(home):
    p = make()
    fire_timers(at(14, 54, 0))
    fire_timers(at(15, 5, 30))              # down from 14:54 to 15:05:30
    assert run_numbers(p) == [1]
    assert fires(p)[-1] == ("15:04", "missed", "missed 5 fire times from 2021-03-25 14:56 UTC to "
                                               "2021-03-25 15:04 UTC (daemon was not running; misfire policy skip)")
    fire_timers(at(15, 6, 0))
    assert run_numbers(p) == [1, 2]


def test_run_once_after_ten_minutes_down_starts_one_run_for_the_latest_missed_time(home):
    p = make(misfire_policy="run_once", misfire_deadline_seconds=600)
    fire_timers(at(14, 54, 0))
    fire_timers(at(15, 5, 30))
    assert run_numbers(p) == [1, 2]
    assert fires(p)[1:] == [
        ("15:02", "missed", "missed 4 fire times from 2021-03-25 14:56 UTC to 2021-03-25 15:02 UTC "
                            "(daemon was not running; misfire policy run_once runs only the latest)"),
        ("15:04", "started", "started run #2 (late by 1 min 30 s: misfire policy run_once)")]
    fire_timers(at(15, 5, 40))
    assert run_numbers(p) == [1, 2]


def test_run_once_outside_its_deadline_only_records_the_miss(home):
    p = make(rule="daily at 15:00", misfire_policy="run_once", misfire_deadline_seconds=3600)
    fire_timers(at(17, 30))
    assert run_numbers(p) == []
    assert fires(p) == [("15:00", "missed", "missed 1 fire time at 2021-03-25 15:00 UTC (daemon was not running; "
                                            "misfire policy run_once, but older than the 60 min 0 s deadline)")]


def test_an_on_time_fire_right_after_downtime_runs_and_the_older_ones_are_missed(home):
    p = make(misfire_policy="run_once")
    fire_timers(at(15, 4, 10))
    assert run_numbers(p) == [1]
    assert [f[:2] for f in fires(p)] == [("15:02", "missed"), ("15:04", "started")]


def test_forbid_skips_a_fire_while_a_run_is_active_and_says_so(home):
    p = make()
    triggers.set_concurrency(p, "forbid", "tester")
    fire_timers(at(14, 54))
    fire_timers(at(14, 56))
    assert run_numbers(p) == [1]
    assert fires(p)[-1] == ("14:56", "skipped", "run #1 still active (concurrency: forbid)")


def test_replace_stops_the_active_run_and_starts_the_new_one(home):
    p = make()
    triggers.set_concurrency(p, "replace", "tester")
    fire_timers(at(14, 54))
    fire_timers(at(14, 56))
    first, second = Run.select().where(Run.pipeline == p).order_by(Run.number)
    assert first.stop_requested_by == "timer (concurrency: replace)"
    assert (second.status, second.stop_requested_at) == ("queued", None)
    assert fires(p)[-1] == ("14:56", "started", "started run #2, stopping #1 (concurrency: replace)")


def test_allow_starts_overlapping_runs(home):
    p = make()
    fire_timers(at(14, 54))
    fire_timers(at(14, 56))
    assert [r.status for r in runs.active_runs(p)] == ["queued", "queued"]


def test_deactivated_pipeline_starts_nothing_and_one_line_says_why(home):
    p = make()
    pipelines.set_active(p, False, "tester")
    for minute in (54, 56, 58):
        fire_timers(at(14, minute))
    assert run_numbers(p) == []
    assert fires(p) == [("14:54", "inactive", "pipeline 'nightly' is deactivated: no runs until it is activated again")]
    pipelines.set_active(p, True, "tester")
    fire_timers(at(15, 0))
    assert run_numbers(p) == [1]


def test_rule_in_a_named_zone_fires_at_local_wall_time(home):
    p = make(rule="daily at 09:30", timezone="Europe/Berlin")
    fire_timers(dt.datetime(2021, 3, 26, 8, 29, 59))
    assert run_numbers(p) == []
    fire_timers(dt.datetime(2021, 3, 26, 8, 30, 0))      # 09:30 CET
    assert run_numbers(p) == [1]
    assert next_timer_due(dt.datetime(2021, 3, 26, 8, 30, 0)) == dt.datetime(2021, 3, 27, 8, 30)


def test_editing_a_rule_never_fires_times_before_the_edit(home):
    p = make(rule="daily at 09:00")
    rule = triggers.timers(p)[0]
    triggers.save_timer(p, "every 2 hours at 28", "tester", timezone="UTC", rule=rule, now=at(16, 0))
    fire_timers(at(16, 28))
    assert run_numbers(p) == [1]
    assert fires(p) == [("16:28", "started", "started run #1")]


def test_bad_rule_or_policy_is_refused_with_the_reason(home):
    p = pipelines.create(pipeline_spec("x", ONE_TASK), "tester")
    for kwargs, words in ((dict(rule_text="every 0 minutes"), "must be from 1 to 59"),
                          (dict(rule_text="daily at 09:00", timezone="Mars/Base"), "unknown timezone"),
                          (dict(rule_text="daily at 09:00", misfire_policy="later"), "misfire policy must be")):
        try:
            triggers.save_timer(p, actor="tester", **kwargs)
        except ValueError as err:
            assert words in str(err)
        else:
            raise AssertionError(f"{kwargs} was accepted")
    assert TimerRule.select().count() == 0


def test_daemon_tick_runs_a_timed_pipeline_to_the_end(home, daemon):
    p = pipelines.create(pipeline_spec("tick", stages=[{"name": "S", "mode": "serial",
                                                        "tasks": [script_task("hello", "echo timed")]}]), "tester")
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    triggers.save_timer(p, "every 1 minute", "tester", timezone="UTC", now=now)
    due = next_timer_due(now)
    daemon.tick(due)
    (run,) = Run.select().where(Run.pipeline == p)
    assert run.cause == "timer"
    assert run_until_done(daemon, run.id).status == "succeeded"
    assert TimerFire.get().run_id == run.id
