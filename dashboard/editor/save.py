"""The canvas editor's YAML tab and saving: keeping the tab's text and the working
definition in step, and storing a new version (then, for "Save and run now", a run).

Saving validates with models.spec; nothing invalid is stored, and the errors show on the
nodes and fields they concern (problems). A taken name or a secret to retype comes
back on its field; anything else is said in the feedback area with the edits kept.
Declared on `wiring` and registered by the editor page (pages/editor.py).
"""
from __future__ import annotations

from dash import Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.components import error_alert, ok_alert
from dashboard.editor import ids as eid
from dashboard.editor.callbacks import FIELDS, form_pairs, with_form
from dashboard.editor.history import history_push
from dashboard.editor.yaml_text import from_yaml
from dashboard.wiring import Callbacks
from models import pipelines, runs
from models.spec import SpecError, dump_yaml, validate

ACTOR = "dashboard"

wiring = Callbacks()


@wiring.callback(Output(eid.YAML, "value"), Output(eid.YAML, "invalid"), Output(eid.YAML_ERROR, "children"),
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
    spec, error = from_yaml(text or "")
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
    state = {**history_push(state, spec), "show_errors": show}
    return no_update, False, "", state, (rev or 0) + 1, None


@wiring.callback(Output(eid.STATE, "data", allow_duplicate=True), Output(eid.FORM_REV, "data", allow_duplicate=True),
                 Output(eid.YAML_ERROR, "children", allow_duplicate=True),
                 Output(eid.YAML, "invalid", allow_duplicate=True), Output(eid.REDIRECT, "href"),
                 Output(ids.FEEDBACK, "children", allow_duplicate=True),
                 Input(eid.SAVE, "n_clicks"), Input(eid.SAVE_RUN, "n_clicks"),
                 State(eid.STATE, "data"), State(eid.META, "data"), State(eid.FORM_REV, "data"),
                 State(eid.TABS, "active_tab"), State(eid.YAML, "value"), *FIELDS, prevent_initial_call=True)
def save(_save, _run, state, meta, rev, tab, text, *fields):
    if not ctx.triggered[0]["value"]:
        raise PreventUpdate
    if tab == eid.TAB_YAML:
        spec, error = from_yaml(text or "")
        if error:
            return no_update, no_update, error, True, no_update, no_update
        state = history_push(state, spec)
    else:
        state = with_form(state, form_pairs(rev, *fields))
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
