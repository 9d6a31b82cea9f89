"""Helm charts for the delivery tasks, through `helm_python` (Helm's SDK, no helm binary).

Build & publish chart: copy the chart directory out of the checkout, substitute `${VAR}`
in its values.yaml, package it under the task's name and version, and push it to the
chart repository (an OCI registry path; an HTTP repository with an index is
daemon.tasks.lib.chart_http). Deploy: pull a version back and render it with
parameter overrides into manifests. Every failure is a `ChartError` whose message names
the chart, version, file or registry, as a user would need to fix it.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import helm_python as helm
import yaml

from daemon.tasks.lib import paths, registry as reg
from daemon.tasks.lib.registry import Registry
from models import safe_yaml
from models.variables import UndefinedVariable, substitute

# Charts are Helm's format and Helm accepts YAML anchors and aliases (values files use them),
# so Chart.yaml and rendered templates are read with their expansion bounded, not refused.


class ChartError(Exception):
    pass


@dataclass(frozen=True)
class ChartRepository:
    """An OCI chart repository: a registry and the path under which charts live."""
    registry: Registry
    path: str = "charts"

    @property
    def root(self) -> str:
        return f"oci://{self.registry.host}/{self.path.strip('/')}".rstrip("/")

    def ref(self, name: str) -> str:
        return f"{self.root}/{name}"


@dataclass
class PublishedChart:
    name: str
    version: str
    ref: str          # oci://host/path/name:version
    digest: str


def prepare_chart(checkout: Path, chart_dir: str, values: dict, work_dir: Path, name: str | None = None) -> Path:
    """A copy of the chart with `${VAR}` substituted in values.yaml (and renamed to `name`)."""
    try:
        source = paths.inside(checkout, chart_dir, "chart directory")
        if not (source / "Chart.yaml").is_file():
            raise ChartError(f"chart directory {chart_dir!r} has no Chart.yaml" if source.is_dir()
                             else f"chart directory {chart_dir!r} not found in the checkout")
        paths.check_tree(checkout, source, chart_dir, "chart directory")
    except (paths.PathOutside, paths.PathMissing) as e:
        raise ChartError(str(e)) from None
    target = work_dir / "chart" / source.name
    shutil.rmtree(target, ignore_errors=True)
    # links followed (all checked to stay in the checkout): the copy Helm reads has none, and
    # a relative link keeps meaning what it meant in the checkout
    shutil.copytree(source, target, symlinks=False)
    values_file = target / "values.yaml"
    if values_file.is_file():
        where = f"{chart_dir.rstrip('/')}/values.yaml"
        try:
            text = substitute(values_file.read_text(), values, where)
            helm.values_from_yaml(text)     # a substituted value may have broken the YAML
        except UndefinedVariable as e:
            raise ChartError(str(e)) from None
        except helm.HelmError as e:
            raise ChartError(f"{where} is not valid YAML after substitution: {e}") from None
        values_file.write_text(text)
    if name:
        try:
            meta = safe_yaml.load_bounded((target / "Chart.yaml").read_bytes(),
                                          what=f"{chart_dir.rstrip('/')}/Chart.yaml") or {}
        except yaml.YAMLError as e:
            raise ChartError(f"{chart_dir.rstrip('/')}/Chart.yaml: {safe_yaml.describe(e)}") from None
        if not isinstance(meta, dict):
            raise ChartError(f"{chart_dir.rstrip('/')}/Chart.yaml is not a mapping")
        meta["name"] = name
        (target / "Chart.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
    return target


def package_chart(chart: Path, version: str, destination: Path) -> Path:
    destination.mkdir(parents=True, exist_ok=True)
    try:
        return Path(helm.package(chart, destination=destination, version=version))
    except helm.HelmChartInvalidError as e:
        if "semantic version" in str(e):
            raise ChartError(f"chart version {version!r} is not a semantic version (like 1.2.3 or "
                             "6.0.1-alpha.7)") from None
        raise ChartError(f"chart {chart.name} could not be packaged: {e}") from None
    except helm.HelmError as e:
        raise ChartError(f"chart {chart.name} could not be packaged: {e}") from None


def _client(repo: ChartRepository, work_dir: Path) -> helm.RegistryClient:
    r = repo.registry
    # a private, fresh credentials file: logins must not come from the host's helm config
    # or from an earlier login with other settings
    credentials = work_dir / "helm-registry.json"
    work_dir.mkdir(parents=True, exist_ok=True)
    credentials.unlink(missing_ok=True)
    client = helm.RegistryClient(plain_http=r.plain_http, credentials_file=credentials)
    if r.has_credentials:
        try:
            client.login(r.host, r.username, r.password, insecure=r.skip_tls_verify, plain_http=r.plain_http)
        except helm.HelmError as e:
            client.close()
            raise ChartError(reg.explain(str(e), r.host, r.username) or f"login to {r.host} failed: {e}") from None
    return client


def _registry_error(e: Exception, repo: ChartRepository, action: str) -> ChartError:
    r = repo.registry
    return ChartError(reg.explain(str(e), r.host, r.username) or f"{action} failed: {e}")


def publish_chart(archive: Path, repo: ChartRepository, work_dir: Path) -> PublishedChart:
    """Push the archive to an OCI repository (an HTTP one, daemon.tasks.lib.chart_http, publishes itself)."""
    if not isinstance(repo, ChartRepository):
        return repo.publish(archive, work_dir)
    with helm.Chart.load(archive) as chart:
        name, version = chart.name, chart.version
    with _client(repo, work_dir) as client:
        try:
            client.push(archive, repo.root, plain_http=repo.registry.plain_http,
                        insecure_skip_tls_verify=repo.registry.skip_tls_verify)
            # OCI tags cannot hold '+', helm stores build metadata as '_'
            tag = version.replace("+", "_")
            digest = client.resolve(f"{repo.ref(name)}:{tag}")["digest"]
        except helm.HelmError as e:
            raise _registry_error(e, repo, f"push of chart {name} {version} to {repo.root}") from None
    return PublishedChart(name, version, f"{repo.ref(name)}:{version}", digest)


def build_and_publish(checkout: Path, chart_dir: str, name: str, version: str, values: dict,
                      repo: ChartRepository, work_dir: Path) -> PublishedChart:
    """The build & publish chart task."""
    chart = prepare_chart(checkout, chart_dir, values, work_dir, name)
    return publish_chart(package_chart(chart, version, work_dir / "packages"), repo, work_dir)


def chart_versions(repo: ChartRepository, name: str, work_dir: Path) -> list[str]:
    """Published versions of chart `name`, newest first ([] when none)."""
    with _client(repo, work_dir) as client:
        try:
            return client.tags(repo.ref(name))
        except helm.HelmError as e:
            if "not found" in str(e) or "name unknown" in str(e):
                return []
            raise _registry_error(e, repo, f"listing versions of chart {name}") from None


def fetch_chart(repo: ChartRepository, name: str, version: str, work_dir: Path) -> Path:
    """Pull `name` at `version` into work_dir; returns the archive (an HTTP repository fetches itself)."""
    if not isinstance(repo, ChartRepository):
        return repo.fetch(name, version, work_dir)
    destination = work_dir / "pulled"
    destination.mkdir(parents=True, exist_ok=True)
    with _client(repo, work_dir) as client:
        try:
            client.pull(repo.ref(name), destination=destination, version=version,
                        plain_http=repo.registry.plain_http,
                        insecure_skip_tls_verify=repo.registry.skip_tls_verify)
        except helm.HelmError as e:
            if "not found" not in str(e):
                raise _registry_error(e, repo, f"pull of chart {name} {version}") from None
            available = chart_versions(repo, name, work_dir)
            raise ChartError(f"chart {name} version {version} not found in {repo.root} ("
                             + (f"available: {', '.join(available)})" if available else "no versions published)")
                             ) from None
    return destination / f"{name}-{version}.tgz"


def parameter_values(parameters: dict[str, str]) -> dict:
    """`key.path = value` overrides as nested values, typed like `helm --set` (3 -> int)."""
    merged: dict = {}
    for key, value in parameters.items():
        # one --set expression per parameter, so a comma in a value stays a comma
        escaped = str(value).replace("\\", "\\\\").replace(",", "\\,")
        try:
            _deep_merge(merged, helm.parse_set_string(f"{key}={escaped}"))
        except helm.HelmError as e:
            raise ChartError(f"parameter {key!r}: {e}") from None
    return merged


def _deep_merge(into: dict, update: dict) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value


_RENDER_AT = (re.compile(r"parse error at \((?P<file>[^:()]+):(?P<line>\d+)\): (?P<detail>.*)"),
              re.compile(r"(?P<file>[^\s:]+):(?P<line>\d+):(?P<col>\d+)\s+executing .*?:\s+(?P<detail>.*)", re.S))


def _render_error(name: str, error: str) -> ChartError:
    for pattern in _RENDER_AT:
        if m := pattern.search(error):
            detail = " ".join(m.group("detail").split())
            return ChartError(f"chart {name} failed to render: {m.group('file')} line {m.group('line')}: {detail}")
    return ChartError(f"chart {name} failed to render: {' '.join(error.split())}")


def render_chart(chart_path: Path, release: str, namespace: str, parameters: dict[str, str] | None = None,
                 revision: int = 1) -> list[tuple[str, dict]]:
    """Render a chart (directory or .tgz) into (template path, manifest) pairs, in template order."""
    try:
        chart = helm.Chart.load(chart_path)
    except helm.HelmError as e:
        raise ChartError(f"chart {chart_path.name} could not be loaded: {e}") from None
    with chart:
        name = chart.name
        try:
            rendered = chart.render(parameter_values(parameters or {}), name=release, namespace=namespace,
                                    revision=revision, is_install=revision == 1, is_upgrade=revision > 1)
        except helm.HelmError as e:
            raise _render_error(name, str(e)) from None
    manifests = []
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt") or not text.strip():
            continue
        try:
            docs = list(safe_yaml.load_all_bounded(text, what=f"chart {name}'s {path}"))
        except safe_yaml.YamlRefused as e:
            raise ChartError(f"chart {name} rendered YAML Millrace will not read: {e}") from None
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            line = f" line {mark.line + 1}" if mark else ""
            raise ChartError(f"chart {name} rendered invalid YAML: {path}{line}: "
                             f"{getattr(e, 'problem', e)}") from None
        manifests += [(path, doc) for doc in docs if doc]
    return manifests
