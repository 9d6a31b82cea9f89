"""The intents the pages offer, as words and deeds: `describe` says what the confirming
dialog asks for an action (or that it needs no dialog: `immediate`, or is refused with a
reason: `refuse`), `perform` carries it out through models/ with the actor "dashboard" and
says what happened. Pure of Dash: dashboard.actions owns the dialog and its callbacks.

Run asks only when there is something to ask (the parameters with their defaults, or a
confirmation for a pipeline that deploys, as models.task_types marks the types); advanced
settings read minutes with models.spec's one rule and save based on the version the dialog
opened; restore stores an old version as a new one (models.pipelines.restore).
"""
from __future__ import annotations

from dashboard.placement import DEFAULT_CLUSTER, cluster_options, placement_choices
from models import daemon_state, pipelines, runs, task_types
from models.spec import minutes_value
from models.tables import Pipeline, Run

ACTOR = "dashboard"
IMMEDIATE = {"activate", "deactivate"}


def _latest_active(pipeline: Pipeline) -> Run | None:
    return runs.active_runs(pipeline).order_by(Run.number.desc()).first()


def describe(action: str, pipeline_id: int | None, run_id: int | None, restore=None) -> dict:
    """What the dialog asks for `action`: title, text, which inputs, confirm label; or
    `refuse` (a reason, no dialog) or `immediate` (nothing to ask)."""
    no_daemon = "" if daemon_state.alive() else " No daemon is running, so it will wait until one starts."
    if run_id:
        run = Run.get_by_id(run_id)
        if action == "rerun":
            return dict(title=f"Re-run {run.label}", confirm="Re-run", colour="primary",
                        text=f"Start a new run with the configuration of #{run.number} "
                             f"(definition version {run.version.version_number}).{no_daemon}")
        return dict(title=f"Stop {run.label}", confirm="Stop", colour="danger",
                    text=f"Stop run #{run.number}? Running tasks are terminated.")
    if action == "create-copy":
        return dict(title="Create a pipeline by copying", confirm="Copy", colour="primary", source=True, name="",
                    text="The copy takes all stages, tasks and the timeout; the original is unchanged.")
    p = Pipeline.get_by_id(pipeline_id)
    if action == "run" and not p.is_active:
        return dict(refuse=f"'{p.name}' is deactivated, so it cannot run and its triggers start nothing: "
                           "activate it first (More → Activate).")
    if action == "run":
        spec = pipelines.current_spec(p)
        deploying = [t["name"] for s in spec["stages"] for t in s["tasks"]
                     if getattr(task_types.get(t["type"]), "deploys", False)]
        if not spec["parameters"] and not deploying:
            return dict(immediate=True)      # nothing to ask: one click runs it
        text = f"Start a run of '{p.name}' now?"
        if deploying:
            text = f"This pipeline deploys ({', '.join(deploying)}). Start a run of '{p.name}' now?"
        return dict(title=f"Run {p.name}", confirm="Run", colour="primary", params=spec["parameters"],
                    text=text + no_daemon)
    if action == "stop":
        active = _latest_active(p)
        return dict(title=f"Stop {p.name}", confirm="Stop", colour="danger",
                    text=f"Stop run #{active.number} of '{p.name}'?" if active else f"'{p.name}' has no running run.")
    if action == "delete":
        return dict(title=f"Delete {p.name}", confirm="Delete", colour="danger",
                    text=f"Delete pipeline '{p.name}'? Its runs stay in the record; this cannot be undone.")
    if action == "copy":
        return dict(title=f"Copy {p.name}", confirm="Copy", colour="primary", name=f"{p.name}-copy",
                    text="The copy takes all stages, tasks and the timeout; the original is unchanged.")
    if action == "restore":
        return dict(title=f"Restore version {restore} of {p.name}", confirm="Restore", colour="primary",
                    version=pipelines.current_version(p).version_number,
                    text=f"Save the definition of version {restore} as a new version of '{p.name}'? "
                         "Every version stays in the history.")
    if action == "settings":
        spec = pipelines.current_spec(p)
        return dict(title=f"Advanced settings of {p.name}", confirm="Save", colour="primary",
                    version=pipelines.current_version(p).version_number,
                    timeout=spec["timeout_minutes"], cluster=spec.get("cluster") or DEFAULT_CLUSTER,
                    clusters=[{"label": t, "value": v} for v, t in cluster_options(placement_choices(), spec.get("cluster"))],
                    scheduling=spec.get("scheduling_timeout_minutes"),
                    text="A run whose execution time exceeds the timeout is stopped and marked timed out. Its tasks "
                         "run on the cluster chosen here, or on this machine. Saving stores a new version of the pipeline.")
    raise ValueError(f"unknown action '{action}'")


