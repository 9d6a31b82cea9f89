"""Pure converters from run records to Plotly figures: the run-records timeline of a
pipeline (one bar per run over time) and the Gantt of a run's tasks.

Input is plain dicts (`bar(label, status, start, end, key)`), so tests need no database.
Bars are horizontal `go.Bar`s on a date axis with `base` = start and length in
milliseconds (what plotly.express.timeline does, without pandas). One trace per status
gives a legend in the status words; a bar still running ends at `now`.
"""
from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go

from dashboard.components import STATUS_COLOURS, duration_text, status_hex, status_word
from models.i18n import _

MIN_BAR_SHARE = 0.004  # of the whole span: a 0.1 s task must stay visible beside a 2-hour one


def bar(label: str, status: str, start: dt.datetime | None, end: dt.datetime | None, key=None,
        queued: dt.datetime | None = None) -> dict:
    return {"label": label, "status": status, "start": start, "end": end, "key": key, "queued": queued}


def _figure(bars: list[dict], now: dt.datetime, title: str, height_per_bar: int) -> go.Figure:
    fig = go.Figure()
    order = [b["label"] for b in bars]
    drawn = [b for b in bars if b["start"] or b["queued"]]
    span_ms = ((max((b["end"] or now) for b in drawn) - min((b["start"] or b["queued"]) for b in drawn))
               .total_seconds() * 1000) if drawn else 0
    min_ms = max(1.0, span_ms * MIN_BAR_SHARE)
    for status in [s for s in STATUS_COLOURS if any(b["status"] == s for b in bars)]:
        mine = [b for b in bars if b["status"] == status and (b["start"] or b["queued"])]
        if not mine:
            continue
        starts = [b["start"] or b["queued"] for b in mine]
        ends = [b["end"] or now for b in mine]
        lengths = [max(min_ms, (e - s).total_seconds() * 1000) for s, e in zip(starts, ends)]
        fig.add_trace(go.Bar(
            name=status_word(status), orientation="h", y=[b["label"] for b in mine], base=[s.isoformat() for s in starts],
            x=lengths, marker_color=status_hex(status), customdata=[b["key"] for b in mine],
            hovertext=[_("{label}: {status}, {duration}", label=b["label"], status=status_word(status),
                         duration=duration_text((e - s).total_seconds())) for b, s, e in zip(mine, starts, ends)],
            hoverinfo="text"))
    fig.update_layout(
        title=title or None, barmode="overlay", showlegend=True, height=max(180, 60 + height_per_bar * len(bars)),
        margin=dict(l=10, r=10, t=40 if title else 10, b=30), legend=dict(orientation="h", y=1.02, x=0, yanchor="bottom"),
        xaxis=dict(type="date", title=None), plot_bgcolor="#ffffff",
        yaxis=dict(categoryorder="array", categoryarray=list(reversed(order)), automargin=True))
    fig.update_xaxes(showgrid=True, gridcolor="#eeeeee")
    return fig


def runs_figure(bars: list[dict], now: dt.datetime) -> go.Figure:
    """Run records, newest at the top; click data carries the run number as customdata."""
    return _figure(bars, now, "", height_per_bar=22)


def tasks_figure(bars: list[dict], now: dt.datetime) -> go.Figure:
    """Gantt of a run's tasks in pipeline order (first task at the top)."""
    return _figure(bars, now, "", height_per_bar=30)
