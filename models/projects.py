"""Projects and who has joined them, with which role (project_admin or member).

Pipelines and clusters belong to a project by name (their `project` column, readable in
the SQLite file); `default` holds everything made before projects existed and cannot be
removed. Administrators (user.is_admin) belong to every project without joining.
"""
from __future__ import annotations

import re

from models import audit
from models.account_tables import ROLES, Project, ProjectMember, User
from models.db import write_transaction
from models.errors import Conflict, InUse, NotFound
from models.i18n import N_

NAME = re.compile(r"^\w[\w.-]{0,63}$")
DEFAULT = "default"


def get(name: str) -> Project:
    row = Project.get_or_none(Project.name == name)
    if row is None:
        raise NotFound(N_("no project named '{name}'", name=name))
    return row


def all_projects() -> list[Project]:
    return list(Project.select().order_by(Project.name))


def create(name: str, actor: str, description: str = "") -> Project:
    name = (name or "").strip()
    if not NAME.match(name):
        raise ValueError(N_("project name: use letters, digits, '.', '_' or '-' (at most 64, starting with a "
                            "letter or digit)"))
    with write_transaction():
        if Project.get_or_none(Project.name == name) is not None:
            raise Conflict(N_("a project named '{name}' already exists", name=name))
        row = Project.create(name=name, description=description.strip(), created_by=actor)
        audit.record(actor, "create", row)
    return row


def remove(name: str, actor: str) -> None:
    from models.clusters import Cluster
    from models.tables import Pipeline
    row = get(name)
    if name == DEFAULT:
        raise InUse(N_("the default project cannot be removed"))
    with write_transaction():
        used = Pipeline.select().where((Pipeline.project == name) & Pipeline.deleted_at.is_null()).count()
        used += Cluster.select().where(Cluster.project == name).count()
        if used:
            raise InUse(N_("project '{name}' still holds {n} pipelines or clusters; move or delete them first",
                           name=name, n=used))
        row.delete_instance(recursive=True)
        audit.record(actor, "delete", row)


def set_role(project: str, username: str, role: str | None, actor: str) -> None:
    """Join `username` to `project` with `role`, change the role, or (role None) remove them."""
    if role is not None and role not in ROLES:
        raise ValueError(N_("role: choose from {choices}", choices=", ".join(ROLES)))
    row, user = get(project), User.get_or_none(User.username == username)
    if user is None:
        raise NotFound(N_("no user named '{name}'", name=username))
    with write_transaction():
        ProjectMember.delete().where((ProjectMember.project == row.id) & (ProjectMember.user == user.id)).execute()
        if role is not None:
            ProjectMember.create(project=row, user=user, role=role, added_by=actor)
        audit.record(actor, "set role", row, user=username, role=role or "none")


def roles_of(user: User) -> dict[str, str]:
    """{project name: role} of the projects `user` has joined."""
    query = (ProjectMember.select(ProjectMember.role, Project.name).join(Project)
             .where(ProjectMember.user == user.id))
    return {m.project.name: m.role for m in query}


def members(project: str) -> list[tuple[str, str]]:
    row = get(project)
    query = (ProjectMember.select(ProjectMember.role, User.username).join(User)
             .where(ProjectMember.project == row.id).order_by(User.username))
    return [(m.user.username, m.role) for m in query]
