"""What the configured chart repository holds, read-only: chart names and their versions
(newest first), for the editor's chart pickers; and the reading of a Helm `index.yaml`
that the chart tasks share (daemon/tasks/lib/chart_http.py).

HTTP repository (`helm repo add`'s kind): GET <url>/index.yaml with the repository's
credentials and TLS settings, read through models/safe_yaml with its caps; it names every
chart and all its versions. OCI repositories: models/chart_oci.py.

This module: the shared pieces (a `Listing`, version order, TLS `verify`, failures in
words), the index parser and the HTTP reader; models/chart_oci.py reads OCI registries and
models/chart_listing.py is what callers ask (cached, a failure never raised). For
suggestions only: a short timeout.
"""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

from models import registries, safe_yaml
from models.i18n import N_, Msg

TIMEOUT = 3              # seconds: an editor waits for this, a task never does (it has its own)


class IndexUnreadable(ValueError):
    """An index.yaml that is not a chart repository index; the message says why."""


@dataclass
class Listing:
    url: str = ""                                           # the chart repository ("" when none is set)
    versions: dict[str, list[str]] = field(default_factory=dict)     # chart → versions known now, newest first
    names_known: bool = True                                # False: an OCI registry that does not list its charts
    problem: Msg | None = None

    @property
    def charts(self) -> list[str]:
        return sorted(self.versions)


def parse_index(content: bytes | str, where: str) -> dict:
    """A Helm index read with its size and expansion bounded; `entries` always present."""
    try:
        # Helm writes indexes and accepts anchors in them: aliases allowed, their expansion bounded
        index = safe_yaml.load_bounded(content, what=where, max_bytes=safe_yaml.INDEX_MAX_BYTES) or {}
    except safe_yaml.YamlRefused as e:
        raise IndexUnreadable(str(e)) from None
    except yaml.YAMLError as e:
        raise IndexUnreadable(f"{where} is not valid YAML: {e}") from None
    if not isinstance(index, dict):
        raise IndexUnreadable(f"{where} is not a chart repository index (not a mapping)")
    index.setdefault("entries", {})
    if not isinstance(index["entries"], dict):
        raise IndexUnreadable(f"{where} is not a chart repository index (its entries are not a mapping)")
    return index


def index_versions(index: dict) -> dict[str, list[str]]:
    """chart → its versions in a parsed index, newest first."""
    return {str(name): newest_first(str(e.get("version")) for e in entries or [] if isinstance(e, dict)
                                    and e.get("version") is not None)
            for name, entries in index["entries"].items()}


_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def version_key(version: str):
    """Semantic-version order (a pre-release before its release); other strings after none of them."""
    m = _SEMVER.match(version)
    if not m:
        return (0, version)
    pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in (m.group(4) or "").split(".") if p)
    return (1, int(m.group(1)), int(m.group(2)), int(m.group(3)), 0 if pre else 1, pre)


def newest_first(versions) -> list[str]:
    return sorted(dict.fromkeys(versions), key=version_key, reverse=True)


def tls_verify(insecure: bool, ca_cert: str, directory: Path) -> bool | str:
    """requests' `verify`: off when insecure, a private CA written into `directory`, else the system's."""
    if insecure:
        return False
    if not ca_cert:
        return True
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "chart-repository-ca.crt"
    path.write_text(ca_cert.strip() + "\n")
    return str(path)


def describe_failure(error: requests.RequestException, timeout: float = TIMEOUT) -> str:
    """One short English cause for a failed request (a refused connection, a TLS mismatch…)."""
    if isinstance(error, requests.exceptions.SSLError):
        return "certificate not trusted" if "certificate verify failed" in str(error) else "TLS failed"
    if isinstance(error, requests.exceptions.Timeout):
        return f"no answer within {timeout:g} s"
    if isinstance(error, requests.exceptions.ConnectionError):
        return "connection refused" if "refused" in str(error).lower() else "connection failed"
    return str(error)


def read_http(repo) -> Listing:
    """An HTTP repository's charts and versions, from its index.yaml."""
    row = registries.chart_registry(repo)
    where = f"{repo.url}/index.yaml"
    auth = (row.username, row.password) if row is not None and row.username else None
    with tempfile.TemporaryDirectory(prefix="millrace-charts-") as tmp:
        try:
            response = requests.get(where, auth=auth, timeout=TIMEOUT,
                                    verify=tls_verify(bool(getattr(row, "insecure", False)),
                                                      getattr(row, "ca_cert", "") or "", Path(tmp)))
        except requests.RequestException as e:
            return unreadable(repo.url, describe_failure(e))
    if response.status_code == 404:
        return Listing(repo.url)                   # no index yet: nothing published
    if response.status_code != 200:
        return unreadable(repo.url, f"HTTP {response.status_code} {response.reason}")
    try:
        return Listing(repo.url, index_versions(parse_index(response.content, where)))
    except IndexUnreadable as e:
        return unreadable(repo.url, str(e))


def unreadable(url: str, why: str, names_known: bool = True) -> Listing:
    return Listing(url, names_known=names_known,
                   problem=N_("the chart repository {url} could not be read ({why})", url=url, why=why))
