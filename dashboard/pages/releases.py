"""Releases (`/releases`): the chart releases deploy chart tasks made, per cluster and
namespace, each with its revision history, and "roll back to this revision".

A rollback is an intent (models.releases.request_rollback): after the confirmation it
queues a run that re-applies that revision's chart version and values; the daemon does
the cluster work and the new revision appears here when it is deployed. The list is
gathered as plain data (`snapshot`) and re-rendered by the poll only when it changed.
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.components import card, error_alert, ok_alert, sentence, time_text
from dashboard.auth.current import actor, require
from models import daemon_state, releases
from models.i18n import N_, _
from models.tables import Run

dash.register_page(__name__, path="/releases", name="Releases", title=lambda **_params: _("Releases · Millrace"))

POLL_MS = 2000
STATUS_COLOURS = {"deployed": "success", "superseded": "secondary", "failed": "danger"}
STATUS_WORDS = {"deployed": N_("deployed"), "superseded": N_("superseded"), "failed": N_("failed")}
EVERY = "*"         # the filters' "all" (a Select's empty value is its placeholder)


def _run_link(run_id) -> dict | None:
    run = Run.get_or_none(Run.id == run_id) if run_id else None
    return {"label": run.label, "href": f"/pipelines/{run.pipeline_id}/runs/{run.number}"} if run else None


def snapshot(cluster: str | None = None, namespace: str | None = None) -> list[dict]:
    """Every release (of the chosen cluster / namespace) with its revisions, newest first."""
    out = []
    for latest in releases.releases(None if cluster in (None, "", EVERY) else cluster,
                                    None if namespace in (None, "", EVERY) else namespace):
        revisions = releases.history(latest.release, latest.cluster, latest.namespace)
        current = next((r.revision for r in revisions if r.status == "deployed"), None)
        out.append({"release": latest.release, "cluster": latest.cluster, "namespace": latest.namespace,
                    "current": current, "revisions": [{
                        "id": r.id, "revision": r.revision, "status": r.status, "chart": r.chart,
                        "version": r.chart_version, "description": r.description, "reason": r.reason,
                        "values": ", ".join(f"{k}={v}" for k, v in sorted(r.values.items())) or _("chart defaults"),
                        "run": _run_link(r.run_id), "deployed": time_text(r.deployed_at)} for r in revisions]})
    return out


def _places() -> tuple[list[str], list[str]]:
    found = releases.releases()
    return sorted({r.cluster for r in found}), sorted({r.namespace for r in found})


def revision_row(rel: dict, r: dict) -> html.Tr:
    can_roll_back = r["status"] != "failed" and r["revision"] != rel["current"]
    action = html.Button(_("Roll back to this revision"), id={"type": ids.RELEASE_ROLLBACK, "revision": r["id"]},
                         className="btn btn-sm btn-outline-warning", **{"data-action": "rollback"}) \
        if can_roll_back else None
    run = dcc.Link(r["run"]["label"], href=r["run"]["href"]) if r["run"] else "–"
    status = dbc.Badge(str(STATUS_WORDS.get(r["status"], r["status"])), color=STATUS_COLOURS.get(r["status"], "secondary"), className="release-status")
    return html.Tr([html.Td(r["revision"]), html.Td(status), html.Td(f"{r['chart']} {r['version']}"),
                    html.Td(html.Code(r["values"]), className="small"), html.Td(run), html.Td(r["deployed"]),
                    html.Td([r["description"], html.Div(r["reason"], className="small text-danger") if r["reason"]
                             else None]), html.Td(action, className="text-nowrap")],
                   **{"data-revision": r["revision"]})


def release_card(rel: dict) -> html.Div:
    head = html.Thead(html.Tr([html.Th(h) for h in (_("Revision"), _("Status"), _("Chart"), _("Values"), _("Run"),
                                                    _("Deployed"), _("Description"), "")]))
    table = dbc.Table([head, html.Tbody([revision_row(rel, r) for r in rel["revisions"]])], size="sm", hover=True,
                      className="release-history align-middle mb-0")
    current = _("revision {revision} deployed", revision=rel["current"]) if rel["current"] else \
        _("no revision deployed")
    title = _("{release} — cluster {cluster}, namespace {namespace} ({current})", release=rel["release"],
              cluster=rel["cluster"], namespace=rel["namespace"], current=current)
    return html.Div(card(title, table), className="release-card",
                    **{"data-release": rel["release"], "data-cluster": rel["cluster"], "data-namespace": rel["namespace"]})


def release_list(data: list[dict]):
    if not data:
        return html.P(sentence(_("No release yet. Deploy chart tasks install releases; every deploy adds a revision "
                                 "here, and {command} lists them too."), command=html.Code("python run.py releases")),
                      className="text-muted")
    return [release_card(rel) for rel in data]


def dialog() -> html.Div:
    return html.Div([dcc.Store(id=ids.RELEASE_PENDING), dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle(_("Roll back release"))),
        dbc.ModalBody([html.P(id=ids.RELEASE_DIALOG_BODY), html.Div(id=ids.RELEASE_DIALOG_ERROR)]),
        dbc.ModalFooter([dbc.Button(_("Cancel"), id=ids.RELEASE_DIALOG_CANCEL, color="secondary", outline=True),
                         dbc.Button(_("Roll back"), id=ids.RELEASE_DIALOG_CONFIRM, color="warning")]),
    ], id=ids.RELEASE_DIALOG, is_open=False)])


def layout(cluster=None, namespace=None, **_params):
    data = snapshot(cluster, namespace)
    clusters, namespaces = _places()
    every = [{"label": _("all"), "value": EVERY}]
    return html.Div([
        html.H2(_("Releases")),
        html.P(_("Chart releases installed by deploy chart tasks, with their revision history. Rolling back deploys "
                 "an earlier revision's chart version and values again, as a new revision."), className="text-muted"),
        dbc.Row([dbc.Col([dbc.Label(_("Cluster")), dbc.Select(id=ids.RELEASES_CLUSTER, value=cluster or EVERY,
                                                            options=every + [{"label": c, "value": c} for c in clusters])], md=3),
                 dbc.Col([dbc.Label(_("Namespace")), dbc.Select(id=ids.RELEASES_NAMESPACE, value=namespace or EVERY,
                                                              options=every + [{"label": n, "value": n} for n in namespaces])], md=3)],
                className="mb-3"),
        html.Div(id=ids.RELEASES_FEEDBACK),
        dcc.Store(id=ids.RELEASES_SIGNATURE, data=data), dcc.Interval(id=ids.RELEASES_POLL, interval=POLL_MS),
        html.Div(release_list(data), id=ids.RELEASES_LIST),
        dialog(),
    ])


@callback(Output(ids.RELEASES_LIST, "children"), Output(ids.RELEASES_SIGNATURE, "data"),
          Input(ids.RELEASES_POLL, "n_intervals"), Input(ids.RELEASES_CLUSTER, "value"),
          Input(ids.RELEASES_NAMESPACE, "value"), State(ids.RELEASES_SIGNATURE, "data"), prevent_initial_call=True)
def refresh(_n, cluster, namespace, shown):
    data = snapshot(cluster, namespace)
    if data == shown:
        return no_update, no_update
    return release_list(data), data


@callback(Output(ids.RELEASE_DIALOG, "is_open", allow_duplicate=True), Output(ids.RELEASE_DIALOG_BODY, "children"),
          Output(ids.RELEASE_PENDING, "data"), Output(ids.RELEASE_DIALOG_ERROR, "children", allow_duplicate=True),
          Input({"type": ids.RELEASE_ROLLBACK, "revision": ALL}, "n_clicks"), prevent_initial_call=True)
def ask(_clicks):
    # Buttons re-rendered by the poll fire with n_clicks None: only a real click counts.
    if not ctx.triggered or not ctx.triggered[0]["value"]:
        return no_update, no_update, no_update, no_update
    rev = releases.ReleaseRevision.get_by_id(ctx.triggered_id["revision"])
    values = ", ".join(f"{k}={v}" for k, v in sorted(rev.values.items())) or _("the chart's defaults")
    text = _("Roll back release {release} (cluster {cluster}, namespace {namespace}) to revision {revision}? Chart "
             "{chart} {version} is deployed again with {values}, as a new revision made by a run of the pipeline that "
             "deployed revision {revision}.", release=rev.release, cluster=rev.cluster, namespace=rev.namespace,
             revision=rev.revision, chart=rev.chart, version=rev.chart_version, values=values)
    if not daemon_state.alive():
        text += " " + _("No daemon is running, so it waits until one starts.")
    return True, text, rev.id, None


@callback(Output(ids.RELEASE_DIALOG, "is_open"), Output(ids.RELEASE_DIALOG_ERROR, "children"),
          Output(ids.RELEASES_FEEDBACK, "children"), Input(ids.RELEASE_DIALOG_CONFIRM, "n_clicks"),
          Input(ids.RELEASE_DIALOG_CANCEL, "n_clicks"), State(ids.RELEASE_PENDING, "data"), prevent_initial_call=True)
def confirm(_ok, _cancel, pending):
    if ctx.triggered_id == ids.RELEASE_DIALOG_CANCEL or not pending:
        return False, None, no_update
    rev = releases.ReleaseRevision.get_by_id(pending)
    try:
        # a rollback changes what runs on a cluster: administrators' (docs/permissions.md)
        require("cluster")
        run = releases.request_rollback(rev.release, rev.revision, actor(), rev.cluster, rev.namespace)
    except Exception as exc:  # keep the dialog open with the model's words; nothing was queued
        return True, error_alert(str(exc)), no_update
    link = dcc.Link(run.label, href=f"/pipelines/{run.pipeline_id}/runs/{run.number}")
    return False, None, ok_alert(sentence(_("Queued {run}: release {release} goes back to revision {revision}.",
                                            run="{run}", release=rev.release, revision=rev.revision), run=link))
