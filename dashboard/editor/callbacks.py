"""The canvas editor's callbacks for editing: buttons and canvas taps, typing in the side
panel, and redrawing the panel, the button bars, the canvas and the problems list.

Each callback takes few inputs: form controls and buttons are pattern-matched by field
path or operation name, and the pure work is done by graph, commands, history, values
and forms. Declared on `wiring` and registered by the editor page (pages/editor.py calls
`wiring.register()`; dashboard.wiring says why); the YAML tab and saving are in save.
"""
from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import graph
from dashboard.components import error_alert
from dashboard.editor import forms, ids as eid
from dashboard.editor.commands import run_op
from dashboard.editor.controls import error_for, toolbar_state
from dashboard.editor.history import history_push, redo, reset, undo
from dashboard.editor.problems import describe_path, errors_of
from dashboard.editor.values import apply_form, current_pairs, to_widget
from dashboard.wiring import Callbacks
from models.i18n import _, ngettext

FIELD_ALL = {"type": eid.FIELD, "path": ALL, "rev": ALL}
TOGGLE_ALL = {"type": eid.TOGGLE, "path": ALL, "rev": ALL}
FIELDS = [State(FIELD_ALL, "id"), State(FIELD_ALL, "value"), State(TOGGLE_ALL, "id"), State(TOGGLE_ALL, "value")]

wiring = Callbacks()


def form_pairs(rev, field_ids, values, toggle_ids, toggles):
    return current_pairs(field_ids, values, rev or 0) + current_pairs(toggle_ids, toggles, rev or 0)


def name_change(before: dict, after: dict):
    """The name field's new value when an operation other than typing changed the name (undo,
    redo, reset, the YAML tab, a reload), else no_update. Only those write the field: a rebuild
    of the side panel must not, since the stored state can lag the field by the keystrokes still
    on their way to the server, and writing it back then erased what had just been typed."""
    if before.get("name") == after.get("name"):
        return no_update
    return to_widget("name", after.get("name"))


def with_form(state, pairs):
    """Edits still in flight (typed, not yet stored) go in before anything else happens."""
    spec, changed = apply_form(state["present"], pairs)
    return history_push(state, spec) if changed else state


