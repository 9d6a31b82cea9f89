"""Code repositories (`/repositories`): which code sources the engine supports so far.

Today a pipeline's code source is a plain git URL (local path, file://, http(s)://),
checked out by the daemon. Connecting GitHub or GitLab accounts through OAuth
applications (PRODUCT.md §6) arrives with its own issue; this page says so.
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard import ids
from dashboard.components import card, sentence
from models.i18n import _
from models import pipelines
from models.tables import Pipeline

dash.register_page(__name__, path="/repositories", name="Code repositories",
                   title=lambda **_params: _("Code repositories · Millrace"))


def _in_use() -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for p in pipelines.live().order_by(Pipeline.name):
        source = pipelines.current_spec(p).get("source") or {}
        if source.get("repository"):
            used.setdefault(source["repository"], []).append(f"{p.name} ({source.get('branch') or 'main'})")
    return used


def layout(**_params):
    used = _in_use()
    listing = (html.Ul([html.Li(sentence(_("{repository} — used by {pipelines}"), repository=html.Code(repo),
                                         pipelines=", ".join(names))) for repo, names in used.items()],
                       className="repos-in-use") if used else html.P(_("No pipeline builds a repository yet."),
                                                                      className="text-muted"))
    return html.Div([
        html.H2(_("Code repositories")),
        # The tab that works today opens selected, so the page never shows an empty panel.
        dbc.Tabs([
            dbc.Tab(card(_("Plain git URLs (supported now)"), [
                html.P(sentence(_("A pipeline's code source can be any git URL the daemon can clone: a local path, "
                                  "{file}, or {http}. Set it in the pipeline editor."),
                                file=html.Code("file://"), http=html.Code("http(s)://"))),
                listing,
            ], className="mt-3"), label=_("Git URLs"), tab_id="git"),
            dbc.Tab(dbc.Alert(_("Connecting a GitHub account (OAuth application) is not available yet; use its "
                                "https:// clone URL as a git URL."), color="info", className="mt-3"),
                    label="GitHub", tab_id="github"),
            dbc.Tab(dbc.Alert(_("Connecting a GitLab account (OAuth application) is not available yet; use its "
                                "https:// clone URL as a git URL."), color="info", className="mt-3"),
                    label="GitLab", tab_id="gitlab"),
        ], active_tab="git", id=ids.REPOS_TABS, className="mb-3"),
    ])
