"""The chart version field of a deploy_chart task, following its chart name field.

It suggests the versions of the chart now in the name field: the chart repository's
(models/chart_listing.py, newest first), then those the definition's build_chart tasks
publish and those deployed before; `follow_chart` rewrites that list as the name changes.
It stays free text: a chart published earlier in the same run is not in the repository yet.
When the repository's versions could not be read, a note under the field says why and the
other suggestions remain. (The name field's suggestions are pickers.py's.) Declared on
`wiring`, registered by pages/editor.py.
"""
from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, html
from dash.exceptions import PreventUpdate

from dashboard.editor import ids as eid
from dashboard.editor.pickers import built_charts
from dashboard.wiring import Callbacks
from models import chart_listing
from models.chart_index import newest_first

wiring = Callbacks()
FIELD_ALL = {"type": eid.FIELD, "path": ALL, "rev": ALL}


def version_choices(chart: str, offered: dict, spec: dict) -> tuple[list[str], str]:
    """(the versions to suggest for `chart`, the note: why the repository's are missing, or "").
    An index gave every chart's versions as the editor opened; an OCI registry is asked per chart."""
    chart = (chart or "").strip()
    in_repository, problem = (offered.get("repository_versions") or {}).get(chart) or [], None
    if chart and not in_repository and offered.get("chart_repository"):
        in_repository, problem = chart_listing.versions(chart)
    found = in_repository + built_charts(spec)[1] + newest_first(offered.get("chart_versions") or [])
    return list(dict.fromkeys(v for v in found if v)), str(problem) if problem else ""


def version_list_id(field_path: str) -> dict:
    return {"type": eid.CHART_VERSIONS, "task": field_path.rsplit(".", 1)[0]}


def version_note(field_path: str, text: str):
    return html.Div(text, id={"type": eid.CHART_NOTE, "task": field_path.rsplit(".", 1)[0]},
                    className="chart-repository-note")


@wiring.callback(Output({"type": eid.CHART_VERSIONS, "task": ALL}, "children"),
                 Output({"type": eid.CHART_NOTE, "task": ALL}, "children"),
                 Input(FIELD_ALL, "value"), State({"type": eid.CHART_VERSIONS, "task": ALL}, "id"),
                 State(eid.STATE, "data"), State(eid.META, "data"), prevent_initial_call=True)
def follow_chart(_values, list_ids, state, meta):
    """The chart name changed: suggest that chart's versions."""
    changed = ctx.triggered_id
    if not list_ids or not isinstance(changed, dict) or not changed.get("path", "").endswith(".chart"):
        raise PreventUpdate
    task = changed["path"].rsplit(".", 1)[0]
    if all(i["task"] != task for i in list_ids):
        raise PreventUpdate
    chart = ctx.triggered[0]["value"] or ""
    versions, note = version_choices(chart, (meta or {}).get("pickers") or {}, (state or {}).get("present") or {})
    lists = [[html.Option(value=v) for v in versions] if i["task"] == task else [] for i in list_ids]
    return lists, [note if i["task"] == task else "" for i in list_ids]
