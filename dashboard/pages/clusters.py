"""Clusters (`/clusters`): what the engine can execute on today.

Only local execution exists so far: with no cluster registered, every task runs as a
durable local process on the daemon's machine (PRODUCT.md §7, "the embedded default").
Adding a Kubernetes cluster (kubeconfig, health, namespace) arrives with its own issue.
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard.components import card, field
from models import daemon_state

dash.register_page(__name__, path="/clusters", name="Clusters", title="Clusters · Millrace")


def layout(**_):
    beat = daemon_state.alive()
    local = [field("Executor", "local processes on the daemon's machine"),
             field("Daemon", f"running on {beat.hostname} (pid {beat.pid})" if beat else "not running"),
             field("Task slots", daemon_state.get_setting("task_slots")),
             field("Health", dbc.Badge("healthy" if beat else "no daemon", color="success" if beat else "danger",
                                       className="cluster-health"))]
    return html.Div([
        html.H2("Clusters"),
        dbc.Alert(["No Kubernetes cluster is registered. Tasks run as local processes on the daemon's machine, "
                   "so pipelines work out of the box. Registering a cluster (kubeconfig upload, health checks, "
                   "a ", html.Code("millrace-…"), " namespace for task pods) is not available yet."],
                  color="info", className="clusters-local-only"),
        card("Local execution (default)", local),
    ])
