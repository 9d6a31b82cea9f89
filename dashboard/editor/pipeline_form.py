"""The pipeline's own settings in the editor: the name field and the project above the
canvas, and the side panel's form when nothing is selected.

The project is chosen for a new pipeline among those the user may create in (a Select
beside the name, not in the side panel: the panel is rebuilt for each node, the save reads
the choice); a stored pipeline's project is shown, not changed here.

Description, timeout, static parameters, where the pipeline runs (a registered cluster, the
default, or this machine) and how long its tasks may wait for cluster resources.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from dashboard.editor import ids as eid
from dashboard.editor.controls import select_field, text_field
from dashboard.placement import DEFAULT_CLUSTER, cluster_options
from models.i18n import _
from models.spec import DEFAULT_SCHEDULING_TIMEOUT_MINUTES


def header(spec: dict, errors) -> html.Div:
    return text_field(_("Pipeline name"), "name", spec.get("name"), errors, required=True,
                      placeholder="my-pipeline", help_text=_("Letters of any script, digits, '.', '_' or '-' (e.g. 流水线-2048)."))


def project_field(current: str, choices: list[str], new: bool) -> html.Div:
    """The Project select: a choice for a new pipeline when there is more than one, else fixed."""
    fixed = not new or len(choices) <= 1
    options = [{"label": name, "value": name} for name in (choices if new and choices else [current])]
    note = (_("A pipeline stays in its project.") if not new else
            _("Where the new pipeline goes: its project administrators manage it.") if not fixed else "")
    return html.Div([dbc.Label(_("Project"), html_for=eid.PROJECT, className="mb-0 small"),
                     dbc.Select(id=eid.PROJECT, options=options, value=current, disabled=fixed, size="sm"),
                     dbc.FormText(note)], className="mb-2 editor-project")


def pipeline_form(spec, errors, placement=None):
    """`placement`: the registered clusters and the default (placement.placement_choices())."""
    return [html.H5(_("Pipeline settings")),
            html.P(_("Click a card on the canvas to edit it; the + buttons add stages and tasks."), className="text-muted"),
            text_field(_("Description"), "description", spec.get("description"), errors, multiline=True),
            text_field(_("Timeout (minutes, blank: none)"), "timeout_minutes", spec.get("timeout_minutes"), errors,
                       input_type="text", numeric=True),
            text_field(_("Static parameters (NAME=value, one a line)"), "parameters", spec.get("parameters"), errors,
                       multiline=True, help_text=_("Tasks read them as ${NAME}; ${BUILD_ID} is always defined.")),
            select_field(_("Runs on"), "cluster", spec.get("cluster") or DEFAULT_CLUSTER,
                         cluster_options(placement, spec.get("cluster")), errors),
            text_field(_("Scheduling timeout (minutes a task may wait for cluster resources)"),
                       "scheduling_timeout_minutes", spec.get("scheduling_timeout_minutes"), errors, input_type="text", numeric=True,
                       placeholder=str(DEFAULT_SCHEDULING_TIMEOUT_MINUTES),
                       help_text=_("Blank: {minutes}. The wait does not count toward the timeout; only tasks on a "
                                   "cluster wait.", minutes=DEFAULT_SCHEDULING_TIMEOUT_MINUTES))]
