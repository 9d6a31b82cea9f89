"""The canvas editor: `/pipelines/new` (from scratch) and `/pipelines/<pipeline_id>/edit`.

This module owns the page's layout: the stores (the working definition and its undo
history live in one, editor.ids.STATE), the undo/redo/save buttons, the canvas with its
side panel, the YAML tab and the conflict dialog. Its callbacks are in
dashboard.editor.callbacks (canvas, forms, problems), dashboard.editor.save (the YAML tab
and saving) and dashboard.editor.conflict (a save refused because the pipeline changed
meanwhile), registered here. The keyboard (Esc, undo/redo), a tap on the empty canvas and
the question before leaving with unsaved edits are assets/editor_keys.js's.
Encrypted secret values never reach the page.
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import dash_cytoscape as cyto
from dash import dcc, html

from dashboard import graph
from dashboard.components import error_alert
from dashboard.editor import callbacks, chart_picker, conflict, forms, ids as eid, pickers, save, source_picker
from dashboard.editor.controls import toolbars
from dashboard.editor.history import history_new
from dashboard.editor.ops import new_spec
from dashboard.editor.pipeline_form import header, project_field
from dashboard.editor.yaml_text import masked_yaml, strip_secrets
from dashboard.placement import placement_choices
from dashboard.auth.current import may, principal, refusal
from models.permissions import new_pipeline_project
from models import pipelines, projects
from models.i18n import _

dash.register_page(__name__, path_template="/pipelines/<pipeline_id>/edit", name="Edit pipeline",
                   title=lambda **_params: _("Edit pipeline · Millrace"))
callbacks.wiring.register()     # canvas, forms, problems
save.wiring.register()          # the YAML tab and saving
conflict.wiring.register()      # a save refused: reload, differences, overwrite
chart_picker.wiring.register()  # a deploy chart task's versions follow its chart name
source_picker.wiring.register()  # the code source's forge, account, repository and branch pickers


def _editor(spec: dict, pipeline_id=None, stored=(), title=None, version=None, project=None):
    state = {**history_new(spec), "show_errors": False, "save_errors": None}
    placement = placement_choices()      # the clusters the pipeline may run on, as the page opens
    toolbar = html.Div([
        dbc.ButtonGroup([dbc.Button(_("↶ Undo"), id=eid.op("undo"), color="secondary", outline=True, disabled=True),
                         dbc.Button(_("↷ Redo"), id=eid.op("redo"), color="secondary", outline=True, disabled=True),
                         dbc.Button(_("Reset"), id=eid.op("reset"), color="secondary", outline=True, disabled=True,
                                    title=_("back to how the pipeline was when the editor opened"))],
                        className="me-3"),
        dbc.Button(_("Save only"), id=eid.SAVE, color="primary", outline=True, className="me-2"),
        dbc.Button(_("Save and run now"), id=eid.SAVE_RUN, color="success"),
        # Pressed by assets/editor_keys.js (Esc, a tap on the empty canvas): back to the pipeline's settings.
        html.Button(id=eid.op(eid.DESELECT), hidden=True, tabIndex="-1"),
        html.Div(id=eid.DIRTY, hidden=True),
    ], className="d-flex align-items-end justify-content-end flex-wrap")
    canvas = dbc.Row([
        dbc.Col(cyto.Cytoscape(id=eid.CANVAS, elements=graph.spec_to_elements(spec), stylesheet=graph.STYLESHEET,
                               layout={"name": "preset", "fit": True, "padding": 30}, autoungrabify=True,
                               minZoom=0.3, maxZoom=1.5, responsive=True,
                               style={"width": "100%", "height": "520px", "border": "1px solid #dee2e6",
                                      "borderRadius": ".375rem", "background": "#fcfcfd"}), lg=8),
        dbc.Col(dbc.Card([dbc.CardHeader(toolbars(), className="py-1"),
                          dbc.CardBody(forms.panel(spec, None, [], placement=placement), id=eid.PANEL)]), lg=4),
    ], className="mt-2")
    yaml_tab = html.Div([
        html.P(_("The same definition as YAML. Edits apply when you leave the box; both tabs edit one pipeline."),
               className="text-muted mt-2 mb-1"),
        dbc.Textarea(id=eid.YAML, value=masked_yaml(spec), debounce=True, spellCheck=False,
                     className="font-monospace", style={"height": "520px"}),
        dbc.FormFeedback(id=eid.YAML_ERROR, type="invalid"),
    ])
    return html.Div([
        dcc.Store(id=eid.STATE, data=state),
        dcc.Store(id=eid.META, data={"pipeline_id": pipeline_id, "version": version, "stored": list(stored),
                                     "placement": placement, "pickers": pickers.choices()}),
        dcc.Store(id=eid.CONFLICT),
        conflict.dialog(),
        dcc.Store(id=eid.SELECTED, data=None),
        dcc.Store(id=eid.FORM_REV, data=0),
        dcc.Store(id=eid.CANVAS_FIT),
        dcc.Location(id=eid.REDIRECT, refresh="callback-nav"),
        dbc.Row([dbc.Col([html.H3(title or _("New pipeline")), html.Div(header(spec, []), id=eid.HEADER),
                          project or project_field(*creatable(), new=True)], md=5),
                 dbc.Col(toolbar, md=7, className="d-flex align-items-center justify-content-end")]),
        html.Div(id=eid.PROBLEMS),
        dbc.Tabs([dbc.Tab(canvas, label=_("Canvas"), tab_id=eid.TAB_CANVAS),
                  dbc.Tab(yaml_tab, label="YAML", tab_id=eid.TAB_YAML)], id=eid.TABS, active_tab=eid.TAB_CANVAS),
    ])


def layout(pipeline_id=None, **_params):
    try:
        pipeline = pipelines.get(int(pipeline_id))
    except (TypeError, ValueError, pipelines.NotFound):
        return error_alert(_("There is no pipeline with id {id}.", id=pipeline_id))
    if not may("see", pipeline):
        return error_alert(_("There is no pipeline with id {id}.", id=pipeline_id))
    if not may("edit", pipeline):          # said before anything is typed, not at save
        return error_alert(str(refusal("edit", pipeline)))
    version = pipelines.current_version(pipeline)
    spec, stored = strip_secrets(pipelines.definition(version))
    return _editor(spec, pipeline.id, stored, title=_("Edit pipeline {name}", name=pipeline.name),
                   version=version.version_number, project=project_field(pipeline.project, [], new=False))


def creatable() -> tuple[str, list[str]]:
    """(the default project of a new pipeline, every project the user may create one in)."""
    return new_pipeline_project(principal()), [p.name for p in projects.all_projects() if may("create", p.name)]


def new_layout(**_params):
    project = new_pipeline_project(principal())
    if not may("create", project):
        return error_alert(str(refusal("create", project)))
    return _editor(new_spec())


dash.register_page(f"{__name__}_new", path="/pipelines/new", layout=new_layout, name="New pipeline",
                   title=lambda **_params: _("New pipeline · Millrace"))
