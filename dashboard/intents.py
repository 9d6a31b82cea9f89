"""The intents the pages offer, as words and deeds: `describe` says what the confirming
dialog asks for an action (or that it needs no dialog: `immediate`, or is refused with a
reason: `refuse`), `perform` carries it out through models/ as the signed-in user (after
models/permissions says they may: the matrix's row for the action) and says what happened. Pure of Dash: dashboard.actions owns the dialog and its callbacks.

Run asks only when there is something to ask (the parameters with their defaults, or a
confirmation for a pipeline that deploys, as models.task_types marks the types); advanced
settings read minutes with models.spec's one rule and save based on the version the dialog
opened; restore stores an old version as a new one (models.pipelines.restore).
"""
from __future__ import annotations

from dashboard.auth.current import actor, principal, require
from dashboard.components import status_word
from dashboard.placement import DEFAULT_CLUSTER, cluster_options, placement_choices
from models import daemon_state, forge_hooks, permissions, pipelines, runs, task_types
from models.i18n import _
from models.spec import minutes_value
from models.tables import Pipeline, Run

IMMEDIATE = {"activate", "deactivate", "repair_webhook"}
# the matrix's action (models/permissions) each intent needs, on its pipeline
NEEDS = {"rerun": "run", "stop": "run", "run": "run", "delete": "activate", "copy": "copy", "settings": "edit", "edit": "edit",
         "restore": "edit", "activate": "activate", "deactivate": "activate",
         "repair_webhook": "edit"}


def may(action: str, pipeline: Pipeline) -> bool:
    """Whether the signed-in user may do `action` on `pipeline` (pages show only those)."""
    return permissions.allowed(principal(), NEEDS.get(action, "admin"), pipeline)


def _latest_active(pipeline: Pipeline) -> Run | None:
    return runs.active_runs(pipeline).order_by(Run.number.desc()).first()


def describe(action: str, pipeline_id: int | None, run_id: int | None, restore=None) -> dict:
    """What the dialog asks for `action`: title, text, which inputs, confirm label; or
    `refuse` (a reason, no dialog) or `immediate` (nothing to ask)."""
    no_daemon = "" if daemon_state.alive() else " " + _("No daemon is running, so it will wait until one starts.")
    try:
        _require(action, pipeline_id, run_id)
    except permissions.Forbidden as exc:
        return dict(refuse=str(exc))
    if run_id:
        run = Run.get_by_id(run_id)
        if action == "rerun":
            return dict(title=_("Re-run {run}", run=run.label), confirm=_("Re-run"), colour="primary",
                        text=_("Start a new run with the configuration of #{number} (definition version {version}).",
                               number=run.number, version=run.version.version_number) + no_daemon)
        return dict(title=_("Stop {run}", run=run.label), confirm=_("Stop"), colour="danger",
                    text=_("Stop run #{number}? Running tasks are terminated.", number=run.number))
    if action == "create-copy":
        return dict(title=_("Create a pipeline by copying"), confirm=_("Copy"), colour="primary", source=True, name="",
                    text=_("The copy takes all stages, tasks and the timeout; the original is unchanged."))
    p = Pipeline.get_by_id(pipeline_id)
    if action == "run" and not p.is_active:
        return dict(refuse=_("'{name}' is deactivated, so it cannot run and its triggers start nothing: "
                             "activate it first (More → Activate).", name=p.name))
    if action == "run":
        spec = pipelines.current_spec(p)
        deploying = [t["name"] for s in spec["stages"] for t in s["tasks"]
                     if getattr(task_types.get(t["type"]), "deploys", False)]
        if not spec["parameters"] and not deploying:
            return dict(immediate=True)      # nothing to ask: one click runs it
        text = _("Start a run of '{name}' now?", name=p.name)
        if deploying:
            text = _("This pipeline deploys ({tasks}). Start a run of '{name}' now?", tasks=", ".join(deploying),
                     name=p.name)
        return dict(title=_("Run {name}", name=p.name), confirm=_("Run"), colour="primary", params=spec["parameters"],
                    text=text + no_daemon)
    if action == "stop":
        active = _latest_active(p)
        return dict(title=_("Stop {run}", run=p.name), confirm=_("Stop"), colour="danger",
                    text=_("Stop run #{number} of '{name}'?", number=active.number, name=p.name) if active
                    else _("'{name}' has no running run.", name=p.name))
    if action == "delete":
        return dict(title=_("Delete {name}", name=p.name), confirm=_("Delete"), colour="danger",
                    text=_("Delete pipeline '{name}'? Its runs stay in the record; this cannot be undone.", name=p.name))
    if action == "copy":
        return dict(title=_("Copy {name}", name=p.name), confirm=_("Copy"), colour="primary", name=f"{p.name}-copy",
                    text=_("The copy takes all stages, tasks and the timeout; the original is unchanged."))
    if action == "restore":
        return dict(title=_("Restore version {version} of {name}", version=restore, name=p.name), confirm=_("Restore"),
                    colour="primary", version=pipelines.current_version(p).version_number,
                    text=_("Save the definition of version {version} as a new version of '{name}'? "
                           "Every version stays in the history.", version=restore, name=p.name))
    if action == "settings":
        spec = pipelines.current_spec(p)
        return dict(title=_("Advanced settings of {name}", name=p.name), confirm=_("Save"), colour="primary",
                    version=pipelines.current_version(p).version_number,
                    timeout=spec["timeout_minutes"], cluster=spec.get("cluster") or DEFAULT_CLUSTER,
                    clusters=[{"label": t, "value": v} for v, t in cluster_options(placement_choices(), spec.get("cluster"))],
                    scheduling=spec.get("scheduling_timeout_minutes"),
                    text=_("A run whose execution time exceeds the timeout is stopped and marked timed out. Its tasks "
                           "run on the cluster chosen here, or on this machine. Saving stores a new version of the "
                           "pipeline."))
    raise ValueError(_("unknown action '{action}'", action=action))


