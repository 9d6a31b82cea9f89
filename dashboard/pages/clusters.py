"""Clusters (`/clusters`): where tasks execute, and how healthy each place is.

Registered Kubernetes clusters (models.clusters) are listed read-only with the health
the daemon last recorded; with none, or for pipelines that name `local`, tasks run as
durable local processes on the daemon's machine. Adding and removing clusters is done
with `python run.py cluster …` until the dashboard form lands.
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard.components import card, field, time_text
from models import daemon_state

dash.register_page(__name__, path="/clusters", name="Clusters", title="Clusters · Millrace")

HEALTH_COLOURS = {"healthy": "success", "checking": "secondary", "unreachable": "danger", "refused": "danger",
                  "namespace missing": "warning", "error": "danger"}


def _clusters() -> list:
    try:
        from models import clusters
        return [(c, clusters.users(c.name)) for c in clusters.all_clusters()]
    except Exception:  # the clusters table is not migrated yet: local execution only
        return []


def cluster_card(c, users: list[str]) -> dbc.Card:
    health = dbc.Badge(c.health, color=HEALTH_COLOURS.get(c.health, "secondary"), className="cluster-health")
    facts = [field("API server", html.Code(c.server or ("in-cluster service account" if c.in_cluster else "–"))),
             field("Namespace", html.Code(c.namespace)), field("Health", [health, f" {c.health_message}"]),
             field("Checked", time_text(c.checked_at)),
             field("Used by", ", ".join(users) if users else "no pipeline")]
    title = f"{c.name}" + (" (default)" if c.is_default else "")
    return card(title, facts, className="cluster-card")


def layout(**_):
    beat = daemon_state.alive()
    found = _clusters()
    local = [field("Executor", "local processes on the daemon's machine"),
             field("Daemon", f"running on {beat.hostname} (pid {beat.pid})" if beat else "not running"),
             field("Task slots", daemon_state.get_setting("task_slots")),
             field("Health", dbc.Badge("healthy" if beat else "no daemon", color="success" if beat else "danger",
                                       className="cluster-health"))]
    intro = ("Pipelines run on the cluster their definition names, else on the default cluster, else locally."
             if found else "No Kubernetes cluster is registered. Tasks run as local processes on the daemon's "
                           "machine, so pipelines work out of the box.")
    return html.Div([
        html.H2("Clusters"),
        dbc.Alert([intro, " Register or remove a cluster with ", html.Code("python run.py cluster add NAME "
                   "--kubeconfig FILE"), " / ", html.Code("cluster remove NAME"), " (the dashboard form is not "
                   "available yet)."], color="info", className="clusters-local-only"),
        *[cluster_card(c, users) for c, users in found],
        card("Local execution (always available)", local),
    ])
