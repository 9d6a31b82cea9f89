"""Clusters (`/clusters`): registered Kubernetes clusters with their health, API server,
version, namespace and last check; adding one from a pasted or uploaded kubeconfig;
making one the default; removing one (confirmed, naming the pipelines that use it).

The page writes intents only: a cluster added here is stored with its kubeconfig sealed
and health "checking"; the daemon (woken by a nudge) checks it, creates its namespace
and records what it found, which the page's poll then shows. The kubeconfig is never
rendered back. With no cluster, tasks run as local processes (the embedded default).
"""
from __future__ import annotations

import base64
import binascii

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.components import card, error_alert, field, ok_alert, sentence, time_text
from dashboard.auth.current import actor, may, principal
from models import clusters, daemon_state, kubeconfig_commands, permissions, projects
from models.clusters import Health
from models.i18n import N_, _
from models.nudge import wake_daemon

dash.register_page(__name__, path="/clusters", name="Clusters", title=lambda **_params: _("Clusters · Millrace"))

POLL_MS = 2000
HEALTH_COLOURS = {Health.HEALTHY: "success", Health.CHECKING: "secondary", Health.NAMESPACE_MISSING: "warning"}
# the stored health codes as the reader reads them (an unknown code is shown as it is)
HEALTH_WORDS = {Health.HEALTHY: N_("healthy"), Health.CHECKING: N_("checking"),
                Health.NAMESPACE_MISSING: N_("namespace missing"), Health.UNREACHABLE: N_("unreachable"),
                Health.REFUSED: N_("refused"), Health.ERROR: N_("error")}


def rows() -> list[dict]:
    """The registered clusters as plain data (also what the poll compares)."""
    return [{"name": c.name, "server": c.server, "version": c.version or "–", "namespace": c.namespace,
             "health": c.health, "message": c.shown_health_message or (_("the daemon checks a new cluster within seconds")
                                                                  if c.health == "checking" else ""),
             "checked": time_text(c.checked_at) if c.checked_at else _("not yet"), "default": c.is_default,
             "used_by": clusters.users(c.name), "project": c.project}
            for c in clusters.all_clusters() if may("see_cluster", c)]


def health_badge(health: str) -> dbc.Badge:
    colour = HEALTH_COLOURS.get(health, "danger")
    return dbc.Badge(str(HEALTH_WORDS.get(health, health)), color=colour, text_color="dark" if colour == "warning" else None,
                     className=f"cluster-health health-{health.replace(' ', '-')}")


def _button(label: str, action: str, name: str, colour: str, **kwargs) -> html.Button:
    return html.Button(label, id={"type": ids.CLUSTER_ACTION, "action": action, "cluster": name},
                       className=f"btn btn-sm btn-outline-{colour} me-1", **{"data-action": action}, **kwargs)


def table(data: list[dict]):
    if not data:
        return dbc.Alert([_("No Kubernetes cluster is registered: tasks run as local processes on the daemon's "
                            "machine, so pipelines work out of the box. Add a cluster below to run them as pods.")],
                         color="info", className="clusters-local-only")
    manages = may("cluster")          # adding, removing and the default are administrators' (the matrix)
    head = html.Thead(html.Tr([html.Th(h) for h in (_("Cluster"), _("Project"), _("API server"), _("Version"),
                                                    _("Namespace"), _("Health"), _("Last check"), _("Used by"), "")]))
    body = [html.Tr([
        html.Td([html.Span(r["name"], className="cluster-name fw-semibold"),
                 dbc.Badge(_("default"), color="primary", className="ms-2 cluster-default") if r["default"] else None]),
        html.Td(r["project"], className="cluster-project"),
        html.Td(html.Code(r["server"], className="cluster-server")), html.Td(r["version"], className="cluster-version"),
        html.Td(html.Code(r["namespace"])),
        html.Td([health_badge(r["health"]), html.Div(r["message"], className="small text-muted cluster-message")]),
        html.Td(r["checked"], className="cluster-checked"),
        html.Td(", ".join(r["used_by"]) or "–", className="cluster-used-by"),
        html.Td([_button(_("Make default"), "default", r["name"], "primary", disabled=r["default"]),
                 _button(_("Remove"), "remove", r["name"], "danger")] if manages else None,
                className="text-nowrap text-end"),
    ], **{"data-cluster": r["name"]}) for r in data]
    return dbc.Table([head, html.Tbody(body)], hover=True, responsive=True, className="clusters-table align-middle")