@wiring.callback(Output(eid.STATE, "data", allow_duplicate=True), Output(eid.SELECTED, "data"),
                 Output(eid.FORM_REV, "data", allow_duplicate=True),
                 Output(eid.field("name"), "value", allow_duplicate=True),
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
            return no_update, node, (rev or 0) + 1, no_update
        op = node
    else:
        op = ctx.triggered_id["op"]
    state = with_form(state, form_pairs(rev, *fields))
    if op in ("undo", "redo", "reset"):
        typed, state = state["present"], {"undo": undo, "redo": redo, "reset": reset}[op](state)
        exists = selected and any(e["data"]["id"] == selected for e in graph.spec_to_elements(state["present"]))
        return state, selected if exists else None, (rev or 0) + 1, name_change(typed, state["present"])
    spec, selected = run_op(state["present"], op, selected)
    return history_push(state, spec), selected, (rev or 0) + 1, no_update


@wiring.callback(Output(eid.STATE, "data", allow_duplicate=True), Output(eid.FORM_REV, "data", allow_duplicate=True),
                 Input(FIELD_ALL, "value"), Input(TOGGLE_ALL, "value"), State(FIELD_ALL, "id"), State(TOGGLE_ALL, "id"),
                 State(eid.STATE, "data"), State(eid.FORM_REV, "data"), prevent_initial_call=True)
def edit(values, toggles, field_ids, toggle_ids, state, rev):
    """Typing in a form: one undo step per field; a new type or secret flag rebuilds the form."""
    spec, changed = apply_form(state["present"], form_pairs(rev, field_ids, values, toggle_ids, toggles))
    if not changed:
        raise PreventUpdate
    state = history_push(state, spec, key=changed[0] if len(changed) == 1 else None)
    rebuild = any(p.endswith((".type", ".secret")) for p in changed)
    return state, (rev or 0) + 1 if rebuild else no_update


@wiring.callback(Output(eid.PANEL, "children"),
                 Input(eid.SELECTED, "data"), Input(eid.FORM_REV, "data"), State(eid.STATE, "data"),
                 State(eid.META, "data"), prevent_initial_call=True)
def show_form(selected, rev, state, meta):
    """Rebuild the side panel for the selection (the name field above it is not rebuilt, and
    its value is written only by what changes the name otherwise than typing: name_change)."""
    spec = state["present"]
    return forms.panel(spec, selected, errors_of(state), meta.get("stored") or (), rev or 0,
                       meta.get("placement"), meta.get("pickers"))


@wiring.callback(Output(eid.STAGE_TOOLBAR, "style"), Output(eid.TASK_TOOLBAR, "style"),
                 *(Output(eid.op(name), "disabled") for name in ("stage-left", "stage-right", "task-up", "task-down")),
                 Input(eid.SELECTED, "data"), Input(eid.STATE, "data"))
def show_toolbars(selected, state):
    shown = toolbar_state(state["present"], selected)
    return shown["stage"], shown["task"], shown["stage-left"], shown["stage-right"], shown["task-up"], shown["task-down"]


@wiring.callback(Output(eid.CANVAS, "elements"), Output(eid.PROBLEMS, "children"),
                 Output(eid.op("undo"), "disabled"), Output(eid.op("redo"), "disabled"),
                 Output(eid.op("reset"), "disabled"), Output(eid.DIRTY, "className"), Output(eid.DIRTY, "title"),
                 Output(eid.DIRTY, "data-canvas-label"),
                 Input(eid.STATE, "data"), Input(eid.SELECTED, "data"))
def show_canvas(state, selected):
    spec, errors = state["present"], errors_of(state)
    problems = None
    if errors:
        problems = error_alert([html.Strong(ngettext("Fix {n} problem to save:", "Fix {n} problems to save:", len(errors))),
                                html.Ul([html.Li(f"{describe_path(spec, p)}: {m}") for p, m in errors],
                                        className="mb-0")])
    unchanged = spec == state["initial"]        # "dirty": assets/editor_keys.js asks before leaving,
    # The marker also carries the words assets/editor_keys.js says in the reader's language.
    leave = _("This pipeline has unsaved changes. Leave the editor and lose them?")
    named = _("Pipeline canvas: click a card to edit it; Esc shows the pipeline settings")
    return (graph.spec_to_elements(spec, errors, selected), problems,
            not state["past"], not state["future"], unchanged, "" if unchanged else "dirty", leave, named)


@wiring.callback(Output(FIELD_ALL, "invalid"), Output({"type": eid.FEEDBACK, "path": ALL}, "children"),
                 Input(eid.STATE, "data"), prevent_initial_call=True)
def mark_fields(state):
    errors = errors_of(state)
    invalid = [bool(error_for(errors, o["id"]["path"])) for o in ctx.outputs_list[0]]
    messages = [error_for(errors, o["id"]["path"]) or "" for o in ctx.outputs_list[1]]
    return invalid, messages


# A canvas drawn while its tab was hidden has no size: measure and fit it again once shown —
# and again when the elements the YAML tab produced arrive after that (a slow server answers
# later than the tab switch), but not on later edits, which keep the user's zoom.
wiring.clientside(
    """function(tab, elements) {
        var trigger = (window.dash_clientside.callback_context.triggered[0] || {}).prop_id || "";
        // Fit only once the canvas has a size: a fit while the tab is still hidden leaves the
        // pan NaN (nothing drawn, for good). Try again every 100 ms until it is shown (5 s).
        var tries = 0;
        var refit = function() {
            var el = document.getElementById("%s"), cy = el && el._cyreg && el._cyreg.cy;
            if (!cy) { return; }
            cy.resize();
            if (cy.width() > 0 && cy.height() > 0) {
                if (!isFinite(cy.pan().x) || !isFinite(cy.pan().y)) { cy.pan({x: 0, y: 0}); }
                cy.fit(undefined, 30);
                if (isFinite(cy.pan().x) && isFinite(cy.pan().y)) { return; }
            }
            if (tries++ < 50) { setTimeout(refit, 100); }
        };
        // A layout that ran while the canvas was hidden (elements changed from the YAML tab)
        // leaves the pan NaN: whenever the canvas is shown with such a pan, fit it again.
        if (!window._millraceCanvasGuard) {
            window._millraceCanvasGuard = setInterval(function() {
                var el = document.getElementById("%s"), cy = el && el._cyreg && el._cyreg.cy;
                if (cy && el.offsetWidth > 0 && !(isFinite(cy.pan().x) && isFinite(cy.pan().y))) {
                    cy.resize(); cy.pan({x: 0, y: 0}); cy.fit(undefined, 30);
                }
            }, 250);
        }
        if (trigger.indexOf("active_tab") !== -1) {
            window._millraceRefitUntil = tab === "%s" ? Date.now() + 60000 : 0;
            if (tab === "%s") { setTimeout(refit, 60); }
        } else if (window._millraceRefitUntil && Date.now() < window._millraceRefitUntil) {
            window._millraceRefitUntil = 0;
            setTimeout(refit, 60);
        }
        return window.dash_clientside.no_update;
    }""" % (eid.CANVAS, eid.CANVAS, eid.TAB_CANVAS, eid.TAB_CANVAS),
    Output(eid.CANVAS_FIT, "data"), Input(eid.TABS, "active_tab"), Input(eid.CANVAS, "elements"),
    prevent_initial_call=True)