def perform(pending: dict, name=None, source=None, timeout=None, placement=None,
            parameters=None) -> tuple[str, str | None]:
    """Carry out an intent; returns (what happened, where to go next or None). Raises with the model's message.
    `placement` ({"cluster", "scheduling"}, settings only): where the pipeline runs; None leaves it as it is.
    `parameters` (run only): the values overriding the pipeline's defaults for this run."""
    action = pending["action"]
    if pending.get("run"):
        run = Run.get_by_id(pending["run"])
        if action == "rerun":
            new = runs.rerun(run, ACTOR)
            return f"Queued {new.label} (re-run of #{run.number}).", None
        return (f"Stop requested for {run.label}." if runs.request_stop(run, ACTOR)
                else f"{run.label} had already ended ({run.status})."), None
    if action == "create-copy":
        copied = pipelines.copy(pipelines.get(int(source)), (name or "").strip(), ACTOR)
        return f"Created '{copied.name}' as a copy.", f"/pipelines/{copied.id}"
    p = pipelines.get(int(pending["pipeline"]))
    if action == "run":
        run = runs.enqueue_run(p, "manual", ACTOR, parameters=parameters or None)
        changed = ", ".join(f"{k}={v}" for k, v in (parameters or {}).items())
        return f"Queued {run.label}" + (f" with {changed}." if changed else "."), None
    if action == "stop":
        active = _latest_active(p)
        if active is None or not runs.request_stop(active, ACTOR):
            return f"'{p.name}' has no running run.", None
        return f"Stop requested for {active.label}.", None
    if action == "delete":
        pipelines.delete(p, ACTOR)
        return f"Deleted '{p.name}'.", "/pipelines"
    if action == "copy":
        copied = pipelines.copy(p, (name or "").strip(), ACTOR)
        return f"Copied '{p.name}' to '{copied.name}'.", None
    if action == "settings":
        spec = pipelines.current_spec(p)
        spec["timeout_minutes"] = minutes_value(timeout)
        if placement is not None:
            spec["cluster"] = "" if placement.get("cluster") in (None, DEFAULT_CLUSTER) else placement["cluster"]
            spec["scheduling_timeout_minutes"] = minutes_value(placement.get("scheduling"))
        version = pipelines.save(p, spec, ACTOR, based_on=pending.get("version"))
        if not version.is_new:
            return f"Nothing changed: '{p.name}' stays at version {version.version_number}.", None
        saved = pipelines.definition(version)
        runs_on = saved.get("cluster")
        where = "" if placement is None else ", runs on " + (
            "this machine" if runs_on == "local" else f"cluster {runs_on}" if runs_on else "the default")
        minutes = saved["timeout_minutes"]
        return f"Saved the timeout of '{p.name}' ({f'{minutes} min' if minutes else 'none'}{where}).", None
    if action == "restore":
        version = pipelines.restore(p, int(pending["restore"]), ACTOR, based_on=pending.get("version"))
        if not version.is_new:
            return f"Nothing changed: version {pending['restore']} is what '{p.name}' holds already.", None
        return f"Restored version {pending['restore']} of '{p.name}' as version {version.version_number}.", None
    if action in IMMEDIATE:
        pipelines.set_active(p, action == "activate", ACTOR)
        return f"'{p.name}' is now {'active' if action == 'activate' else 'inactive: no trigger or run starts it'}.", None
    raise ValueError(f"unknown action '{action}'")
