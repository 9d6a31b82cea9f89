"""What callers ask of the configured chart repository: its charts (`listing()`) and a chart's
versions (`versions()`), each kept CACHE_SECONDS so an editor that opens again, or a name
typed letter by letter, does not ask the repository each time. Nothing is raised: a
repository that cannot be read comes back with a `problem` (models/chart_index.py says how
HTTP repositories are read, models/chart_oci.py OCI ones).
"""
from __future__ import annotations

import time

from models import chart_index, chart_oci, registries
from models.chart_index import Listing
from models.i18n import Msg

CACHE_SECONDS = 45
_cache: dict[tuple, tuple[float, object]] = {}


def _cached(key: tuple, compute):
    hit = _cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = compute()
    _cache[key] = (time.monotonic(), value)
    return value


def _key(repo) -> tuple:
    """A changed repository or credentials row is a new key: a change is seen at once."""
    row = registries.chart_registry(repo)
    return repo.url, getattr(row, "id", None), str(getattr(row, "updated_at", ""))


def listing() -> Listing:
    """The configured chart repository's charts (an empty Listing when none is configured)."""
    repo = registries.chart_repository()
    if repo is None:
        return Listing()
    reader = chart_index.read_http if registries.is_http(repo.url) else chart_oci.listing
    return _cached(("listing", *_key(repo)), lambda: reader(repo))


def versions(chart: str) -> tuple[list[str], Msg | None]:
    """The versions of `chart` in the repository, newest first, and why they could not be read."""
    found = listing()
    if not chart or not found.url or registries.is_http(found.url) or found.problem is not None and found.names_known:
        return found.versions.get(chart, []), found.problem     # an index has them all; an unreachable one none
    repo = registries.chart_repository()
    return _cached(("tags", chart, *_key(repo)), lambda: chart_oci.tags(repo, chart))