def add_form() -> list:
    return [
        dbc.Row([dbc.Col([dbc.Label(_("Name")), dbc.Input(id=ids.CLUSTER_NAME, placeholder="prod", type="text")], md=4),
                 dbc.Col([dbc.Label(_("Context (empty: the kubeconfig's current-context)")),
                          dbc.Input(id=ids.CLUSTER_CONTEXT, type="text")], md=5),
                 dbc.Col([dbc.Label(_("Project")),
                          dbc.Select(id=ids.CLUSTER_PROJECT, value=projects.DEFAULT,
                                     options=[{"label": p.name, "value": p.name} for p in projects.all_projects()])],
                         md=3)], className="mb-2"),
        dbc.Label("Kubeconfig"),
        dbc.Textarea(id=ids.CLUSTER_KUBECONFIG, rows=8, className="font-monospace mb-2",
                     placeholder=_("paste a kubeconfig (kubectl config view --raw --minify), or upload its file")),
        dcc.Upload(html.Div(sentence(_("or {upload}"), upload=html.A(_("upload a kubeconfig file")))),
                   id=ids.CLUSTER_UPLOAD,
                   className="border border-dashed rounded p-2 mb-2 text-center text-muted cluster-upload"),
        dbc.Checkbox(id=ids.CLUSTER_DEFAULT, label=_("Make it the default (pipelines that name no cluster run there)"),
                     value=False, className="mb-2"),
        dbc.Checkbox(id=ids.CLUSTER_RUN_COMMANDS, value=False, className="mb-2",
                     label=_("Allow the command this kubeconfig runs for credentials (an exec plugin) on the daemon's "
                             "machine")),
        html.P(sentence(_("Millrace checks the connection, shows the API server, and creates the namespace {namespace} "
                          "in which task pods run. The kubeconfig is stored encrypted and never shown again."),
                        namespace=html.Code("millrace-<name>")), className="small text-muted"),
        dbc.Button(_("Add cluster"), id=ids.CLUSTER_ADD, color="primary"),
    ]


def local_card():
    beat = daemon_state.alive()
    return card(_("Local execution (the embedded default)"), [
        field(_("Used by"), _("pipelines with cluster: local, or every pipeline when no cluster is the default")),
        field(_("Daemon"), _("running on {host} (pid {pid})", host=beat.hostname, pid=beat.pid) if beat
              else _("not running")),
        field(_("Task slots"), daemon_state.get_setting("task_slots"))])


def layout(**_params):
    if permissions.visible_projects(principal(), "see_cluster") == []:     # a member: no clusters (the matrix)
        return error_alert(_("Only administrators and project administrators can see clusters."))
    data = rows()
    return html.Div([
        html.H2(_("Clusters")),
        html.Div(id=ids.CLUSTERS_FEEDBACK),
        html.Div(table(data), id=ids.CLUSTERS_TABLE),
        card(_("Add a cluster"), add_form(), className="cluster-add-card") if may("cluster") else None,
        local_card(),
        dbc.Modal([dbc.ModalHeader(dbc.ModalTitle(_("Remove cluster"))), dbc.ModalBody(id=ids.CLUSTER_DIALOG_BODY),
                   dbc.ModalFooter([dbc.Button(_("Cancel"), id=ids.CLUSTER_DIALOG_CANCEL, color="secondary",
                                               outline=True),
                                    dbc.Button(_("Remove"), id=ids.CLUSTER_DIALOG_CONFIRM, color="danger")])],
                  id=ids.CLUSTER_DIALOG, is_open=False),
        dcc.Store(id=ids.CLUSTER_PENDING), dcc.Store(id=ids.CLUSTERS_CHANGED, data=0),
        dcc.Store(id=ids.CLUSTERS_SIGNATURE, data=data), dcc.Interval(id=ids.CLUSTERS_POLL, interval=POLL_MS),
    ])


@callback(Output(ids.CLUSTERS_TABLE, "children"), Output(ids.CLUSTERS_SIGNATURE, "data"),
          Input(ids.CLUSTERS_POLL, "n_intervals"), Input(ids.CLUSTERS_CHANGED, "data"),
          State(ids.CLUSTERS_SIGNATURE, "data"), prevent_initial_call=True)
def refresh(_tick, _changed, shown):
    data = rows()
    return (no_update, no_update) if data == shown else (table(data), data)


@callback(Output(ids.CLUSTER_KUBECONFIG, "value"), Input(ids.CLUSTER_UPLOAD, "contents"), prevent_initial_call=True)
def uploaded(contents):
    try:
        return base64.b64decode(contents.split(",", 1)[1]).decode()
    except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
        return ""


