"""A pipeline's version history (pipeline detail page): every saved version with its author
and time, a side-by-side diff of any two, and restoring one as a new version.

The list is rebuilt only when a newer version is stored (a save in the editor, the CLI's
`apply`, a restore). "Compare" on a row diffs that version against the one before it; the
two pickers compare any pair. Restore is an intent of dashboard.actions ("restore:<n>",
confirmed in its dialog, stored by models.pipelines.restore with its own audit row).
Definitions go through editor.yaml_text.strip_secrets before they are diffed: a sealed
value never reaches the browser. Declared on `wiring`, registered by pages/pipeline_detail.py.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.components import action_button, time_text
from dashboard.diffview import side_by_side
from dashboard.editor.yaml_text import masked_yaml, strip_secrets
from dashboard.wiring import Callbacks
from models import pipelines
from models.i18n import _
from models.tables import Pipeline

wiring = Callbacks()


def _pipeline(pipeline_id) -> Pipeline | None:
    return pipelines.live().where(Pipeline.id == int(pipeline_id)).first() if pipeline_id else None


def _text(pipeline: Pipeline, number: int) -> str:
    return masked_yaml(strip_secrets(pipelines.definition(pipelines.version_of(pipeline, number)))[0])


def diff(pipeline: Pipeline, old: int, new: int):
    return side_by_side(_text(pipeline, old), _text(pipeline, new), _("version {number}", number=old), _("version {number}", number=new),
                        table_id="version-diff-table")


def history(pipeline: Pipeline) -> list:
    """The card's body: the versions, newest first, then the two pickers and the diff."""
    found = pipelines.versions(pipeline)
    current = pipeline.current_version_id
    rows = []
    for v in found:
        actions = []
        if v.version_number > 1:
            actions.append(html.Button(_("Compare with previous"), id={"type": ids.VERSION_COMPARE, "version": v.version_number},
                                       className="btn btn-sm btn-outline-secondary me-1"))
        if v.id != current:
            actions.append(action_button(_("Restore"), f"restore:{v.version_number}", pipeline.id, "primary"))
        rows.append(html.Tr([html.Td(f"v{v.version_number}"),
                             html.Td(dbc.Badge(_("current"), color="success") if v.id == current else ""),
                             html.Td(time_text(v.created_at)), html.Td(v.created_by),
                             html.Td(actions, className="text-nowrap")], **{"data-version": v.version_number}))
    head = html.Thead(html.Tr([html.Th(h) for h in (_("Version"), "", _("Saved"), _("By"), "")]))
    choices = [{"label": _("version {number}", number=v.version_number), "value": v.version_number} for v in found]
    newest = found[0].version_number
    older = found[1].version_number if len(found) > 1 else newest
    pickers = dbc.Row([
        dbc.Col([dbc.Label(_("Compare"), html_for=ids.VERSION_FROM),
                 dbc.Select(id=ids.VERSION_FROM, options=choices, value=older)], width="auto"),
        dbc.Col([dbc.Label(_("with"), html_for=ids.VERSION_TO),
                 dbc.Select(id=ids.VERSION_TO, options=choices, value=newest)], width="auto"),
    ], className="g-2 mb-2 align-items-end")
    return [html.Div(dbc.Table([head, html.Tbody(rows)], size="sm", hover=True, className="versions align-middle mb-2"),
                     style={"maxHeight": "16rem", "overflowY": "auto"}),
            pickers, html.Div(diff(pipeline, older, newest), id=ids.VERSION_DIFF)]


def card(pipeline: Pipeline) -> dbc.Card:
    newest = pipelines.current_version(pipeline).version_number
    return dbc.Card([dbc.CardHeader(_("Version history")),
                     dbc.CardBody([dcc.Store(id=ids.DETAIL_VERSIONS_SHOWN, data=newest),
                                   html.Div(history(pipeline), id=ids.DETAIL_VERSIONS)])], className="mb-3")


@wiring.callback(Output(ids.DETAIL_VERSIONS, "children"), Output(ids.DETAIL_VERSIONS_SHOWN, "data"),
                 Input(ids.DETAIL_POLL, "n_intervals"), Input(ids.ACTION_DONE, "data"),
                 State(ids.DETAIL_ID, "data"), State(ids.DETAIL_VERSIONS_SHOWN, "data"), prevent_initial_call=True)
def refresh(_tick, _done, pipeline_id, shown):
    pipeline = _pipeline(pipeline_id)
    if pipeline is None:
        raise PreventUpdate
    newest = pipelines.current_version(pipeline).version_number    # a save or a restore adds the newest
    if newest == shown:
        raise PreventUpdate      # keep the user's choice of versions to compare
    return history(pipeline), newest


@wiring.callback(Output(ids.VERSION_FROM, "value"), Output(ids.VERSION_TO, "value"),
                 Input({"type": ids.VERSION_COMPARE, "version": ALL}, "n_clicks"), prevent_initial_call=True)
def compare_with_previous(_clicks):
    if not ctx.triggered or not ctx.triggered[0]["value"]:
        raise PreventUpdate      # rendered, not clicked
    number = ctx.triggered_id["version"]
    return number - 1, number


@wiring.callback(Output(ids.VERSION_DIFF, "children"), Input(ids.VERSION_FROM, "value"), Input(ids.VERSION_TO, "value"),
                 State(ids.DETAIL_ID, "data"), prevent_initial_call=True)
def show_diff(old, new, pipeline_id):
    pipeline = _pipeline(pipeline_id)
    if pipeline is None or old in (None, "") or new in (None, ""):
        return no_update
    try:
        return diff(pipeline, int(old), int(new))
    except pipelines.NotFound as exc:
        return html.P(str(exc), className="text-danger")
