"""The code source form's pickers: a forge (GitHub, GitLab or a plain git URL), then the
signed-in user's account on it, a repository (searched and paged on the forge:
models/forge_listing.py, with a refresh button) and a branch (searched).

The account select is the form field `source.account` (the definition's value); choosing
a repository or a branch writes its clone URL or name into the `source.repository` /
`source.branch` fields, which stay editable text, so the edit goes through the form like
typing (one undo step each) and a plain git URL works as before. Forge failures (not
reachable, needs re-authorisation) are shown under the picker naming the Code
repositories page. `account_problems()` is the save's check (forge_accounts.usable_by):
a definition may name only the saver's own accounts (an account already stored in the
version being edited stays). Declared on `wiring`, registered by pages/editor.py.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.auth.current import actor
from dashboard.editor import ids as eid
from dashboard.editor.controls import select_field
from dashboard.editor.values import ACCOUNT
from dashboard.wiring import Callbacks
from models import forge_accounts, forge_kinds, forge_listing, pipelines
from models.errors import NotFound
from models.i18n import _

GIT = "git"
wiring = Callbacks()
FIELD_ALL = {"type": eid.FIELD, "path": ALL, "rev": ALL}


def _part(part: str) -> dict:
    return eid.pick(part)


def _all(part: str) -> dict:
    return eid.pick(part, ALL)


def account_options(forge: str, current) -> list[tuple[str, str]]:
    rows = [a for a in forge_accounts.visible(actor()) if a.forge == forge]
    out = [(str(a.id), _account_label(a)) for a in rows]
    if current not in (None, "") and str(current) not in {v for v, _t in out}:
        out.append((str(current), _("account #{id} (not yours)", id=current)))
    return out or [("", _("no {forge} account: connect one on the Code repositories page (/repositories)",
                         forge=forge_kinds.LABELS[forge]))]


def _account_label(account) -> str:
    if account.state == forge_accounts.State.CONNECTED:
        return account.name
    if account.state == forge_accounts.State.NEEDS_REAUTHORISATION:
        return _("{account} (needs re-authorisation)", account=account.name)
    return _("{account} (not authorised yet)", account=account.name)


def forge_of(account_id) -> str:
    try:
        return forge_accounts.get_visible(account_id, actor()).forge if account_id not in (None, "") else GIT
    except NotFound:
        return GIT


def controls(source: dict, errors) -> list:
    """The forge select and, for GitHub/GitLab, the account, repository and branch pickers."""
    current = source.get("account")
    hidden = current in (None, "")
    found = forge_of(current)
    forge = forge_kinds.GITHUB if found == GIT and not hidden else found    # someone else's: shown, to be changed
    forges = [(GIT, _("Plain git URL")), *((f, forge_kinds.LABELS[f]) for f in forge_kinds.FORGES)]
    shown = forge if forge != GIT else forge_kinds.GITHUB
    box = html.Div([
        select_field(_("Account"), ACCOUNT, "" if current is None else str(current),
                     account_options(shown, current), errors),
        dbc.Label(_("Repository")),
        dbc.InputGroup([dbc.Input(id=_part("search"), placeholder=_("search repositories"), debounce=True,
                                  type="search"),
                        dbc.Button("↻", id=_part("refresh"), color="secondary", outline=True,
                                   title=_("refresh the list from the forge"))], size="sm"),
        dbc.Select(id=_part("repo"), value=source.get("repository") or None, options=[], className="mt-1"),
        html.Div([dbc.Button(_("← Previous"), id=_part("prev"), size="sm", color="link", disabled=True),
                  dbc.Button(_("Next →"), id=_part("next"), size="sm", color="link", disabled=True)]),
        dcc.Store(id=_part("page"), data=1),
        dbc.Label(_("Branch")),
        dbc.Input(id=_part("branch-search"), placeholder=_("search branches"), debounce=True, type="search",
                  size="sm"),
        dbc.Select(id=_part("branch"), value=source.get("branch") or None, options=[], className="mt-1"),
        html.Div(id=_part("note"), className="text-danger small source-pick-note"),
    ], id=_part("box"), style={"display": "none"} if hidden and forge == GIT else {}, className="mb-2")
    return [html.Div([dbc.Label(_("Where the code is")),
                      dbc.Select(id=_part("forge"), value=forge, options=[{"label": t, "value": v} for v, t in forges])],
                     className="mb-2"), box]


def _account(value):
    try:
        return forge_accounts.get_visible(value, actor()) if value not in (None, "") else None
    except NotFound:
        return None


def _field(ids, values, path):
    """The value of the form field `path` among the pattern-matched fields."""
    return next((v for i, v in zip(ids or [], values or []) if i["path"] == path), None)


def _to_fields(outputs, values: dict) -> list:
    """One entry per FIELD output: `values[path]`, no_update for every other field. (Callbacks
    match all fields: a literal path holds dots, which Dash cannot have in a callback id.)"""
    return [values.get(o["id"]["path"], no_update) for o in outputs]


@wiring.callback(Output(FIELD_ALL, "options"), Output(FIELD_ALL, "value", allow_duplicate=True),
                 Output(_all("box"), "style"), Input(_all("forge"), "value"), State(FIELD_ALL, "id"),
                 State(FIELD_ALL, "value"), prevent_initial_call=True)
def choose_forge(forges, ids, values):
    """A forge chosen: its accounts (the first one picked), or none for a plain git URL."""
    if not forges:
        raise PreventUpdate
    forge, current = forges[0], _field(ids, values, ACCOUNT)
    if forge == GIT:
        return ([no_update] * len(ids), _to_fields(ctx.outputs_list[1], {ACCOUNT: ""}), [{"display": "none"}])
    options = account_options(forge, None)
    keep = current if any(v == current for v, _t in options) else options[0][0]
    return (_to_fields(ctx.outputs_list[0], {ACCOUNT: [{"label": t, "value": v} for v, t in options]}),
            _to_fields(ctx.outputs_list[1], {ACCOUNT: keep}), [{}])


@wiring.callback(Output(_all("repo"), "options"), Output(_all("page"), "data"), Output(_all("note"), "children"),
                 Output(_all("prev"), "disabled"), Output(_all("next"), "disabled"),
                 Input(FIELD_ALL, "value"), Input(_all("search"), "value"), Input(_all("prev"), "n_clicks"),
                 Input(_all("next"), "n_clicks"), Input(_all("refresh"), "n_clicks"), State(FIELD_ALL, "id"),
                 State(_all("page"), "data"), State(_all("repo"), "value"))
def list_repositories(values, terms, _prev, _next, _refresh, ids, pages, chosen):
    """One page of the account's repositories (the chosen one kept as a choice)."""
    changed = ctx.triggered_id
    if not pages or (isinstance(changed, dict) and changed.get("type") == eid.FIELD and changed["path"] != ACCOUNT):
        raise PreventUpdate
    account = _account(_field(ids, values, ACCOUNT))
    if account is None:
        return [[]], [1], [""], [True], [True]
    part = changed.get("part") if isinstance(changed, dict) else None
    page = {"prev": max(1, (pages[0] or 1) - 1), "next": (pages[0] or 1) + 1}.get(part, 1)
    found = forge_listing.repositories(account, terms[0] if terms else "", page, refresh=part == "refresh")
    options = [{"label": r.name, "value": r.clone_url} for r in found.items]
    current = chosen[0] if chosen else None
    if current and all(o["value"] != current for o in options):
        options.insert(0, {"label": current, "value": current})
    note = str(found.problem) if found.problem else ""
    return [options], [page], [note], [page <= 1], [not found.has_next]


