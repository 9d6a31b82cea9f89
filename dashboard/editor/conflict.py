"""The editor's conflict dialog: a save refused because the pipeline changed meanwhile.

The editor saves `based_on` the version it opened (models.pipelines.Stale when a newer one
is stored: the CLI's `apply`, another browser). The dialog says who saved which version,
and offers the choice: reload the stored version (the edits are dropped), see a
side-by-side diff of the stored version against these edits, or overwrite with these edits
(a save based on the version just shown, so a third change is refused again). Cancel keeps
the edits in the editor, unsaved. Declared on `wiring`, registered by pages/editor.py.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.components import time_text
from dashboard.diffview import side_by_side
from dashboard.editor import ids as eid
from dashboard.editor.history import history_new
from dashboard.editor.values import to_widget
from dashboard.editor.yaml_text import masked_yaml, strip_secrets
from dashboard.wiring import Callbacks
from models import pipelines
from models.i18n import _

wiring = Callbacks()


def dialog() -> dbc.Modal:
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle(_("This pipeline was changed meanwhile"))),
        dbc.ModalBody([html.P(id=eid.CONFLICT_TEXT),
                       dbc.Collapse(html.Div(id=eid.CONFLICT_DIFF), id=f"{eid.CONFLICT_DIFF}-open", is_open=False)]),
        dbc.ModalFooter([
            dbc.Button(_("Keep editing"), id=eid.CONFLICT_CANCEL, color="secondary", outline=True, className="me-auto"),
            dbc.Button(_("Reload the stored version"), id=eid.CONFLICT_RELOAD, color="secondary"),
            dbc.Button(_("Show differences"), id=eid.CONFLICT_SHOW_DIFF, color="secondary", outline=True),
            dbc.Button(_("Overwrite with my edits"), id=eid.CONFLICT_OVERWRITE, color="danger"),
        ]),
    ], id=eid.CONFLICT_MODAL, is_open=False, size="xl", scrollable=True)


def refused(stale: pipelines.Stale, edits: dict) -> tuple:
    """(CONFLICT data, the dialog's text, the diff) for a refused save of `edits`."""
    current = stale.current
    stored = strip_secrets(pipelines.definition(current))[0]
    text = _("Version {version} was saved by {user} ({at}) after you opened version {opened}. Nothing was saved. "
             "Reload it (your edits are dropped), or look at the differences and overwrite it with your edits.",
             version=current.version_number, user=current.created_by, at=time_text(current.created_at),
             opened=stale.based_on)
    diff = side_by_side(masked_yaml(stored), masked_yaml(edits), _("stored: version {version}", version=current.version_number),
                        _("your edits"), table_id="editor-conflict-table")
    return {"version": current.version_number, "by": current.created_by}, text, diff


@wiring.callback(Output(f"{eid.CONFLICT_DIFF}-open", "is_open"), Input(eid.CONFLICT_SHOW_DIFF, "n_clicks"),
                 State(f"{eid.CONFLICT_DIFF}-open", "is_open"), prevent_initial_call=True)
def toggle_diff(clicks, shown):
    if not clicks:
        raise PreventUpdate
    return not shown


@wiring.callback(Output(eid.CONFLICT_MODAL, "is_open", allow_duplicate=True),
                 Output(eid.STATE, "data", allow_duplicate=True), Output(eid.META, "data", allow_duplicate=True),
                 Output(eid.SELECTED, "data", allow_duplicate=True), Output(eid.FORM_REV, "data", allow_duplicate=True),
                 Output(eid.field("name"), "value", allow_duplicate=True),
                 Input(eid.CONFLICT_RELOAD, "n_clicks"), Input(eid.CONFLICT_CANCEL, "n_clicks"),
                 State(eid.META, "data"), State(eid.FORM_REV, "data"), prevent_initial_call=True)
def reload_or_cancel(_reload, _cancel, meta, rev):
    """Reload: the editor starts again from the stored version, as if just opened."""
    if not ctx.triggered or not ctx.triggered[0]["value"]:
        raise PreventUpdate
    if ctx.triggered_id == eid.CONFLICT_CANCEL:
        return False, no_update, no_update, no_update, no_update, no_update
    pipeline = pipelines.get(int(meta["pipeline_id"]))
    spec, stored = strip_secrets(pipelines.current_spec(pipeline))
    state = {**history_new(spec), "show_errors": False, "save_errors": None}
    meta = {**meta, "version": pipelines.current_version(pipeline).version_number, "stored": stored}
    return False, state, meta, None, (rev or 0) + 1, to_widget("name", spec.get("name"))
