"""Who is making the current request, for callbacks and intents (set by gate.py)."""
from __future__ import annotations

from flask import g, has_request_context

from models.permissions import SYSTEM, Principal


def principal() -> Principal:
    """The signed-in user's (or token's) principal; outside a request, the machine's operator.
    Inside a request the gate has refused every request without one, so this never guesses."""
    if not has_request_context():
        return SYSTEM
    found = g.get("millrace_principal")
    if found is None:
        raise PermissionError("no signed-in user for this request")   # the gate let one through: a bug
    return found


def actor() -> str:
    """The name the audit trail records for this request's changes."""
    return principal().name


def user():
    return g.get("millrace_user") if has_request_context() else None


def session_id() -> int | None:
    row = g.get("millrace_session") if has_request_context() else None
    return row.id if row is not None else None


def require(action: str, obj=None) -> None:
    """Raise permissions.Forbidden unless the current user may do `action` on `obj`; a
    refusal is audited (who tried what, on which object, and why not)."""
    from models import permissions
    try:
        permissions.require(principal(), action, obj)
    except permissions.Forbidden as exc:
        refused(action, obj, exc)
        raise


def refused(action: str, obj, exc) -> None:
    from models import audit, i18n
    row = obj if hasattr(obj, "id") else None
    audit.record(principal().name, "refused", row, wanted=action, reason=i18n.english(exc.args[0]),
                 object=str(getattr(obj, "name", obj) or ""))


def may(action: str, obj=None) -> bool:
    from models import permissions
    return permissions.allowed(principal(), action, obj)


def may_create() -> bool:
    """Whether the current user may create a pipeline in some project (the list's Create menu)."""
    from models import permissions
    return may("create", permissions.new_pipeline_project(principal()))


def visible(query, model):
    """`query` narrowed to the rows of `model` (Pipeline or Cluster) the current user may see:
    the matrix's "see" row (members: the pipelines they own in their projects)."""
    from models import permissions
    who = principal()
    if who.is_admin:
        return query
    if model.__name__ == "Cluster":
        return query.where(model.project.in_(permissions.visible_projects(who, "run") or [""]))
    administered = [name for name, role in who.roles.items() if role == "project_admin"]
    joined = [name for name, role in who.roles.items() if role == "member"]
    return query.where(model.project.in_(administered or [""]) |
                       (model.project.in_(joined or [""]) & (model.owner == who.name)))


def may_see_run(run_id) -> bool:
    """Whether the current user may see the run (and so its tasks' logs)."""
    from models.tables import Pipeline, Run
    return visible(Run.select(Run.id).join(Pipeline), Pipeline).where(Run.id == run_id).exists()


def may_see_task(task_id) -> bool:
    from models.tables import Pipeline, Run, TaskRun
    if not task_id:
        return False
    return visible(TaskRun.select(TaskRun.id).join(Run).join(Pipeline), Pipeline).where(TaskRun.id == task_id).exists()


def refusal(action: str, obj=None):
    """The Forbidden the current user would get for `action` on `obj` (its message to show)."""
    from models import permissions
    try:
        permissions.require(principal(), action, obj)
    except permissions.Forbidden as exc:
        return exc
    return None
