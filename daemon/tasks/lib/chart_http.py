"""HTTP chart repositories (`helm repo add`'s kind): an `index.yaml` beside `<name>-<version>.tgz` files.

Publishing uploads the packaged archive with an HTTP PUT (a WebDAV-style server such as
nginx with `dav_methods PUT`, or ChartMuseum-like stores that accept PUT), then reads
`index.yaml` (absent means empty), merges this version's entry into it with helm_python's
`repo index --merge`, and PUTs the index back. Fetching reads the index, finds the
version, downloads the archive and checks its sha256 digest against the index entry.
Credentials (HTTP basic auth) and TLS settings come from a registry row, as for OCI.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import helm_python as helm
import requests
import yaml

from daemon.tasks.lib.charts import ChartError, PublishedChart
from daemon.tasks.lib.registry import Registry
from models import chart_index

TIMEOUT = 30


@dataclass(frozen=True)
class HttpChartRepository:
    """An HTTP chart repository at `url` (http(s)://host[:port][/path]) with `registry`'s credentials and TLS."""
    url: str
    registry: Registry

    @property
    def root(self) -> str:
        return self.url.rstrip("/")

    @property
    def host(self) -> str:
        return self.root.split("://", 1)[1].split("/")[0]

    def publish(self, archive: Path, work_dir: Path) -> PublishedChart:
        return publish_chart(archive, self, work_dir)

    def fetch(self, name: str, version: str, work_dir: Path) -> Path:
        return fetch_chart(self, name, version, work_dir)


def _request(repo: HttpChartRepository, method: str, path: str, what: str, work_dir: Path, **kw) -> requests.Response:
    """One request; connection, TLS and auth failures become a ChartError naming the repository."""
    r = repo.registry
    verify = chart_index.tls_verify(r.insecure, r.ca_cert, work_dir)
    auth = (r.username, r.password) if r.has_credentials else None
    try:
        response = requests.request(method, f"{repo.root}/{path}", auth=auth, verify=verify, timeout=TIMEOUT, **kw)
    except requests.exceptions.SSLError as e:
        detail = "certificate signed by unknown authority" if "certificate verify failed" in str(e) else str(e)
        raise ChartError(f"TLS mismatch: the certificate of chart repository {repo.host} is not trusted ({detail}); "
                         "add its CA certificate to the registry settings or mark it insecure") from None
    except requests.exceptions.ConnectionError as e:
        raise ChartError(f"chart repository {repo.host} unreachable ({chart_index.describe_failure(e, TIMEOUT)})") from None
    except requests.RequestException as e:
        raise ChartError(f"{what} failed: {e}") from None
    if response.status_code in (401, 403):
        raise ChartError(
            f"chart repository {repo.host} refused the credentials of user {r.username!r}"
            if r.username
            else f"chart repository {repo.host} requires credentials and none are configured"
        )
    return response


def _check(response: requests.Response, what: str, ok=(200, 201, 204)) -> requests.Response:
    if response.status_code not in ok:
        raise ChartError(f"{what} failed: HTTP {response.status_code} {response.reason}")
    return response


def read_index(repo: HttpChartRepository, work_dir: Path) -> dict:
    """The repository's index (an empty one when it has no index.yaml yet)."""
    what = f"reading {repo.root}/index.yaml"
    response = _request(repo, "GET", "index.yaml", what, work_dir)
    if response.status_code == 404:
        return {"apiVersion": "v1", "entries": {}}
    try:
        return chart_index.parse_index(_check(response, what).content, f"{repo.root}/index.yaml")
    except chart_index.IndexUnreadable as e:
        raise ChartError(str(e)) from None


def publish_chart(archive: Path, repo: HttpChartRepository, work_dir: Path) -> PublishedChart:
    """PUT the archive, then merge its entry into index.yaml and PUT that."""
    with helm.Chart.load(archive) as chart:
        name, version = chart.name, chart.version
    what = f"upload of chart {name} {version} to {repo.root}"
    _check(_request(repo, "PUT", archive.name, what, work_dir, data=archive.read_bytes()), what)
    staging = work_dir / "http-index"
    staging.mkdir(parents=True, exist_ok=True)
    for old in staging.iterdir():
        old.unlink()
    (staging / archive.name).write_bytes(archive.read_bytes())
    existing = work_dir / "index-current.yaml"
    existing.write_text(yaml.safe_dump(read_index(repo, work_dir)))
    try:
        helm.repo_index_generate(staging, base_url=repo.root, merge=existing)
    except helm.HelmError as e:
        raise ChartError(f"the index of {repo.root} could not be updated: {e}") from None
    what = f"upload of {repo.root}/index.yaml"
    _check(_request(repo, "PUT", "index.yaml", what, work_dir, data=(staging / "index.yaml").read_bytes(),
                    headers={"Content-Type": "application/x-yaml"}), what)
    digest = "sha256:" + hashlib.sha256(archive.read_bytes()).hexdigest()
    return PublishedChart(name, version, f"{repo.root}/{archive.name}", digest)


def chart_versions(repo: HttpChartRepository, name: str, work_dir: Path) -> list[str]:
    """Versions of chart `name` in the index, newest first."""
    return chart_index.index_versions(read_index(repo, work_dir)).get(name, [])


def fetch_chart(repo: HttpChartRepository, name: str, version: str, work_dir: Path) -> Path:
    """Download `name` at `version` into work_dir/pulled, checking its digest; returns the archive."""
    entries = read_index(repo, work_dir)["entries"].get(name) or []
    entry = next((e for e in entries if str(e.get("version")) == version), None)
    if entry is None:
        available = [str(e.get("version")) for e in entries]
        raise ChartError(f"chart {name} version {version} not found in {repo.root} ("
                         + (f"available: {', '.join(available)})" if available else "no versions published)"))
    url = (entry.get("urls") or [f"{name}-{version}.tgz"])[0]
    path = url[len(repo.root) + 1:] if url.startswith(repo.root + "/") else url
    if "://" in path:
        raise ChartError(f"chart {name} {version} in {repo.root} points outside the repository ({url})")
    what = f"download of chart {name} {version} from {repo.root}"
    body = _check(_request(repo, "GET", path, what, work_dir), what).content
    digest = hashlib.sha256(body).hexdigest()
    if entry.get("digest") and entry["digest"].removeprefix("sha256:") != digest:
        raise ChartError(f"chart {name} {version} from {repo.root} does not match the digest in its index "
                         f"(index: {entry['digest']}, downloaded: {digest})")
    destination = work_dir / "pulled"
    destination.mkdir(parents=True, exist_ok=True)
    target = destination / f"{name}-{version}.tgz"
    target.write_bytes(body)
    return target
