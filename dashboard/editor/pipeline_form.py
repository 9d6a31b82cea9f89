"""The pipeline's own settings in the editor: the name field above the canvas, and the side
panel's form when nothing is selected.

Description, timeout, static parameters, where the pipeline runs (a registered cluster, the
default, or this machine) and how long its tasks may wait for cluster resources.
"""
from __future__ import annotations

from dash import html

from dashboard.editor.controls import select_field, text_field
from dashboard.placement import DEFAULT_CLUSTER, cluster_options
from models.i18n import _
from models.spec import DEFAULT_SCHEDULING_TIMEOUT_MINUTES


def header(spec: dict, errors) -> html.Div:
    return text_field(_("Pipeline name"), "name", spec.get("name"), errors, required=True,
                      placeholder="my-pipeline", help_text=_("Letters of any script, digits, '.', '_' or '-' (e.g. 流水线-2048)."))


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
