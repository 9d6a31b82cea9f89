"""CLI verbs for accounts: `user add|list|reset|disable|enable|admin`, `project add|list|role`
and `token add|list|revoke`.

The CLI on the machine is the operator's tool (whoever reads the data directory holds its
key): it acts with every permission and records the OS user (or `--as`) in the audit
trail. A password it makes is printed once; one it is given comes from standard input.
"""
from __future__ import annotations

import sys

from cli.output import table, when, yes_no
from models import accounts, api_tokens, projects
from models.account_tables import ROLES, SCOPES
from models.i18n import _


def add_arguments(subparsers) -> None:
    text = _("dashboard users: user add|list|reset|disable|enable|admin")
    u = subparsers.add_parser("user", help=text, description=text).add_subparsers(
        dest="user_command", required=True, metavar="ACTION")
    a = u.add_parser("add", help=_("add a user (prints a password to change at the first sign-in)"))
    a.set_defaults(func=user_add)
    a.add_argument("name")
    a.add_argument("--admin", action="store_true", help=_("an administrator (every project, settings, users)"))
    a.add_argument("--password-stdin", action="store_true", help=_("read the password from standard input"))
    a.add_argument("--no-forced-change", action="store_true",
                   help=_("with --password-stdin: the password need not be changed at the first sign-in"))
    u.add_parser("list", help=_("list users")).set_defaults(func=user_list)
    for verb, func, words in (("reset", user_reset, _("give a user a new random password")),
                              ("disable", user_disable, _("disable a user: signs them out, refuses their tokens")),
                              ("enable", user_enable, _("enable a disabled user"))):
        sp = u.add_parser(verb, help=words)
        sp.set_defaults(func=func)
        sp.add_argument("name")
    ad = u.add_parser("admin", help=_("make a user an administrator, or (--no) not"))
    ad.set_defaults(func=user_admin)
    ad.add_argument("name")
    ad.add_argument("--no", action="store_true")

    text = _("projects and roles: project add|list|role")
    p = subparsers.add_parser("project", help=text, description=text).add_subparsers(
        dest="project_command", required=True, metavar="ACTION")
    pa = p.add_parser("add", help=_("add a project"))
    pa.set_defaults(func=project_add)
    pa.add_argument("name")
    p.add_parser("list", help=_("list projects and their members")).set_defaults(func=project_list)
    pr = p.add_parser("role", help=_("give a user a role in a project (none: remove them)"))
    pr.set_defaults(func=project_role)
    pr.add_argument("project")
    pr.add_argument("user")
    pr.add_argument("role", choices=(*ROLES, "none"))

    text = _("personal access tokens: token add|list|revoke")
    t = subparsers.add_parser("token", help=text, description=text).add_subparsers(
        dest="token_command", required=True, metavar="ACTION")
    ta = t.add_parser("add", help=_("make a token for a user (printed once)"))
    ta.set_defaults(func=token_add)
    ta.add_argument("user")
    ta.add_argument("name")
    ta.add_argument("--scope", action="append", choices=SCOPES, required=True)
    ta.add_argument("--expires-days", type=int)
    tl = t.add_parser("list", help=_("list a user's tokens (values are never shown)"))
    tl.set_defaults(func=token_list)
    tl.add_argument("user")
    tr = t.add_parser("revoke", help=_("revoke a token"))
    tr.set_defaults(func=token_revoke)
    tr.add_argument("user")
    tr.add_argument("name")


def user_add(args) -> int:
    import secrets as random
    password = sys.stdin.read().rstrip("\r\n") if args.password_stdin else random.token_urlsafe(12)
    user = accounts.create(args.name, password, args.actor, is_admin=args.admin,
                           must_change=not (args.password_stdin and args.no_forced_change))
    print(_("user '{name}' added", name=user.username))
    if not args.password_stdin:
        print(_("password (shown once; to be changed at the first sign-in): {password}", password=password))
    return 0


def user_list(args) -> int:
    rows = [{"user": u.username, "admin": yes_no(u.is_admin), "active": yes_no(u.is_active),
             "last_sign_in": when(u.last_login_at) if u.last_login_at else "–",
             "projects": ", ".join(f"{p}:{r}" for p, r in sorted(projects.roles_of(u).items())) or "–"}
            for u in accounts.all_users()]
    table(rows, ["user", "admin", "active", "last_sign_in", "projects"])
    return 0


def user_reset(args) -> int:
    password = accounts.reset_password(args.name, args.actor)
    print(_("new password for '{name}' (shown once; to be changed at the next sign-in): {password}",
            name=args.name, password=password))
    return 0


def user_disable(args) -> int:
    accounts.set_active(args.name, False, args.actor)
    print(_("user '{name}' disabled", name=args.name))
    return 0


def user_enable(args) -> int:
    accounts.set_active(args.name, True, args.actor)
    print(_("user '{name}' enabled", name=args.name))
    return 0


def user_admin(args) -> int:
    accounts.set_admin(args.name, not args.no, args.actor)
    print(_("'{name}' is an administrator", name=args.name) if not args.no
          else _("'{name}' is no longer an administrator", name=args.name))
    return 0


def project_add(args) -> int:
    projects.create(args.name, args.actor)
    print(_("project '{name}' added", name=args.name))
    return 0


def project_list(args) -> int:
    rows = [{"project": p.name, "members": ", ".join(f"{u}:{r}" for u, r in projects.members(p.name)) or "–"}
            for p in projects.all_projects()]
    table(rows, ["project", "members"])
    return 0


def project_role(args) -> int:
    projects.set_role(args.project, args.user, None if args.role == "none" else args.role, args.actor)
    print(_("'{user}' in project '{project}': {role}", user=args.user, project=args.project, role=args.role))
    return 0


def token_add(args) -> int:
    _row, value = api_tokens.create(accounts.get(args.user), args.name, args.scope, expires_days=args.expires_days)
    print(_("token '{name}' for '{user}' (shown once): {token}", name=args.name, user=args.user, token=value))
    return 0


def token_list(args) -> int:
    rows = [{"name": t.name, "token": t.prefix + "…", "scopes": t.scopes,
             "expires": when(t.expires_at) if t.expires_at else "–",
             "last_used": when(t.last_used_at) if t.last_used_at else "–",
             "state": _("revoked") if t.revoked_at else _("active")} for t in api_tokens.of(accounts.get(args.user))]
    table(rows, ["name", "token", "scopes", "expires", "last_used", "state"])
    return 0


def token_revoke(args) -> int:
    api_tokens.revoke(accounts.get(args.user), args.name, args.actor)
    print(_("token '{name}' of '{user}' revoked", name=args.name, user=args.user))
    return 0
