"""Runs and tasks → Plotly figures (dashboard.timeline): bars, colours, order, running bars."""
import datetime as dt

from dashboard.components import status_hex
from dashboard.timeline import bar, runs_figure, tasks_figure

T0 = dt.datetime(2026, 3, 25, 14, 53, 21)
NOW = T0 + dt.timedelta(minutes=10)


def traces(fig):
    return {t.name: t for t in fig.data}


def test_one_bar_per_run_coloured_and_named_by_status():
    fig = runs_figure([bar("#3", "running", T0 + dt.timedelta(minutes=5), None, key=3),
                       bar("#2", "failed", T0, T0 + dt.timedelta(seconds=90), key=2),
                       bar("#1", "succeeded", T0 - dt.timedelta(minutes=5), T0 - dt.timedelta(minutes=4), key=1)], NOW)
    by = traces(fig)
    assert set(by) == {"running", "failed", "succeeded"}
    assert by["failed"].marker.color == status_hex("failed")
    assert list(by["failed"].x) == [90_000] and list(by["failed"].customdata) == [2]
    # A run still going ends at "now": 5 minutes so far.
    assert list(by["running"].x) == [300_000]
    assert by["running"].base[0] == (T0 + dt.timedelta(minutes=5)).isoformat()
    # Newest at the top: plotly draws the category array bottom-up.
    assert list(fig.layout.yaxis.categoryarray) == ["#1", "#2", "#3"]


def test_queued_run_is_drawn_from_its_queue_time_and_a_short_bar_stays_visible():
    fig = runs_figure([bar("#2", "queued", None, None, key=2, queued=NOW),
                       bar("#1", "succeeded", NOW - dt.timedelta(hours=2), NOW - dt.timedelta(hours=2) + dt.timedelta(seconds=0.1))],
                      NOW)
    by = traces(fig)
    assert by["queued"].base[0] == NOW.isoformat()
    # 0.4 % of the two hours shown: wide enough to see, still short beside the others.
    assert list(by["succeeded"].x) == [7200 * 1000 * 0.004]


def test_tasks_never_started_have_no_bar_but_keep_their_row():
    fig = tasks_figure([bar("Build / a", "succeeded", T0, T0 + dt.timedelta(seconds=3)),
                        bar("Test / b", "pending", None, None)], NOW)
    assert [t.name for t in fig.data] == ["succeeded"]
    assert list(fig.layout.yaxis.categoryarray) == ["Test / b", "Build / a"]


def test_timed_out_uses_its_words_in_the_legend():
    fig = runs_figure([bar("#1", "timed_out", T0, NOW)], NOW)
    assert fig.data[0].name == "timed out"
