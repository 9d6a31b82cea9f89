"""The projects page (administrators): every project with its members and their roles;
create a project, remove an empty one (models/projects refuses one that still holds
pipelines or clusters, and its message is shown), and set a user's role in a project
(project administrator, member, or none). What `run.py project …` does, in the browser,
audited with the administrator's name.

The matrix (PRODUCT.md §8, docs/permissions.md) gives managing projects and users to
administrators only, so project administrators do not manage their members here either;
the gate refuses this module's callbacks to anyone else (dashboard/auth/callback_rules.py).
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, html, no_update

from dashboard.auth.current import actor, may
from dashboard.components import card, error_alert, ok_alert
from models import accounts, projects
from models.i18n import N_, _

dash.register_page(__name__, path="/projects", name="Projects", title=lambda **_params: _("Projects · Millrace"))

PROJECTS_TABLE, PROJECTS_FEEDBACK, PROJECT_NAME, PROJECT_DESCRIPTION, PROJECT_ADD = (
    "projects-table", "projects-feedback", "projects-new-name", "projects-new-description", "projects-add")
ROLE_PROJECT, ROLE_USER, ROLE_CHOICE, ROLE_SET = ("projects-role-project", "projects-role-user", "projects-role",
                                                  "projects-role-set")
PROJECT_ACTION = "projects-action"     # {"type": PROJECT_ACTION, "action": "remove", "project": name}
NO_ROLE = "none"
ROLE_WORDS = {"project_admin": N_("project administrator"), "member": N_("member"), NO_ROLE: N_("none")}


def table():
    head = html.Thead(html.Tr([html.Th(_("Project")), html.Th(_("Description")), html.Th(_("Members")), html.Th("")]))
    body = []
    for p in projects.all_projects():
        members = ", ".join(f"{name} ({str(ROLE_WORDS[role])})" for name, role in projects.members(p.name)) or "–"
        remove = "" if p.name == projects.DEFAULT else html.Button(
            _("Remove"), id={"type": PROJECT_ACTION, "action": "remove", "project": p.name},
            className="btn btn-sm btn-outline-danger", **{"data-action": "remove"})
        body.append(html.Tr([html.Td(p.name), html.Td(p.description or "–"), html.Td(members, className="members"),
                             html.Td(remove, className="text-end")], **{"data-project": p.name}))
    return dbc.Table([head, html.Tbody(body)], hover=True, responsive=True, size="sm")


def _options(names) -> list[dict]:
    return [{"label": n, "value": n} for n in names]


def role_form():
    return [dbc.Row([
        dbc.Col(dbc.Select(id=ROLE_PROJECT, options=_options(p.name for p in projects.all_projects()),
                           value=projects.DEFAULT), md=3),
        dbc.Col(dbc.Select(id=ROLE_USER, options=_options(u.username for u in accounts.all_users()),
                           placeholder=_("user")), md=3),
        dbc.Col(dbc.Select(id=ROLE_CHOICE, options=[{"label": str(w), "value": r} for r, w in ROLE_WORDS.items()],
                           value="member"), md=3),
        dbc.Col(dbc.Button(_("Set role"), id=ROLE_SET, color="primary"), md=3)]),
        html.P(_("Administrators are in every project without a role; a project administrator creates, runs and "
                 "manages the pipelines of the project, a member sees the ones they own."),
               className="small text-muted mt-2 mb-0")]


def layout(**_params):
    if not may("admin"):
        return error_alert(_("Only administrators can manage projects."))
    form = dbc.Row([dbc.Col(dbc.Input(id=PROJECT_NAME, placeholder=_("project name")), md=3),
                    dbc.Col(dbc.Input(id=PROJECT_DESCRIPTION, placeholder=_("description (optional)")), md=6),
                    dbc.Col(dbc.Button(_("Create project"), id=PROJECT_ADD, color="primary"), md=3)])
    return html.Div([html.H2(_("Projects")), html.Div(id=PROJECTS_FEEDBACK), html.Div(table(), id=PROJECTS_TABLE),
                     card(_("Create a project"), form), card(_("Set a user's role in a project"), html.Div(
                         role_form(), id="projects-role-form"))])


@callback(Output(PROJECTS_FEEDBACK, "children"), Output(PROJECTS_TABLE, "children"), Output(PROJECT_NAME, "value"),
          Output(ROLE_PROJECT, "options"), Input(PROJECT_ADD, "n_clicks"), State(PROJECT_NAME, "value"),
          State(PROJECT_DESCRIPTION, "value"), prevent_initial_call=True)
def add(_clicks, name, description):
    try:
        row = projects.create(name, actor(), description or "")
    except (ValueError, LookupError) as exc:
        return error_alert(str(exc)), no_update, no_update, no_update
    return (ok_alert(_("Project '{name}' created.", name=row.name)), table(), "",
            _options(p.name for p in projects.all_projects()))


@callback(Output(PROJECTS_FEEDBACK, "children", allow_duplicate=True),
          Output(PROJECTS_TABLE, "children", allow_duplicate=True),
          Output(ROLE_PROJECT, "options", allow_duplicate=True),
          Input({"type": PROJECT_ACTION, "action": ALL, "project": ALL}, "n_clicks"), prevent_initial_call=True)
def remove(clicks):
    if not ctx.triggered_id or not any(clicks):
        return no_update, no_update, no_update
    return remove_project(ctx.triggered_id["project"])


def remove_project(name: str):
    try:
        projects.remove(name, actor())
    except (ValueError, LookupError) as exc:        # still holds pipelines: the model says how many
        return error_alert(str(exc)), no_update, no_update
    return ok_alert(_("Project '{name}' removed.", name=name)), table(), _options(p.name for p in projects.all_projects())


@callback(Output(PROJECTS_FEEDBACK, "children", allow_duplicate=True),
          Output(PROJECTS_TABLE, "children", allow_duplicate=True), Input(ROLE_SET, "n_clicks"),
          State(ROLE_PROJECT, "value"), State(ROLE_USER, "value"), State(ROLE_CHOICE, "value"), prevent_initial_call=True)
def set_role(_clicks, project, username, role):
    if not username:
        return error_alert(_("Choose the user whose role to set.")), no_update
    try:
        projects.set_role(project, username, None if role == NO_ROLE else role, actor())
    except (ValueError, LookupError) as exc:
        return error_alert(str(exc)), no_update
    return ok_alert(_("'{user}' in '{project}': {role}.", user=username, project=project,
                      role=str(ROLE_WORDS.get(role, role)))), table()
