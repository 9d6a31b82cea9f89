"""Who may do what: the manual's permission matrix (PRODUCT.md §8), in one place.

A `Principal` is whoever makes a request: a signed-in user (with the projects they have
joined and their role in each), a token (which narrows its user to its scopes), or the
machine's own operator (the CLI on the data directory, and the daemon: `SYSTEM`). Every
intent asks `require(principal, action, obj)` on the server before it changes anything;
the dashboard also asks `allowed()` to show only what a user may do. docs/permissions.md
says how each row of the matrix is read where the manual is terse.

Actions and the rows they come from:
  see          see a pipeline, its runs and logs    all | joined projects | only own
  create       create from scratch                   any project | joined projects | no
  copy         copy an existing pipeline             all | joined projects | no
  run          run, stop, re-run                     all | joined projects | no
  edit         edit pipeline, trigger rules, advanced settings: only pipelines they created
  activate     activate/deactivate, delete           all | joined projects | no
  see_cluster  see a cluster, run on it              all | joined projects | no
  cluster      add or remove a cluster               administrators
  admin        registries, settings, users, projects, audit: administrators
"""
from __future__ import annotations

from dataclasses import dataclass, field

from models.i18n import N_, Msg

ACTIONS = ("see", "create", "copy", "run", "edit", "activate", "see_cluster", "cluster", "admin")
# The token scope each action needs (a token narrows its user; models/api_tokens.implied).
SCOPE = {"see": "read", "see_cluster": "read", "run": "run", "create": "write", "copy": "write", "edit": "write",
         "activate": "write", "cluster": "admin", "admin": "admin"}


class Forbidden(PermissionError):
    """Refused: the message says what was refused and why (HTTP 403)."""


@dataclass(frozen=True)
class Principal:
    name: str                                   # the actor recorded in the audit trail
    is_admin: bool = False
    roles: dict = field(default_factory=dict)   # {project: 'project_admin' | 'member'}
    scopes: frozenset | None = None             # a token's (implied) scopes; None = a session's: all
    user_id: int | None = None

    def role(self, project: str) -> str | None:
        return self.roles.get(project)


SYSTEM = Principal("system", is_admin=True)


def _project_admin(p: Principal, project: str) -> bool:
    return p.is_admin or p.role(project) == "project_admin"


def _decide(p: Principal, action: str, obj) -> bool:
    project = getattr(obj, "project", None) or (obj if isinstance(obj, str) else None)
    owner = getattr(obj, "owner", None)
    if action == "see":
        return p.is_admin or p.role(project) == "project_admin" or (p.role(project) == "member" and owner == p.name)
    if action in ("create", "copy", "run", "activate"):
        return _project_admin(p, project)
    if action == "edit":
        return (p.is_admin or p.role(project) == "project_admin") and owner == p.name
    if action == "see_cluster":
        return p.is_admin or p.role(project) == "project_admin"
    if action in ("cluster", "admin"):
        return p.is_admin
    raise ValueError(f"unknown action {action!r}")


def allowed(p: Principal, action: str, obj=None) -> bool:
    """Whether `p` may do `action` on `obj` (a pipeline or cluster row, or a project name)."""
    if p is SYSTEM:
        return True
    if p.scopes is not None and SCOPE[action] not in p.scopes:
        return False
    return _decide(p, action, obj)


REFUSALS = {
    "see": N_("you cannot see {what}"),
    "create": N_("you cannot create pipelines in project '{project}': project administrators and administrators can"),
    "copy": N_("you cannot copy {what}: project administrators of its project and administrators can"),
    "run": N_("you cannot run or stop {what}: project administrators of its project and administrators can"),
    "edit": N_("you cannot edit {what}: only the user who created it can (its owner is '{owner}')"),
    "activate": N_("you cannot activate, deactivate or delete {what}: project administrators of its project and "
                   "administrators can"),
    "see_cluster": N_("you cannot use {what}: it belongs to project '{project}'"),
    "cluster": N_("only administrators can add or remove clusters"),
    "admin": N_("only administrators can do this"),
}


def require(p: Principal, action: str, obj=None) -> None:
    """Raise Forbidden, saying why, unless `p` may do `action` on `obj`."""
    if allowed(p, action, obj):
        return
    if p.scopes is not None and SCOPE[action] not in p.scopes:
        raise Forbidden(N_("this token's scopes ({scopes}) do not include '{scope}'",
                           scopes=", ".join(sorted(p.scopes)), scope=SCOPE[action]))
    kind = type(obj).__name__.lower() if obj is not None and not isinstance(obj, str) else "project"
    what = f"{kind} '{getattr(obj, 'name', obj)}'" if obj is not None else "this"
    raise Forbidden(Msg(REFUSALS[action].id, what=what, project=getattr(obj, "project", obj) or "",
                        owner=getattr(obj, "owner", "") or ""))


def principal_of(user, token=None) -> Principal:
    """The principal of a signed-in user, or of a token (narrowed to its scopes)."""
    from models import api_tokens, projects
    scopes = api_tokens.implied(token.scope_set) if token is not None else None
    return Principal(user.username, is_admin=bool(user.is_admin), roles=projects.roles_of(user), scopes=scopes,
                     user_id=user.id)


def visible_projects(p: Principal, action: str = "see") -> list[str] | None:
    """The projects whose objects `p` may see (None: all of them)."""
    if p.is_admin:
        return None
    wanted = ("project_admin", "member") if action == "see" else ("project_admin",)
    return sorted(name for name, role in p.roles.items() if role in wanted)


def new_pipeline_project(p: Principal) -> str:
    """Where a pipeline made by `p` goes: `default` when they may create there, else the first
    project they administer (the editor has no project picker yet)."""
    if allowed(p, "create", "default"):
        return "default"
    mine = sorted(name for name, role in p.roles.items() if role == "project_admin")
    return mine[0] if mine else "default"
