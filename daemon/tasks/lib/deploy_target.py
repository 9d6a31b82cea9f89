"""Where a deploy task deploys: the registered cluster and the namespace.

A deploy task names its cluster, or deploys where the pipeline runs (its `cluster`), or
to the default cluster; `target_cluster()` finds the row or says what to configure.
Namespaces are checked by Kubernetes' own rule before anything starts. Shared by
deploy_yaml and deploy_chart.
"""
from __future__ import annotations

import re

from daemon.tasks import TaskUnavailable
from models import clusters
from models.i18n import N_
from models.page_names import CLUSTERS_PAGE

NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
ROLLOUT_SECONDS = 300          # like helm --wait; the pipeline's own timeout still applies


def on_pipeline_cluster(task: dict, pipeline: dict) -> dict:
    """The task, its blank `cluster` filled with the pipeline's: deploy where the pipeline runs."""
    return task if task.get("cluster") else {**task, "cluster": pipeline.get("cluster", "")}


def target_cluster(task: dict, name: str, what: str) -> clusters.Cluster:
    """The registered cluster a deploy task names, or the default one; else a message saying what to do."""
    row = (
        clusters.default()
        if name in ("", clusters.LOCAL)
        else clusters.Cluster.get_or_none(clusters.Cluster.name == name)
    )
    if row is None:
        raise TaskUnavailable(
            N_("task '{task}' deploys to cluster '{name}', which is not registered: register it on {page}, or with "
               "python run.py cluster add {name} --kubeconfig FILE", task=task["name"], name=name, page=CLUSTERS_PAGE)
            if name not in ("", "local")
            else N_("task '{task}' deploys {what} but names no cluster and no cluster is the default: register one "
                    "and make it the default on {page}, or with python run.py cluster add NAME --kubeconfig FILE "
                    "--default", task=task["name"], what=what, page=CLUSTERS_PAGE))
    return row


def check_namespace(task: dict, namespace: str) -> None:
    if not NAMESPACE.match(namespace):
        raise TaskUnavailable(N_("task '{task}': namespace {namespace} is not a valid namespace name",
                                 task=task["name"], namespace=repr(namespace)))