@callback(Output(ids.CLUSTERS_FEEDBACK, "children", allow_duplicate=True),
          Output(ids.CLUSTERS_CHANGED, "data", allow_duplicate=True), Output(ids.CLUSTER_NAME, "value"),
          Output(ids.CLUSTER_KUBECONFIG, "value", allow_duplicate=True), Input(ids.CLUSTER_ADD, "n_clicks"),
          State(ids.CLUSTER_NAME, "value"), State(ids.CLUSTER_KUBECONFIG, "value"), State(ids.CLUSTER_CONTEXT, "value"),
          State(ids.CLUSTER_DEFAULT, "value"), State(ids.CLUSTERS_CHANGED, "data"),
          State(ids.CLUSTER_RUN_COMMANDS, "value"), State(ids.CLUSTER_PROJECT, "value"), prevent_initial_call=True)
def add(_clicks, name, kubeconfig, context, make_default, changed, run_commands=False, project=None):
    found = kubeconfig_commands.commands(kubeconfig or "")
    if found and not run_commands:       # shown, and asked, before anything runs or is stored
        return (error_alert([_("This kubeconfig runs a command on the daemon's machine to get its credentials:"),
                             html.Ul([html.Li(html.Code(c)) for c in found], className="mb-1 kubeconfig-commands"),
                             _("Tick “Allow the command …” to add it anyway; nothing was stored.")]),
                no_update, no_update, no_update)
    try:
        row = clusters.add((name or "").strip(), actor(), kubeconfig=kubeconfig or "", context=(context or "").strip() or None,
                           make_default=bool(make_default), project=project or projects.DEFAULT)
    except ValueError as exc:
        return error_alert(str(exc)), no_update, no_update, no_update
    wake_daemon()
    return (ok_alert(_("Cluster '{name}' added (API server {server}); the daemon is checking it and creating "
                       "namespace {namespace}.", name=row.name, server=row.server, namespace=row.namespace)),
            (changed or 0) + 1, "", "")


@callback(Output(ids.CLUSTER_DIALOG, "is_open"), Output(ids.CLUSTER_DIALOG_BODY, "children"),
          Output(ids.CLUSTER_PENDING, "data"), Output(ids.CLUSTERS_FEEDBACK, "children", allow_duplicate=True),
          Output(ids.CLUSTERS_CHANGED, "data", allow_duplicate=True),
          Input({"type": ids.CLUSTER_ACTION, "action": ALL, "cluster": ALL}, "n_clicks"),
          State(ids.CLUSTERS_CHANGED, "data"), prevent_initial_call=True)
def row_action(clicks, changed):
    if not ctx.triggered_id or not any(clicks):
        return no_update, no_update, no_update, no_update, no_update
    action, name = ctx.triggered_id["action"], ctx.triggered_id["cluster"]
    try:
        if action == "default":
            clusters.set_default(name, actor())
            return no_update, no_update, no_update, ok_alert(_("'{name}' is now the default cluster.", name=name)), (changed or 0) + 1
        used = clusters.users(name)
    except LookupError as exc:
        return no_update, no_update, no_update, error_alert(str(exc)), (changed or 0) + 1
    text = [html.P(_("Remove cluster '{name}'? Its kubeconfig is deleted here; namespace millrace-{name} is left on "
                     "the cluster.", name=name))]
    if used:
        # {pipelines} stays a placeholder here: sentence() puts the names in, in bold.
        text.append(dbc.Alert(sentence(_("Used by {n} pipeline(s): {pipelines}. Their runs will fail (or run on "
                                         "the default cluster) until they are edited.", n=len(used),
                                         pipelines="{pipelines}"),
                                       pipelines=html.Strong(", ".join(used))),
                              color="warning", className="cluster-remove-warning"))
    return True, text, name, no_update, no_update


@callback(Output(ids.CLUSTER_DIALOG, "is_open", allow_duplicate=True),
          Output(ids.CLUSTERS_FEEDBACK, "children", allow_duplicate=True),
          Output(ids.CLUSTERS_CHANGED, "data", allow_duplicate=True),
          Input(ids.CLUSTER_DIALOG_CONFIRM, "n_clicks"), Input(ids.CLUSTER_DIALOG_CANCEL, "n_clicks"),
          State(ids.CLUSTER_PENDING, "data"), State(ids.CLUSTERS_CHANGED, "data"), prevent_initial_call=True)
def confirm_remove(_confirm, _cancel, name, changed):
    if ctx.triggered_id != ids.CLUSTER_DIALOG_CONFIRM or not name:
        return False, no_update, no_update
    try:
        clusters.remove(name, actor(), confirmed=True)
    except (LookupError, ValueError) as exc:
        return False, error_alert(str(exc)), (changed or 0) + 1
    return False, ok_alert(_("Cluster '{name}' removed.", name=name)), (changed or 0) + 1
