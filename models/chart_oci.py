"""What an OCI chart repository (`oci://host[:port]/path`) can tell about its charts, through
the registry's HTTP API (the distribution spec), read-only.

A chart's versions: `GET /v2/<path>/<chart>/tags/list` (helm stores `+` of a version as
`_` in the tag; turned back here). Chart names: an OCI registry has no index, only
`GET /v2/_catalog` (every repository of the registry; those directly under the path are the
charts; first CATALOG_PAGE only). Many registries (Docker Hub, GHCR, ECR, …) refuse the
catalog or limit it: then the names are not known, `names_known` is False and the note says
the registry does not list its charts (a chart's versions are still read when it is named).
Credentials answer both a Basic challenge and the usual Bearer token challenge.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import requests

from models import registries
from models.chart_index import TIMEOUT, Listing, describe_failure, newest_first, tls_verify, unreadable
from models.i18n import N_, Msg

CATALOG_PAGE = 1000
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


def _base(repo) -> tuple[str, str, object]:
    """(the registry's API base URL, the path charts live under, its registry row or None)."""
    host, _, path = repo.url[len("oci://"):].partition("/")
    row = registries.chart_registry(repo)
    plain = row is not None and registries.speaks_plain_http(row.url, bool(row.insecure))
    return ("http://" if plain else "https://") + host, path.strip("/"), row


def _get(url: str, row, directory: Path, scope: str) -> requests.Response:
    """GET with the row's credentials; a Bearer challenge is answered with a token for `scope`."""
    insecure = bool(getattr(row, "insecure", False))
    verify = tls_verify(insecure, getattr(row, "ca_cert", "") or "", directory) if url.startswith("https") else True
    auth = (row.username, row.password) if row is not None and row.username else None
    response = requests.get(url, auth=auth, timeout=TIMEOUT, verify=verify)
    challenge = response.headers.get("WWW-Authenticate", "")
    if response.status_code != 401 or not challenge.lower().startswith("bearer"):
        return response
    params = dict(_CHALLENGE.findall(challenge))
    token = requests.get(params.get("realm", ""), params={"service": params.get("service", ""), "scope": scope},
                         auth=auth, timeout=TIMEOUT, verify=verify)
    if token.status_code != 200:
        return token
    body = token.json()
    bearer = body.get("token") or body.get("access_token") or ""
    return requests.get(url, headers={"Authorization": f"Bearer {bearer}"}, timeout=TIMEOUT, verify=verify)


def _refusal(response: requests.Response) -> str:
    if response.status_code in (401, 403):
        return f"HTTP {response.status_code}: the registry refused the credentials or needs some"
    return f"HTTP {response.status_code} {response.reason}"


def listing(repo) -> Listing:
    """The charts directly under the repository's path, from the registry's catalog."""
    base, path, row = _base(repo)
    with tempfile.TemporaryDirectory(prefix="millrace-charts-") as tmp:
        try:
            response = _get(f"{base}/v2/_catalog?n={CATALOG_PAGE}", row, Path(tmp), "registry:catalog:*")
        except requests.RequestException as e:
            return unreadable(repo.url, describe_failure(e), names_known=False)
    if response.status_code in (401, 403, 404, 405):
        return Listing(repo.url, names_known=False, problem=N_(
            "the registry of chart repository {url} does not list its charts ({why}): type the chart's name",
            url=repo.url, why=_refusal(response)))
    if response.status_code != 200:
        return unreadable(repo.url, _refusal(response), names_known=False)
    prefix = f"{path}/" if path else ""
    names = [r[len(prefix):] for r in (response.json().get("repositories") or [])
             if isinstance(r, str) and r.startswith(prefix) and "/" not in r[len(prefix):]]
    return Listing(repo.url, {name: [] for name in names})


def tags(repo, chart: str) -> tuple[list[str], Msg | None]:
    """The versions of `chart` (newest first), or why they could not be read; none for an unknown chart."""
    base, path, row = _base(repo)
    name = f"{path}/{chart}" if path else chart
    with tempfile.TemporaryDirectory(prefix="millrace-charts-") as tmp:
        try:
            response = _get(f"{base}/v2/{name}/tags/list", row, Path(tmp), f"repository:{name}:pull")
        except requests.RequestException as e:
            return [], unreadable(repo.url, describe_failure(e)).problem
    if response.status_code == 404:
        return [], None
    if response.status_code != 200:
        return [], unreadable(repo.url, _refusal(response)).problem
    return newest_first(t.replace("_", "+") for t in response.json().get("tags") or [] if isinstance(t, str)), None
