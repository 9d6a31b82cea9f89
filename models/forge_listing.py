"""What a code repository account can pick from, for the editor's pickers: its repositories
(searched and paged on the forge, never all fetched) and a repository's branches.

- GitHub: `/user/repos?per_page&page` (next page from the `Link` header) and, with a search
  term, `/search/repositories?q=<term> in:name user:<login>` (next page from `total_count`);
  branches `/repos/<owner>/<name>/branches` (GitHub has no branch search: the page of 100 is
  filtered here).
- GitLab: `/projects?membership=true&search=…&per_page&page` (`X-Next-Page`); branches
  `/projects/<path>/repository/branches?search=…`.

Answers are cached CACHE_SECONDS per (account, what, term, page), so paging back and forth
or a panel rebuilt asks the forge once; `refresh=True` (the picker's refresh button) drops
the account's entries first. Failures are a `problem` (a Msg naming the Code repositories
page), never raised, and never cached.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from urllib.parse import quote

from models import forge_client, forge_kinds, page_names
from models.forge_accounts import NeedsReauthorisation
from models.i18n import N_, Msg

PER_PAGE = 50
BRANCHES_PER_PAGE = 100
CACHE_SECONDS = 60

_cache: dict[tuple, tuple[float, object]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Repository:
    name: str               # owner/name (GitLab: the path with its namespace)
    clone_url: str          # what source.repository holds
    default_branch: str = ""


@dataclass(frozen=True)
class Listing:
    items: list = field(default_factory=list)     # Repository, or branch names
    page: int = 1
    has_next: bool = False
    problem: Msg | None = None


def repositories(account, term: str = "", page: int = 1, *, refresh: bool = False) -> Listing:
    """One page of the account's repositories whose name contains `term`."""
    term, page = (term or "").strip(), max(1, int(page or 1))
    return _cached(account, ("repos", term, page), refresh, lambda: _repositories(account, term, page))


def branches(account, clone_url: str, term: str = "", *, refresh: bool = False) -> Listing:
    """The branches (up to BRANCHES_PER_PAGE) of the account's repository at `clone_url` whose
    name contains `term`."""
    term = (term or "").strip()
    project = repository_path(account, clone_url)
    if project is None:
        return Listing(problem=N_("{url} is not a repository of account {account}", url=clone_url,
                                  account=account.name))
    return _cached(account, ("branches", project, term), refresh, lambda: _branches(account, project, term))


def repository_path(account, clone_url: str) -> str | None:
    """`owner/name` of a clone URL on the account's forge (`<web>/<owner>/<name>.git`), else None."""
    prefix = account.base_url.rstrip("/") + "/"
    url = (clone_url or "").strip()
    if not url.startswith(prefix):
        return None
    path = url[len(prefix):]
    path = path[:-4] if path.endswith(".git") else path
    return path.strip("/") or None


def forget(account_id: int) -> None:
    with _lock:
        for key in [k for k in _cache if k[0] == account_id]:
            del _cache[key]


def _cached(account, what: tuple, refresh: bool, ask) -> Listing:
    # The connection is part of the key: an id reused after a deregistration, or a re-authorised
    # account (perhaps another forge login), never gets the answers of before.
    key = (account.id, account.base_url, str(account.connected_at), *what)
    if refresh:
        forget(account.id)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
    found = _asked(account, ask)
    if found.problem is None:
        with _lock:
            _cache[key] = (now + CACHE_SECONDS, found)
    return found


def _asked(account, ask) -> Listing:
    try:
        return ask()
    except NeedsReauthorisation as exc:
        return Listing(problem=N_("account {account} needs re-authorisation ({why}): authorise it again on {page}",
                                  account=account.name, why=exc.args[0] if exc.args else "",
                                  page=page_names.REPOSITORIES_PAGE))
    except forge_client.ForgeError as exc:
        return Listing(problem=N_("the repositories of account {account} could not be listed ({why}); {page} shows "
                                  "the account", account=account.name, why=exc.args[0] if exc.args else "",
                                  page=page_names.REPOSITORIES_PAGE))


def _get(account, path: str, params: dict):
    response = forge_client.request(account, "GET", path, params=params)
    if response.status_code != 200:
        raise forge_client.ForgeError(forge_client.http_error(account, response))
    return response


def _repositories(account, term: str, page: int) -> Listing:
    if account.forge == forge_kinds.GITLAB:
        params = {"membership": "true", "simple": "true", "order_by": "path", "sort": "asc",
                  "per_page": PER_PAGE, "page": page, **({"search": term} if term else {})}
        response = _get(account, "/projects", params)
        items = [Repository(p["path_with_namespace"], p["http_url_to_repo"], p.get("default_branch") or "")
                 for p in response.json()]
        return Listing(items, page, bool(response.headers.get("X-Next-Page")))
    if term:
        response = _get(account, "/search/repositories", {"q": f"{term} in:name user:{account.login}",
                                                            "per_page": PER_PAGE, "page": page})
        body = response.json()
        found, has_next = body.get("items") or [], int(body.get("total_count") or 0) > page * PER_PAGE
    else:
        response = _get(account, "/user/repos", {"per_page": PER_PAGE, "page": page, "sort": "full_name"})
        found, has_next = response.json(), 'rel="next"' in response.headers.get("Link", "")
    return Listing([Repository(r["full_name"], r["clone_url"], r.get("default_branch") or "") for r in found],
                   page, has_next)


def _branches(account, project: str, term: str) -> Listing:
    if account.forge == forge_kinds.GITLAB:
        params = {"per_page": BRANCHES_PER_PAGE, **({"search": term} if term else {})}
        response = _get(account, f"/projects/{quote(project, safe='')}/repository/branches", params)
        names = [b["name"] for b in response.json()]
    else:
        response = _get(account, f"/repos/{project}/branches", {"per_page": BRANCHES_PER_PAGE})
        names = [b["name"] for b in response.json() if term.lower() in b["name"].lower()]
    return Listing(names, 1, False)
