"""What GitHub and GitLab call a repository's hooks and commit statuses, as API paths and
bodies (pure but for `list_all`, which pages through a listing with forge_client.request).

The repository is found from the pipeline's clone URL under the account's web base URL
(`https://github.com/octo/app.git` → `octo/app`); a URL on another host is refused with a
reason. GitHub: /repos/{owner}/{repo}/hooks and /statuses/{sha} (pending, success,
failure, error). GitLab: /projects/{url-encoded path}/hooks and /statuses/{sha} (pending,
success, failed, canceled).
"""
from __future__ import annotations

from urllib.parse import quote

from models import forge_client, forge_kinds
from models.forge_accounts import ForgeAccount
from models.i18n import N_

# a run's end → the state reported (Millrace's word, stored) → each forge's word
GITLAB_STATES = {"pending": "pending", "success": "success", "failure": "failed", "error": "canceled"}
PAGES_AT_MOST = 50


def project_path(account: ForgeAccount, clone_url: str) -> str:
    """`owner/name` (GitLab: `group/sub/name`) of a clone URL on the account's forge."""
    base = account.base_url.rstrip("/") + "/"
    url = clone_url.strip()
    if not url.lower().startswith(base.lower()):
        raise ValueError(N_("repository {url} is not on {forge} at {base}: Millrace cannot manage its webhook or "
                            "statuses with account {account}", url=url, forge=forge_kinds.LABELS[account.forge],
                            base=account.base_url, account=account.name))
    path = url[len(base):].strip("/")
    return path[:-4] if path.endswith(".git") else path


def repo_root(account: ForgeAccount, clone_url: str) -> str:
    path = project_path(account, clone_url)
    if account.forge == forge_kinds.GITHUB:
        return f"/repos/{path}"
    return f"/projects/{quote(path, safe='')}"


def hook_body(account: ForgeAccount, url: str, secret: str) -> dict:
    """Every event Millrace can act on: which start a run is each pipeline's rule's business."""
    if account.forge == forge_kinds.GITHUB:
        return {"name": "web", "active": True, "events": ["push", "pull_request"],
                "config": {"url": url, "content_type": "json", "secret": secret, "insecure_ssl": "0"}}
    return {"url": url, "token": secret, "push_events": True, "tag_push_events": True,
            "merge_requests_events": True, "enable_ssl_verification": True}


def hook_url(account: ForgeAccount, listed: dict) -> str:
    return (listed.get("config") or {}).get("url", "") if account.forge == forge_kinds.GITHUB else listed.get("url", "")


def status_body(account: ForgeAccount, state: str, target_url: str, context: str, description: str) -> dict:
    if account.forge == forge_kinds.GITHUB:
        return {"state": state, "target_url": target_url, "context": context, "description": description[:140]}
    return {"state": GITLAB_STATES[state], "target_url": target_url, "name": context, "description": description[:140]}


def list_all(account: ForgeAccount, path: str) -> list[dict]:
    """Every item of a paged listing (GitHub's Link rel="next", GitLab's X-Next-Page)."""
    items, page = [], 1
    for _ in range(PAGES_AT_MOST):
        response = forge_client.request(account, "GET", f"{path}?per_page=100&page={page}")
        if response.status_code != 200:
            raise forge_client.ForgeError(N_("{forge} answered {error} listing {path}",
                                             forge=forge_kinds.LABELS[account.forge],
                                             error=forge_client.error_words(response), path=path))
        items += response.json()
        more = "next" in response.links if account.forge == forge_kinds.GITHUB \
            else bool(response.headers.get("X-Next-Page"))
        if not more:
            break
        page += 1
    return items