def _require(action: str, pipeline_id, run_id, source=None, row: Pipeline | None = None) -> None:
    """Raise permissions.Forbidden unless the signed-in user may do `action` (checked again at
    perform: the dialog may have been open while their role changed)."""
    if action == "create-copy":
        if source:
            require("copy", pipelines.get(int(source)))
        return
    if run_id:
        require(NEEDS[action], Run.get_by_id(run_id).pipeline)
    elif pipeline_id:
        require(NEEDS.get(action, "admin"), row if row is not None else Pipeline.get_by_id(pipeline_id))


def perform(pending: dict, name=None, source=None, timeout=None, placement=None,
            parameters=None, result: dict | None = None, row: Pipeline | None = None) -> tuple[str, str | None]:
    """Carry out an intent; returns (what happened, where to go next or None). Raises with the model's message.
    `placement` ({"cluster", "scheduling"}, settings only): where the pipeline runs; None leaves it as it is.
    `parameters` (run only): the values overriding the pipeline's defaults for this run.
    `result`, if given, gets what the intent made: {"run": Run} (run, rerun) or {"pipeline": Pipeline}
    (copy, create-copy), for a caller that answers with it (the REST API).
    `row`: the pipeline `pending` names, as the caller read it in this request (the REST API), so
    it is not read twice more."""
    result = {} if result is None else result
    action = pending["action"]
    if row is not None and row.id != pending.get("pipeline"):
        row = None
    _require(action, pending.get("pipeline"), pending.get("run"), source, row)
    who = actor()
    if pending.get("run"):
        run = Run.get_by_id(pending["run"])
        if action == "rerun":
            new = result["run"] = runs.rerun(run, who)
            return _("Queued {run} (re-run of #{number}).", run=new.label, number=run.number), None
        return (_("Stop requested for {run}.", run=run.label) if runs.request_stop(run, who)
                else _("{run} had already ended ({status}).", run=run.label, status=status_word(run.status))), None
    if action == "create-copy":
        copied = result["pipeline"] = pipelines.copy(pipelines.get(int(source)), (name or "").strip(), who)
        return _("Created '{name}' as a copy.", name=copied.name), f"/pipelines/{copied.id}"
    p = row if row is not None and row.deleted_at is None else pipelines.get(int(pending["pipeline"]))
    if action == "run":
        run = result["run"] = runs.enqueue_run(p, "manual", who, parameters=parameters or None)
        changed = ", ".join(f"{k}={v}" for k, v in (parameters or {}).items())
        if changed:
            return _("Queued {run} with {changes}.", run=run.label, changes=changed), None
        return _("Queued {run}.", run=run.label), None
    if action == "stop":
        active = _latest_active(p)
        if active is None or not runs.request_stop(active, who):
            return _("'{name}' has no running run.", name=p.name), None
        return _("Stop requested for {run}.", run=active.label), None
    if action == "delete":
        pipelines.delete(p, who)
        return _("Deleted '{name}'.", name=p.name), "/pipelines"
    if action == "copy":
        copied = result["pipeline"] = pipelines.copy(p, (name or "").strip(), who)
        return _("Copied '{name}' to '{copy}'.", name=p.name, copy=copied.name), None
    if action == "settings":
        spec = pipelines.current_spec(p)
        spec["timeout_minutes"] = minutes_value(timeout)
        if placement is not None:
            spec["cluster"] = "" if placement.get("cluster") in (None, DEFAULT_CLUSTER) else placement["cluster"]
            spec["scheduling_timeout_minutes"] = minutes_value(placement.get("scheduling"))
        version = pipelines.save(p, spec, who, based_on=pending.get("version"))
        if not version.is_new:
            return _("Nothing changed: '{name}' stays at version {version}.", name=p.name,
                     version=version.version_number), None
        saved = pipelines.definition(version)
        runs_on = saved.get("cluster")
        where = "" if placement is None else (
            _(", runs on this machine") if runs_on == "local" else
            _(", runs on cluster {cluster}", cluster=runs_on) if runs_on else _(", runs on the default"))
        minutes = saved["timeout_minutes"]
        timeout = _("{minutes} min", minutes=minutes) if minutes else _("none")
        return _("Saved the timeout of '{name}' ({timeout}{where}).", name=p.name, timeout=timeout, where=where), None
    if action == "restore":
        version = pipelines.restore(p, int(pending["restore"]), who, based_on=pending.get("version"))
        if not version.is_new:
            return _("Nothing changed: version {version} is what '{name}' holds already.", version=pending["restore"],
                     name=p.name), None
        return _("Restored version {old} of '{name}' as version {version}.", old=pending["restore"], name=p.name,
                 version=version.version_number), None
    if action == "repair_webhook":
        forge_hooks.request_repair(p, who)
        return _("The daemon checks the webhook of '{name}' on the forge now and registers it again if it is "
                 "missing.", name=p.name), None
    if action in IMMEDIATE:
        pipelines.set_active(p, action == "activate", who)
        if action == "activate":
            return _("'{name}' is now active.", name=p.name), None
        return _("'{name}' is now inactive: no trigger or run starts it.", name=p.name), None
    raise ValueError(_("unknown action '{action}'", action=action))
