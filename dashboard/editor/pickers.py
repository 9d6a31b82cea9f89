"""What the editor offers to choose from, where the product knows the answer, and the save
check that a deploy task can deploy somewhere.

A task field declared with a `picker` (models.task_types) becomes a choice: `cluster` a
select of the registered clusters (blank: where the pipeline runs, else the default);
`registry` a select of the registered registries (blank: the configured one); `chart` and
`chart_version` free text with suggestions (the charts in the chart repository, then charts
built earlier in this definition and charts deployed before; a version field suggests the
versions of its chart: editor/chart_picker.py), since a chart published earlier in the same
run is not known yet; when the repository could not be read a note under the field says why. Namespaces and registry workspaces are free text with suggestions (each
cluster's own namespace, those deployed to, and those the saved pipelines name). A value no longer registered stays choosable, so saving never drops it.

`choices()` reads models/ once, as the editor opens (plain data in its META store).
`deploy_problems()` is the save check: a deploy task whose cluster is not registered, or
that names none where no cluster is the default, is refused on its cluster field with the
page that fixes it. The daemon applies the same rule at run time (daemon/tasks/lib/deploy_target).
"""
from __future__ import annotations

from models import chart_listing, clusters, pipelines, registries, releases, task_types
from models.chart_index import newest_first
from models.i18n import _
from models.page_names import CLUSTERS_PAGE


def _named(field: str) -> set[str]:
    """The values the saved pipelines' tasks give `field` (their current versions)."""
    found = set()
    for pipeline in list(pipelines.live()):
        for stage in pipelines.current_spec(pipeline)["stages"]:
            found |= {t[field] for t in stage["tasks"] if isinstance(t.get(field), str) and t[field]
                      and "${" not in t[field]}
    return found


def choices() -> dict:
    """Everything the pickers offer, as JSON-able data."""
    deployed = releases.releases()
    return {"clusters": [c.name for c in clusters.all_clusters()],
            "default_cluster": getattr(clusters.default(), "name", None),
            "registries": [r.name for r in registries.all_registries() if r.name != registries.CHART_CREDENTIALS],
            "namespaces": sorted({c.namespace for c in clusters.all_clusters()} | {r.namespace for r in deployed}
                                 | _named("namespace")),
            "workspaces": sorted(_named("workspace")),
            "charts": sorted({r.chart for r in deployed}),
            "chart_versions": newest_first(r.chart_version for r in deployed), **repository_charts()}


def repository_charts() -> dict:
    """The chart repository's charts and, when they could not be read, why (in the reader's words)."""
    found = chart_listing.listing()
    return {"chart_repository": found.url, "repository_charts": found.charts, "repository_versions": found.versions,
            "chart_note": str(found.problem) if found.problem else ""}


def built_charts(spec: dict) -> tuple[list[str], list[str]]:
    """Chart names and versions the definition's build_chart tasks publish (for a later deploy)."""
    tasks = [t for s in spec.get("stages") or [] for t in s.get("tasks") or [] if t.get("type") == "build_chart"]
    return [t.get("chart_name") for t in tasks if t.get("chart_name")], [t.get("chart_version") for t in tasks
                                                                          if t.get("chart_version")]


def select_options(picker: str, offered: dict, current) -> list[tuple[str, str]] | None:
    """(value, label) for a select picker, or None for free text with suggestions."""
    if picker == "cluster":
        default = offered.get("default_cluster")
        blank = (_("where the pipeline runs (else the default: cluster {name})", name=default) if default
                 else _("where the pipeline runs (else the default: none marked)"))
        names = offered.get("clusters") or []
    elif picker == "registry":
        blank, names = _("the configured registry"), offered.get("registries") or []
    else:
        return None
    out = [("", blank)] + [(n, n) for n in names]
    if current and current not in names:
        out.append((current, _("{name} (not registered)", name=current)))
    return out


def suggestions(picker: str, offered: dict, spec: dict) -> list[str]:
    """Free-text suggestions (a chart_version field's follow its chart: editor/chart_picker.py)."""
    found = {"chart": (offered.get("repository_charts") or []) + built_charts(spec)[0] + (offered.get("charts") or []),
             "namespace": offered.get("namespaces") or [], "workspace": offered.get("workspaces") or []}.get(picker, [])
    return list(dict.fromkeys(v for v in found if v))         # once each, in order


def deploy_problems(spec: dict) -> list[tuple[str, str]]:
    """(path, message) for every deploy task that could not deploy anywhere."""
    registered, default = {c.name for c in clusters.all_clusters()}, clusters.default()
    out = []
    for i, stage in enumerate(spec.get("stages") or []):
        for j, task in enumerate(stage.get("tasks") or []):
            declared = task_types.get(task.get("type"))
            if not declared or not declared.deploys or declared.field_named("cluster") is None:
                continue
            name = task.get("cluster") or spec.get("cluster") or ""
            path = f"stages[{i}].tasks[{j}].cluster"
            if name not in ("", clusters.LOCAL) and name not in registered:
                out.append((path, _("cluster '{name}' is not registered: register it on {page} or choose another",
                                    name=name, page=CLUSTERS_PAGE)))
            elif name in ("", clusters.LOCAL) and default is None:
                out.append((path, _("no usable cluster: choose one here, or register one and make it the default on "
                                    "{page}", page=CLUSTERS_PAGE)))
    return out
