"""The canvas editor's YAML tab and saving: keeping the tab's text and the working
definition in step, and storing a new version (then, for "Save and run now", a run).

Text that is not a definition (a YAML error, with the parser's line and column) keeps the
YAML tab open: leaving it is refused until the text is fixed or undone, so neither the
canvas nor a save ever uses the older definition silently.

Saving validates with models.spec; nothing invalid is stored, and the errors show on the
nodes and fields they concern (problems). A taken name or a secret to retype comes
back on its field; anything else is said in the feedback area with the edits kept. A save
carries the version the editor opened: a newer stored one opens the conflict dialog
(editor.conflict), and "Overwrite" saves again based on the version it showed. A save
that changes nothing stores no version and says so. A new pipeline goes to the project
chosen beside its name (editor.pipeline_form.project_field), if the user may create there.
Declared on `wiring` and registered by the editor page (pages/editor.py).
"""
from __future__ import annotations

from dash import Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.components import error_alert, ok_alert
from dashboard.editor import conflict, ids as eid, pickers, source_picker
from dashboard.editor.callbacks import FIELDS, form_pairs, name_change, with_form
from dashboard.editor.history import history_push
from dashboard.editor.yaml_text import from_yaml, masked_yaml
from dashboard.wiring import Callbacks
from dashboard.auth.current import actor, principal, require
from models import permissions, pipelines, projects, runs
from models.permissions import new_pipeline_project
from models.i18n import _
from models.spec import SpecError, validate


wiring = Callbacks()


@wiring.callback(Output(eid.YAML, "value"), Output(eid.YAML, "invalid"), Output(eid.YAML_ERROR, "children"),
                 Output(eid.STATE, "data", allow_duplicate=True), Output(eid.FORM_REV, "data", allow_duplicate=True),
                 Output(eid.SELECTED, "data", allow_duplicate=True), Output(eid.TABS, "active_tab"),
                 Output(eid.field("name"), "value", allow_duplicate=True),
                 Input(eid.YAML, "value"), Input(eid.TABS, "active_tab"), Input(eid.STATE, "data"),
                 State(eid.FORM_REV, "data"), prevent_initial_call=True)
def sync_yaml(text, tab, state, rev):
    """Both tabs edit one definition: text left in the box (on blur) replaces it, and any
    other change (canvas, undo) rewrites the box while the YAML tab is open. Leaving the
    tab with text that is not a definition brings it back, with the reason."""
    keep = (no_update,) * 3
    unnamed = no_update           # the name field, rewritten only when the text renamed it
    fired = {t["prop_id"] for t in ctx.triggered}
    typed = f"{eid.YAML}.value" in fired
    if not typed and tab != eid.TAB_YAML:
        if f"{eid.TABS}.active_tab" in fired:           # leaving the YAML tab
            _, error = from_yaml(text or "", state["present"])
            if error:
                return no_update, True, blocked(error), *keep, eid.TAB_YAML, unnamed
        raise PreventUpdate      # the box is rewritten when its tab opens
    spec, error = from_yaml(text or "", state["present"])
    if not typed:
        if not error and spec == state["present"]:
            raise PreventUpdate  # the text already says this: keep the user's layout of it
        return masked_yaml(state["present"]), False, "", *keep, no_update, unnamed
    if error:
        return no_update, True, blocked(error), *keep, eid.TAB_YAML if tab != eid.TAB_YAML else no_update, unnamed
    if spec == state["present"]:
        return no_update, False, "", *keep, no_update, unnamed
    try:
        validate(spec)
        show = state.get("show_errors")
    except SpecError:
        show = True
    renamed = name_change(state["present"], spec)
    state = {**history_push(state, spec), "show_errors": show}
    return no_update, False, "", state, (rev or 0) + 1, None, no_update, renamed


def blocked(error: str) -> str:
    return _("{error}. Fix the text (or undo) to go back to the canvas or to save; nothing was applied.", error=error)


@wiring.callback(Output(eid.STATE, "data", allow_duplicate=True), Output(eid.FORM_REV, "data", allow_duplicate=True),
                 Output(eid.YAML_ERROR, "children", allow_duplicate=True),
                 Output(eid.YAML, "invalid", allow_duplicate=True), Output(eid.REDIRECT, "href"),
                 Output(ids.FEEDBACK, "children", allow_duplicate=True),
                 Output(eid.CONFLICT, "data"), Output(eid.CONFLICT_MODAL, "is_open"), Output(eid.CONFLICT_TEXT, "children"),
                 Output(eid.CONFLICT_DIFF, "children"),
                 Input(eid.SAVE, "n_clicks"), Input(eid.SAVE_RUN, "n_clicks"), Input(eid.CONFLICT_OVERWRITE, "n_clicks"),
                 State(eid.STATE, "data"), State(eid.META, "data"), State(eid.FORM_REV, "data"),
                 State(eid.TABS, "active_tab"), State(eid.YAML, "value"), State(eid.CONFLICT, "data"),
                 State(eid.PROJECT, "value"), *FIELDS, prevent_initial_call=True)
