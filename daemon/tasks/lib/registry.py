"""Container registry settings as the delivery tasks see them, and what registry errors mean.

`registry_for(task)` is the registry a build task pushes to: the one it names, else the
default. A `Registry` is one configured registry: its URL, optional credentials, whether it is
insecure (plain HTTP, or HTTPS without certificate checks) and an optional CA
certificate. Images live at `<host>/<workspace>/<name>:<tag>`; `image_ref()` builds
that and refuses names a registry would reject. `explain()` turns the error text of
buildah, podman, docker or helm into one line that names the registry and the cause.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from daemon.tasks import TaskUnavailable
from models import registries
from models.i18n import N_
from models.page_names import SETTINGS_PAGE
from models.variables import substitute


class RegistryError(ValueError):
    """A registry setting or reference that can never work; the message says which."""


@dataclass(frozen=True)
class Registry:
    url: str                                    # "registry.example.com", "http://127.0.0.1:5000"
    username: str = ""
    password: str = field(default="", repr=False)
    insecure: bool = False                      # plain HTTP, or TLS without verification
    ca_cert: str = ""                           # PEM text of a private CA

    @property
    def host(self) -> str:
        return re.sub(r"^[a-z]+://", "", self.url.strip()).rstrip("/")

    @property
    def plain_http(self) -> bool:
        return registries.speaks_plain_http(self.url, self.insecure)

    @property
    def skip_tls_verify(self) -> bool:
        return self.insecure and self.url.startswith("https://")

    @property
    def verify_tls(self) -> bool:
        return not (self.plain_http or self.skip_tls_verify)

    @property
    def has_credentials(self) -> bool:
        return bool(self.username)


def from_settings(row) -> Registry:
    """A `Registry` from a models.registries row (its password unsealed)."""
    return Registry(row.url, row.username, row.password, bool(row.insecure), row.ca_cert)


def registry_for(task: dict, values: dict, where: str) -> Registry:
    name = substitute(task.get("registry") or "", values, f"{where}.registry")
    if name:
        try:
            return from_settings(registries.get(name))
        except registries.NotFound as e:
            raise TaskUnavailable(N_("task '{task}' pushes to registry '{name}', which is not configured: {error}",
                                     task=task["name"], name=name, error=e.args[0])) from None
    row = registries.default()
    if row is None:
        raise TaskUnavailable(N_("task '{task}' is a build & publish image task and no container registry is "
                                 "configured to push to: add one on {page}, or with python run.py registry add "
                                 "NAME --url HOST[:PORT] [--username U --password-stdin]", task=task["name"],
                                 page=SETTINGS_PAGE))
    return from_settings(row)


# the OCI distribution grammar: lowercase path components, tags of word characters
_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def repository(workspace: str, name: str) -> str:
    """`<workspace>/<name>` (the workspace may be empty or hold several path components)."""
    path = "/".join(p for p in (workspace.strip("/"), name.strip("/")) if p)
    for part in path.split("/"):
        if not _COMPONENT.match(part):
            raise RegistryError(f"image name {path!r} is not valid: each path part must be lowercase "
                                "letters and digits, separated by '.', '_' or '-'")
    return path


def image_ref(registry: Registry, workspace: str, name: str, tag: str) -> str:
    if not _TAG.match(tag):
        raise RegistryError(f"image tag {tag!r} is not valid: up to 128 letters, digits, '_', '.' "
                            "or '-', not starting with '.' or '-'")
    return f"{registry.host}/{repository(workspace, name)}:{tag}"


_PLAIN_SERVER = ("server gave HTTP response to HTTPS client",)
_TLS_SERVER = ("Client sent an HTTP request to an HTTPS server", "malformed HTTP response")
_UNTRUSTED = ("x509:", "certificate signed by unknown authority", "tls: failed to verify")
_REFUSED = ("invalid username/password", "unauthorized", "authentication required",
            "access denied", "access to the resource is denied", "401 Unauthorized", "403 Forbidden",
            "credential not found", "no basic auth credentials")
_UNREACHABLE = ("connection refused", "no such host", "i/o timeout", "no route to host",
                "network is unreachable", "connection reset", "context deadline exceeded",
                "server misbehaving")


def _cause(text: str, needles) -> str | None:
    return next((n for n in needles if n.lower() in text.lower()), None)


def explain(text: str, host: str, username: str = "") -> str | None:
    """One line for a registry failure found in `text`, or None if it isn't one.

    TLS is checked first because certificate errors also mention pinging the registry.
    """
    if _cause(text, _PLAIN_SERVER):
        return (f"TLS mismatch: registry {host} speaks plain HTTP but is not marked insecure "
                "(plain HTTP) in its settings")
    if _cause(text, _TLS_SERVER):
        return f"TLS mismatch: registry {host} speaks HTTPS but is set to plain HTTP"
    if cause := _cause(text, _UNTRUSTED):
        detail = "certificate signed by unknown authority" if "unknown authority" in text else cause
        return (f"TLS mismatch: the certificate of registry {host} is not trusted ({detail}); "
                "add its CA certificate to the registry settings or mark it insecure")
    if _cause(text, _REFUSED):
        if username:
            return f"registry {host} refused the credentials of user {username!r}"
        return f"registry {host} requires credentials and none are configured"
    if cause := _cause(text, _UNREACHABLE):
        return f"registry {host} unreachable ({cause})"
    return None
