"""Where a pipeline may run, as the pages offer it: the registered clusters, the default
one, and this machine, with the "(default)" choice that stands for a pipeline without
`cluster`. Used by the editor's pipeline settings and the advanced settings dialog (actions).

Reads models.clusters and builds plain data; nothing writes.
"""
from __future__ import annotations

from models import clusters
from models.i18n import _

# A dbc.Select keeps "" for its placeholder, so "nothing chosen" gets a value no cluster name can have.
DEFAULT_CLUSTER = "(default)"    # a pipeline without `cluster`: the default cluster, else this machine


def placement_choices() -> dict:
    """The registered clusters and the default one, as JSON-able data for cluster_options()."""
    chosen = clusters.default()
    return {"clusters": [c.name for c in clusters.all_clusters()], "default": chosen.name if chosen else None}


def cluster_options(choices: dict | None, current: str | None = None) -> list[tuple[str, str]]:
    """(value, label) of where a pipeline may run: the default, this machine, each registered
    cluster; a name no longer registered stays choosable so that saving does not drop it."""
    names, chosen = (choices or {}).get("clusters") or [], (choices or {}).get("default")
    out = [(DEFAULT_CLUSTER, _("default (cluster {name})", name=chosen) if chosen
            else _("default (this machine: no default cluster)")),
           (clusters.LOCAL, _("this machine (local processes)"))] + [(n, _("cluster {name}", name=n)) for n in names]
    if current and current not in names and current != clusters.LOCAL:
        out.append((current, _("cluster {name} (not registered)", name=current)))
    return out