@wiring.callback(Output(_all("branch"), "options"), Input(_all("repo"), "value"),
                 Input(_all("branch-search"), "value"), State(FIELD_ALL, "id"), State(FIELD_ALL, "value"),
                 State(_all("branch"), "value"))
def list_branches(repos, terms, ids, values, chosen):
    """The chosen repository's branches whose name holds the search term."""
    if not repos:
        raise PreventUpdate
    account = _account(_field(ids, values, ACCOUNT))
    found = forge_listing.branches(account, repos[0], terms[0] if terms else "") if account and repos[0] else None
    names = list(found.items) if found and found.problem is None else []
    current = chosen[0] if chosen else None
    if current and current not in names:
        names.insert(0, current)
    return [[{"label": n, "value": n} for n in names]]


@wiring.callback(Output(FIELD_ALL, "value", allow_duplicate=True), Input(_all("repo"), "value"),
                 Input(_all("branch"), "value"), prevent_initial_call=True)
def choose(repos, branches):
    """A repository or branch picked: its clone URL or name goes into the source's field."""
    part = ctx.triggered_id.get("part") if isinstance(ctx.triggered_id, dict) else None
    picked = (repos if part == "repo" else branches) or [None]
    if not part or not picked[0]:
        raise PreventUpdate
    return _to_fields(ctx.outputs_list, {"source.repository" if part == "repo" else "source.branch": picked[0]})


def account_problems(spec: dict, pipeline_id) -> list[tuple[str, str]]:
    """(path, message) when the definition names an account the saver may not use: another
    user's, or none that exists (an account the stored version already names stays)."""
    account = (spec.get("source") or {}).get("account")
    if account is None:
        return []
    if pipeline_id:
        stored = (pipelines.current_spec(pipelines.get(int(pipeline_id))).get("source") or {}).get("account")
        if stored == account:
            return []
    try:
        forge_accounts.usable_by(account, actor())
    except NotFound as exc:
        return [("source.account", str(exc.args[0]) if exc.args else str(exc))]
    return []
