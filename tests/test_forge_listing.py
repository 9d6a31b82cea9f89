"""The pickers' listing (models/forge_listing.py) against the fake forge over real HTTP: an
account with 5,000 repositories is paged and searched on the forge (never fetched whole),
answers are cached per page and refreshed on demand, branches are listed and searched,
and a revoked account's problem names the Code repositories page. Per-page latency is
printed (run with -s), not asserted."""
from __future__ import annotations

import time

from models import forge_listing
from tests.fakeforge.accounts import connected_account
from tests.fakeforge.fixture import forge  # noqa: F401  (pytest fixture)

COUNT = 5000


def timed(what, ask):
    started = time.perf_counter()
    found = ask()
    print(f"picker latency: {what}: {1000 * (time.perf_counter() - started):.1f} ms")
    return found


def many(instance, login="octocat"):
    names = [f"service-{n:04d}" for n in range(COUNT)]
    instance.add_repos(login, names, branches=("main", "develop", "release/1.0"))
    return names


def test_five_thousand_github_repositories_page_and_search(home, forge):  # noqa: F811
    account = connected_account(forge.github)
    many(forge.github)
    first = timed("github page 1", lambda: forge_listing.repositories(account))
    assert first.problem is None and len(first.items) == forge_listing.PER_PAGE and first.has_next
    assert first.items[0].clone_url == f"{forge.github.url}/octocat/service-0000.git"
    last = timed("github last page", lambda: forge_listing.repositories(account, page=COUNT // forge_listing.PER_PAGE))
    assert last.items[-1].name == "octocat/service-4999" and not last.has_next
    found = timed("github search 'service-42' page 1", lambda: forge_listing.repositories(account, "service-42"))
    assert found.items[0].name == "octocat/service-4200" and len(found.items) == 50 and found.has_next
    second = timed("github search 'service-42' page 2", lambda: forge_listing.repositories(account, "service-42", 2))
    assert second.items[-1].name == "octocat/service-4299" and not second.has_next
    few = forge_listing.repositories(account, "-004")
    assert [r.name for r in few.items] == [f"octocat/service-004{n}" for n in range(10)] and not few.has_next
    again = timed("github page 1 (cached)", lambda: forge_listing.repositories(account))
    assert again is first
    forge.github.add_repos("octocat", ["a-new-one"])
    assert forge_listing.repositories(account) is first                     # within the cache's lifetime
    fresh = timed("github page 1 (refresh)", lambda: forge_listing.repositories(account, refresh=True))
    assert fresh is not first and fresh.problem is None


def test_gitlab_projects_page_search_and_branches(home, forge):  # noqa: F811
    account = connected_account(forge.private_gitlab)
    many(forge.private_gitlab)
    pages = [timed(f"gitlab page {n}", lambda n=n: forge_listing.repositories(account, page=n)) for n in (1, 2, 100)]
    assert [len(p.items) for p in pages] == [50, 50, 50] and [p.has_next for p in pages] == [True, True, False]
    assert pages[1].items[0].name == "octocat/service-0050"
    found = timed("gitlab search", lambda: forge_listing.repositories(account, "service-499"))
    assert [r.name for r in found.items] == [f"octocat/service-499{n}" for n in range(10)]
    url = found.items[0].clone_url
    branches = timed("gitlab branches", lambda: forge_listing.branches(account, url))
    assert branches.items == ["develop", "main", "release/1.0"]
    assert forge_listing.branches(account, url, "rel").items == ["release/1.0"]


def test_github_branches_and_a_revoked_account(home, forge):  # noqa: F811
    account = connected_account(forge.github)
    forge.github.add_repos("octocat", ["app"], branches=("main", "feature/x"))
    url = f"{forge.github.url}/octocat/app.git"
    assert forge_listing.branches(account, url, "feat").items == ["feature/x"]
    assert forge_listing.branches(account, "https://elsewhere.example/x.git").problem is not None
    forge.github.revoke_tokens()
    problem = forge_listing.repositories(account, "zzz").problem
    assert problem is not None and "needs re-authorisation" in str(problem)
    assert "the Code repositories page (/repositories)" in str(problem)
