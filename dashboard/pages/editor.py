"""The canvas editor: `/pipelines/new` (from scratch) and `/pipelines/<pipeline_id>/edit`.

The working definition and its undo history live in one dcc.Store (editor_ids.STATE);
the canvas, the side panel, the problems list and the YAML tab are views of it. Each
callback takes few inputs: form controls and buttons are pattern-matched by field path
or operation name, and the pure work is done by graph, editor_ops and editor_forms.
Saving validates with models.spec; nothing invalid is stored, and the errors show on
the nodes and fields they concern. Encrypted secret values never reach the page.
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import dash_cytoscape as cyto
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import editor_forms as forms, editor_ids as eid, editor_ops as ops, graph, ids
from dashboard.settings_forms import placement_choices
from dashboard.components import error_alert, ok_alert
from models import pipelines, runs
from models.spec import SpecError, dump_yaml, validate

ACTOR = "dashboard"

dash.register_page(__name__, path_template="/pipelines/<pipeline_id>/edit", name="Edit pipeline",
                   title="Edit pipeline · Millrace")


def errors_of(state: dict) -> list:
    """What to show: validation errors once a save was tried, and what the last save refused."""
    out = []
    if state.get("show_errors"):
        try:
            validate(state["present"])
        except SpecError as exc:
            out = list(exc.errors)
    refused = state.get("save_errors") or {}
    if refused.get("for") == state["present"]:
        out += [tuple(e) for e in refused["errors"] if tuple(e) not in out]
    return out


def _editor(spec: dict, pipeline_id=None, stored=(), title="New pipeline"):
    state = {**ops.history_new(spec), "show_errors": False, "save_errors": None}
    placement = placement_choices()      # the clusters the pipeline may run on, as the page opens
    toolbar = html.Div([
        dbc.ButtonGroup([dbc.Button("↶ Undo", id=eid.op("undo"), color="secondary", outline=True, disabled=True),
                         dbc.Button("↷ Redo", id=eid.op("redo"), color="secondary", outline=True, disabled=True),
                         dbc.Button("Reset", id=eid.op("reset"), color="secondary", outline=True, disabled=True,
                                    title="back to how the pipeline was when the editor opened")], className="me-3"),
        dbc.Button("Save only", id=eid.SAVE, color="primary", outline=True, className="me-2"),
        dbc.Button("Save and run now", id=eid.SAVE_RUN, color="success"),
    ], className="d-flex align-items-end justify-content-end flex-wrap")
    canvas = dbc.Row([
        dbc.Col(cyto.Cytoscape(id=eid.CANVAS, elements=graph.spec_to_elements(spec), stylesheet=graph.STYLESHEET,
                               layout={"name": "preset", "fit": True, "padding": 30}, autoungrabify=True,
                               minZoom=0.3, maxZoom=1.5, responsive=True,
                               style={"width": "100%", "height": "520px", "border": "1px solid #dee2e6",
                                      "borderRadius": ".375rem", "background": "#fcfcfd"}), lg=8),
        dbc.Col(dbc.Card([dbc.CardHeader(forms.toolbars(), className="py-1"),
                          dbc.CardBody(forms.panel(spec, None, [], placement=placement), id=eid.PANEL)]), lg=4),
    ], className="mt-2")
    yaml_tab = html.Div([
        html.P("The same definition as YAML. Edits apply when you leave the box; both tabs edit one pipeline.",
               className="text-muted mt-2 mb-1"),
        dbc.Textarea(id=eid.YAML, value=dump_yaml(spec), debounce=True, spellCheck=False,
                     className="font-monospace", style={"height": "520px"}),
        dbc.FormFeedback(id=eid.YAML_ERROR, type="invalid"),
    ])
    return html.Div([
        dcc.Store(id=eid.STATE, data=state),
        dcc.Store(id=eid.META, data={"pipeline_id": pipeline_id, "stored": list(stored), "placement": placement}),
        dcc.Store(id=eid.SELECTED, data=None),
        dcc.Store(id=eid.FORM_REV, data=0),
        dcc.Store(id=eid.CANVAS_FIT),
        dcc.Location(id=eid.REDIRECT, refresh="callback-nav"),
        dbc.Row([dbc.Col([html.H3(title), html.Div(forms.header(spec, []), id=eid.HEADER)], md=5),
                 dbc.Col(toolbar, md=7, className="d-flex align-items-center justify-content-end")]),
        html.Div(id=eid.PROBLEMS),
        dbc.Tabs([dbc.Tab(canvas, label="Canvas", tab_id=eid.TAB_CANVAS),
                  dbc.Tab(yaml_tab, label="YAML", tab_id=eid.TAB_YAML)], id=eid.TABS, active_tab=eid.TAB_CANVAS),
    ])


def layout(pipeline_id=None, **_):
    try:
        pipeline = pipelines.get(int(pipeline_id))
    except (TypeError, ValueError, pipelines.NotFound):
        return error_alert(f"There is no pipeline with id {pipeline_id}.")
    spec, stored = ops.strip_secrets(pipelines.current_spec(pipeline))
    return _editor(spec, pipeline.id, stored, title=f"Edit pipeline {pipeline.name}")


def new_layout(**_):
    return _editor(ops.new_spec())


dash.register_page(f"{__name__}_new", path="/pipelines/new", layout=new_layout, name="New pipeline",
                   title="New pipeline · Millrace")

FIELD_ALL = {"type": eid.FIELD, "path": ALL, "rev": ALL}
TOGGLE_ALL = {"type": eid.TOGGLE, "path": ALL, "rev": ALL}
FIELDS = [State(FIELD_ALL, "id"), State(FIELD_ALL, "value"), State(TOGGLE_ALL, "id"), State(TOGGLE_ALL, "value")]


def _pairs(rev, field_ids, values, toggle_ids, toggles):
    return forms.current_pairs(field_ids, values, rev or 0) + forms.current_pairs(toggle_ids, toggles, rev or 0)


def _with_form(state, pairs):
    """Edits still in flight (typed, not yet stored) go in before anything else happens."""
    spec, changed = forms.apply_form(state["present"], pairs)
    return ops.history_push(state, spec) if changed else state


@callback(Output(eid.STATE, "data", allow_duplicate=True), Output(eid.SELECTED, "data"),
          Output(eid.FORM_REV, "data", allow_duplicate=True),
          Input({"type": eid.OP, "op": ALL}, "n_clicks"), Input(eid.CANVAS, "tapNode"),
          State(eid.STATE, "data"), State(eid.SELECTED, "data"), State(eid.FORM_REV, "data"), *FIELDS,
          prevent_initial_call=True)
def operate(_clicks, tap, state, selected, rev, *fields):
    """Buttons, canvas "+" nodes and node selection."""
    if not ctx.triggered or not ctx.triggered[0]["value"]:
        raise PreventUpdate      # a button just rendered, not clicked
    if ctx.triggered_id == eid.CANVAS:
        node = (tap or {}).get("data", {}).get("id")
        if not graph.parse_node(node):
            raise PreventUpdate
        if not node.startswith("add-"):
            return no_update, node, (rev or 0) + 1
        op = node
    else:
        op = ctx.triggered_id["op"]
    state = _with_form(state, _pairs(rev, *fields))
    if op in ("undo", "redo", "reset"):
        state = {"undo": ops.undo, "redo": ops.redo, "reset": ops.reset}[op](state)
        exists = selected and any(e["data"]["id"] == selected for e in graph.spec_to_elements(state["present"]))
        return state, selected if exists else None, (rev or 0) + 1
    spec, selected = ops.run_op(state["present"], op, selected)
    return ops.history_push(state, spec), selected, (rev or 0) + 1


@callback(Output(eid.STATE, "data", allow_duplicate=True), Output(eid.FORM_REV, "data", allow_duplicate=True),
          Input(FIELD_ALL, "value"), Input(TOGGLE_ALL, "value"), State(FIELD_ALL, "id"), State(TOGGLE_ALL, "id"),
          State(eid.STATE, "data"), State(eid.FORM_REV, "data"), prevent_initial_call=True)
def edit(values, toggles, field_ids, toggle_ids, state, rev):
    """Typing in a form: one undo step per field; a new type or secret flag rebuilds the form."""
    spec, changed = forms.apply_form(state["present"], _pairs(rev, field_ids, values, toggle_ids, toggles))
    if not changed:
        raise PreventUpdate
    state = ops.history_push(state, spec, key=changed[0] if len(changed) == 1 else None)
    rebuild = any(p.endswith((".type", ".secret")) for p in changed)
    return state, (rev or 0) + 1 if rebuild else no_update


@callback(Output(eid.PANEL, "children"), Output(eid.field("name"), "value"),
          Input(eid.SELECTED, "data"), Input(eid.FORM_REV, "data"), State(eid.STATE, "data"), State(eid.META, "data"),
          prevent_initial_call=True)
def show_form(selected, rev, state, meta):
    """Rebuild the side panel for the selection (the name field stays: only its value follows)."""
    spec = state["present"]
    name = forms.to_widget("name", spec.get("name"))
    return forms.panel(spec, selected, errors_of(state), meta.get("stored") or (), rev or 0,
                       meta.get("placement")), name


@callback(Output(eid.STAGE_TOOLBAR, "style"), Output(eid.TASK_TOOLBAR, "style"),
          *(Output(eid.op(name), "disabled") for name in ("stage-left", "stage-right", "task-up", "task-down")),
          Input(eid.SELECTED, "data"), Input(eid.STATE, "data"))
def show_toolbars(selected, state):
    shown = forms.toolbar_state(state["present"], selected)
    return shown["stage"], shown["task"], shown["stage-left"], shown["stage-right"], shown["task-up"], shown["task-down"]


@callback(Output(eid.CANVAS, "elements"), Output(eid.PROBLEMS, "children"),
          Output(eid.op("undo"), "disabled"), Output(eid.op("redo"), "disabled"), Output(eid.op("reset"), "disabled"),
          Input(eid.STATE, "data"), Input(eid.SELECTED, "data"))
def show_canvas(state, selected):
    spec, errors = state["present"], errors_of(state)
    problems = None
    if errors:
        problems = error_alert([html.Strong(f"Fix {len(errors)} problem{'s' if len(errors) > 1 else ''} to save:"),
                                html.Ul([html.Li(f"{forms.describe_path(spec, p)}: {m}") for p, m in errors],
                                        className="mb-0")])
    return (graph.spec_to_elements(spec, errors, selected), problems,
            not state["past"], not state["future"], spec == state["initial"])


@callback(Output(FIELD_ALL, "invalid"), Output({"type": eid.FEEDBACK, "path": ALL}, "children"),
          Input(eid.STATE, "data"), prevent_initial_call=True)
def mark_fields(state):
    errors = errors_of(state)
    invalid = [bool(forms.error_for(errors, o["id"]["path"])) for o in ctx.outputs_list[0]]
    messages = [forms.error_for(errors, o["id"]["path"]) or "" for o in ctx.outputs_list[1]]
    return invalid, messages


# A canvas drawn while its tab was hidden has no size: measure and fit it again once shown.
clientside_callback(
    """function(tab) {
        if (tab === "%s") {
            setTimeout(function() {
                var el = document.getElementById("%s"), cy = el && el._cyreg && el._cyreg.cy;
                if (cy) { cy.resize(); cy.fit(undefined, 30); }
            }, 60);
        }
        return window.dash_clientside.no_update;
    }""" % (eid.TAB_CANVAS, eid.CANVAS),
    Output(eid.CANVAS_FIT, "data"), Input(eid.TABS, "active_tab"), prevent_initial_call=True)


@callback(Output(eid.YAML, "value"), Output(eid.YAML, "invalid"), Output(eid.YAML_ERROR, "children"),
          Output(eid.STATE, "data", allow_duplicate=True), Output(eid.FORM_REV, "data", allow_duplicate=True),
          Output(eid.SELECTED, "data", allow_duplicate=True),
          Input(eid.YAML, "value"), Input(eid.TABS, "active_tab"), Input(eid.STATE, "data"),
          State(eid.FORM_REV, "data"), prevent_initial_call=True)
def sync_yaml(text, tab, state, rev):
    """Both tabs edit one definition: text left in the box (on blur) replaces it, and any
    other change (canvas, undo) rewrites the box while the YAML tab is open."""
    keep = (no_update,) * 3
    if ctx.triggered_id != eid.YAML and tab != eid.TAB_YAML:
        raise PreventUpdate      # the box is rewritten when its tab opens
    spec, error = ops.from_yaml(text or "")
    if ctx.triggered_id != eid.YAML:
        if not error and spec == state["present"]:
            raise PreventUpdate  # the text already says this: keep the user's layout of it
        return dump_yaml(state["present"]), False, "", *keep
    if error:
        return no_update, True, error, *keep
    if spec == state["present"]:
        return no_update, False, "", *keep
    try:
        validate(spec)
        show = state.get("show_errors")
    except SpecError:
        show = True
    state = {**ops.history_push(state, spec), "show_errors": show}
    return no_update, False, "", state, (rev or 0) + 1, None


@callback(Output(eid.STATE, "data", allow_duplicate=True), Output(eid.FORM_REV, "data", allow_duplicate=True),
          Output(eid.YAML_ERROR, "children", allow_duplicate=True), Output(eid.YAML, "invalid", allow_duplicate=True),
          Output(eid.REDIRECT, "href"),
          Output(ids.FEEDBACK, "children", allow_duplicate=True),
          Input(eid.SAVE, "n_clicks"), Input(eid.SAVE_RUN, "n_clicks"),
          State(eid.STATE, "data"), State(eid.META, "data"), State(eid.FORM_REV, "data"),
          State(eid.TABS, "active_tab"), State(eid.YAML, "value"), *FIELDS, prevent_initial_call=True)
def save(_save, _run, state, meta, rev, tab, text, *fields):
    if not ctx.triggered[0]["value"]:
        raise PreventUpdate
    if tab == eid.TAB_YAML:
        spec, error = ops.from_yaml(text or "")
        if error:
            return no_update, no_update, error, True, no_update, no_update
        state = ops.history_push(state, spec)
    else:
        state = _with_form(state, _pairs(rev, *fields))
    state = {**state, "show_errors": True}
    try:
        canonical = validate(state["present"])
    except SpecError:
        return state, (rev or 0) + 1, no_update, no_update, no_update, no_update
    try:
        if meta.get("pipeline_id"):
            pipeline = pipelines.get(int(meta["pipeline_id"]))
            version = pipelines.save(pipeline, canonical, ACTOR).version_number
        else:
            pipeline, version = pipelines.create(canonical, ACTOR), 1
    except (SpecError, pipelines.Conflict) as exc:       # secrets to retype, a taken name: on their fields
        errors = exc.errors if isinstance(exc, SpecError) else [("name", str(exc))]
        state = {**state, "save_errors": {"for": state["present"], "errors": errors}}
        return state, (rev or 0) + 1, no_update, no_update, no_update, no_update
    except Exception as exc:  # noqa: BLE001 — anything else (pipeline deleted meanwhile…): say it, keep the edits
        return state, (rev or 0) + 1, no_update, no_update, no_update, error_alert(f"Not saved: {exc}")
    message = f"Saved pipeline '{pipeline.name}' (version {version})."
    if ctx.triggered_id != eid.SAVE_RUN:
        return no_update, no_update, no_update, no_update, f"/pipelines/{pipeline.id}", ok_alert(message)
    try:
        run = runs.enqueue_run(pipeline, "manual", ACTOR)
    except runs.RunError as exc:
        return no_update, no_update, no_update, no_update, f"/pipelines/{pipeline.id}", error_alert(f"{message} Not started: {exc}")
    return (no_update, no_update, no_update, no_update, f"/pipelines/{pipeline.id}/runs/{run.number}",
            ok_alert(f"{message} Started run #{run.number}."))