def save(_save, _run, _overwrite, state, meta, rev, tab, text, refused, chosen_project, *fields):
    if not ctx.triggered[0]["value"]:
        raise PreventUpdate
    closed = (no_update, False, no_update, no_update)      # the conflict dialog: closed, as it was
    if tab == eid.TAB_YAML:
        spec, error = from_yaml(text or "", state["present"])
        if error:
            return no_update, no_update, blocked(error), True, no_update, no_update, *closed
        state = history_push(state, spec)
    else:
        state = with_form(state, form_pairs(rev, *fields))
    state = {**state, "show_errors": True}
    try:
        canonical = validate(state["present"])
    except SpecError:
        return state, (rev or 0) + 1, no_update, no_update, no_update, no_update, *closed
    if undeployable := (pickers.deploy_problems(canonical)      # on the cluster field, naming the Clusters page
                        + source_picker.account_problems(canonical, meta.get("pipeline_id"))):   # another's account
        state = {**state, "save_errors": {"for": state["present"], "errors": undeployable}}
        return state, (rev or 0) + 1, no_update, no_update, no_update, no_update, *closed
    # "Overwrite" saves based on the newer version the dialog showed; a save, on the one opened.
    based_on = (refused or {}).get("version") if ctx.triggered_id == eid.CONFLICT_OVERWRITE else meta.get("version")
    try:
        if meta.get("pipeline_id"):
            pipeline = pipelines.get(int(meta["pipeline_id"]))
            require("edit", pipeline)
            saved = pipelines.save(pipeline, canonical, actor(), based_on=based_on)
            version, new = saved.version_number, saved.is_new
        else:
            # the editor's choice, checked here again: the page may be older than a role change
            project = projects.get(chosen_project or new_pipeline_project(principal())).name
            require("create", project)
            pipeline, version, new = pipelines.create(canonical, actor(), project=project), 1, True
    except pipelines.Stale as exc:                         # changed meanwhile: the user chooses
        data, words, diff = conflict.refused(exc, state["present"])
        data["run"] = ctx.triggered_id == eid.SAVE_RUN          # "Overwrite" then also starts the run asked for
        return state, (rev or 0) + 1, no_update, no_update, no_update, no_update, data, True, words, diff
    except (SpecError, pipelines.Conflict) as exc:       # secrets to retype, a taken name: on their fields
        # As text, in the reader's language: models/ gives Msgs, which a Store cannot hold.
        errors = [(p, str(m)) for p, m in exc.errors] if isinstance(exc, SpecError) else [("name", str(exc))]
        state = {**state, "save_errors": {"for": state["present"], "errors": errors}}
        return state, (rev or 0) + 1, no_update, no_update, no_update, no_update, *closed
    except Exception as exc:  # noqa: BLE001 — anything else (pipeline deleted meanwhile…): say it, keep the edits
        return state, (rev or 0) + 1, no_update, no_update, no_update, error_alert(_("Not saved: {error}", error=str(exc))), *closed
    message = (_("Saved pipeline '{name}' (version {version}).", name=pipeline.name, version=version) if new else
               _("Nothing changed: pipeline '{name}' stays at version {version}; no new version was stored.",
                 name=pipeline.name, version=version))
    wants_run = ctx.triggered_id == eid.SAVE_RUN or (ctx.triggered_id == eid.CONFLICT_OVERWRITE
                                                      and bool((refused or {}).get("run")))
    if not wants_run:
        return no_update, no_update, no_update, no_update, f"/pipelines/{pipeline.id}", ok_alert(message), *closed
    try:
        require("run", pipeline)
        run = runs.enqueue_run(pipeline, "manual", actor())
    except (runs.RunError, permissions.Forbidden) as exc:
        return (no_update, no_update, no_update, no_update, f"/pipelines/{pipeline.id}",
                error_alert(_("{saved} Not started: {error}", saved=message, error=str(exc))), *closed)
    return (no_update, no_update, no_update, no_update, f"/pipelines/{pipeline.id}/runs/{run.number}",
            ok_alert(_("{saved} Started run #{number}.", saved=message, number=run.number)), *closed)
