"""Container registries and the chart repository: the settings delivery tasks use.

A registry has a name, a URL (`host[:port][/path]`, optionally `http://` or `https://`),
optional credentials (the password sealed at rest with models.secrets), an insecure flag
(plain HTTP, or HTTPS without certificate checks) and an optional CA certificate.
One registry is the default (the first one added becomes it). The chart repository is
an OCI path `oci://host/path` or an HTTP chart repository `http(s)://host[:port][/path]`
(an index.yaml beside the archives); its credentials and TLS come from a named registry,
or from the registry with the same host. Credentials given with the chart repository
itself are kept in a registry row of their own, `chart-repo` (never the default registry).
Every change writes an audit row in its transaction. A password is masked in task logs like
a pipeline's secrets, so one too short to mask (fewer than 6 characters) is refused.
"""
from __future__ import annotations

import re

from peewee import AutoField, BooleanField, DateTimeField, ForeignKeyField, TextField

from models import audit
from models.db import BaseModel, utcnow, write_transaction
from models.errors import NotFound, on_field
from models.i18n import N_
from models.secrets import MIN_SECRET_LENGTH, seal, secret_problem, unseal


class Registry(BaseModel):
    id = AutoField()
    name = TextField(unique=True)
    url = TextField()
    username = TextField(default="")
    password_sealed = TextField(default="")
    insecure = BooleanField(default=False)
    ca_cert = TextField(default="")
    is_default = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    updated_by = TextField(default="")

    @property
    def host(self) -> str:
        return re.sub(r"^[a-z]+://", "", self.url).split("/")[0]

    @property
    def password(self) -> str:
        return unseal(self.password_sealed) if self.password_sealed else ""


class ChartRepository(BaseModel):
    id = AutoField()
    name = TextField(unique=True, default="default")
    url = TextField()
    registry = ForeignKeyField(Registry, column_name="registry_id", null=True)
    updated_at = DateTimeField(default=utcnow)
    updated_by = TextField(default="")


TABLES = [Registry, ChartRepository]
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
URL = re.compile(r"^(https?://)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?(/[a-z0-9._-]+)*/?$")
OCI_URL = re.compile(r"^oci://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?(/[a-z0-9._-]+)+/?$")
HTTP_URL = re.compile(r"^https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?(/[A-Za-z0-9._~-]+)*/?$")
CHART_CREDENTIALS = "chart-repo"    # the registry row holding credentials given with the chart repository


def all_registries() -> list[Registry]:
    return list(Registry.select().order_by(Registry.name))


def get(name: str) -> Registry:
    row = Registry.get_or_none(Registry.name == name)
    if row is None:
        known = ", ".join(r.name for r in all_registries()) or "none"
        raise on_field(NotFound(N_("no registry named '{name}' (configured: {known})", name=name,
                                   known=known if known != "none" else N_("none"))), "name")
    return row


def default() -> Registry | None:
    return Registry.get_or_none(Registry.is_default == True)  # noqa: E712


def add(name: str, url: str, actor: str, *, username: str = "", password: str = "", insecure: bool = False,
        ca_cert: str = "", make_default: bool = False, may_be_default: bool = True) -> Registry:
    url = url.strip().rstrip("/")
    # The URL first: a blank name is made from it, so a bad URL would otherwise be reported as a bad name.
    if not url:
        raise on_field(ValueError(N_(
            "registry URL: enter the registry's address (e.g. registry.example.com or http://127.0.0.1:5000)")), "url")
    if not URL.match(url):
        raise on_field(ValueError(N_("registry URL {url} is not valid: expected host[:port][/path], optionally with "
                                     "http:// or https:// (e.g. registry.example.com or http://127.0.0.1:5000)",
                                     url=repr(url))), "url")
    if not NAME.match(name or ""):
        raise on_field(ValueError(N_(
            "registry name: use letters, digits, '.', '_' or '-' (at most 64, starting with a letter or digit)")), "name")
    if password and not username:
        raise on_field(ValueError(N_("a registry password needs a username")), "username")
    if password and secret_problem(password):
        # Masked in every task's log like a pipeline's secrets, so refused when too short to mask.
        if "\n" in password.strip():
            message = N_("registry password too short to be masked in logs: it needs at least {min} characters on "
                         "one of its lines (registries and their tokens ask for longer ones; set a longer password "
                         "or token on the registry)", min=MIN_SECRET_LENGTH)
        else:
            message = N_("registry password too short to be masked in logs: it needs at least {min} characters "
                         "(registries and their tokens ask for longer ones; set a longer password or token on the "
                         "registry)", min=MIN_SECRET_LENGTH)
        raise on_field(ValueError(message), "password")
    if ca_cert and "-----BEGIN CERTIFICATE-----" not in ca_cert:
        raise on_field(ValueError(N_("the CA certificate must be PEM text (-----BEGIN CERTIFICATE-----)")), "ca_cert")
    with write_transaction():
        if Registry.get_or_none(Registry.name == name) is not None:
            raise on_field(ValueError(N_("a registry named '{name}' already exists (remove it first to change it)",
                                         name=name)), "name")
        make_default = make_default or (may_be_default and default() is None)
        if make_default:
            Registry.update(is_default=False).where(Registry.is_default == True).execute()  # noqa: E712
        row = Registry.create(name=name, url=url, username=username, password_sealed=seal(password) if password else "",
                              insecure=insecure, ca_cert=ca_cert, is_default=make_default, updated_by=actor)
        audit.record(actor, "create", row, url=url, username=username, insecure=insecure,
                     ca_cert=bool(ca_cert), default=make_default, password=bool(password))
    return row


def set_default(name: str, actor: str) -> Registry:
    with write_transaction():
        row = get(name)
        Registry.update(is_default=False).where(Registry.is_default == True).execute()  # noqa: E712
        Registry.update(is_default=True, updated_at=utcnow(), updated_by=actor).where(Registry.id == row.id).execute()
        audit.record(actor, "set_default", row)
    return get(name)


def remove(name: str, actor: str) -> None:
    with write_transaction():
        row = get(name)
        repo = ChartRepository.get_or_none(ChartRepository.registry == row.id)
        if repo is not None:
            raise ValueError(N_("registry '{name}' holds the credentials of chart repository {url}; "
                                "point the chart repository at another registry first", name=name, url=repo.url))
        audit.record(actor, "delete", row, url=row.url)
        row.delete_instance()


def chart_repository() -> ChartRepository | None:
    return ChartRepository.get_or_none(ChartRepository.name == "default")


def speaks_plain_http(url: str, insecure: bool) -> bool:
    """Whether a registry at `url` is spoken to in plain HTTP: an http:// URL says so itself;
    "insecure" on a scheme-less URL means plain HTTP too (a local registry without a certificate)."""
    return url.startswith("http://") or (insecure and not url.startswith("https://"))


def is_http(url: str) -> bool:
    """Whether a chart repository URL names an HTTP chart repository (not an OCI path)."""
    return url.startswith(("http://", "https://"))


def set_chart_repository(url: str, actor: str, registry_name: str | None = None, *, username: str = "",
                         password: str = "", insecure: bool = False) -> ChartRepository:
    """Set the chart repository; `username`/`password` are stored (sealed) in the `chart-repo` registry row."""
    url = url.strip().rstrip("/")
    if not (OCI_URL.match(url) or HTTP_URL.match(url)):
        raise on_field(ValueError(N_("chart repository {url} is not valid: expected oci://host[:port]/path "
                                     "(e.g. oci://registry.example.com/charts) or an HTTP chart repository "
                                     "http(s)://host[:port][/path] (e.g. https://charts.example.com/stable)",
                                     url=repr(url))), "url")
    if username and registry_name:
        raise ValueError(N_("give either a registry for the chart repository's credentials or a username, not both"))
    if password and not username:
        raise on_field(ValueError(N_("a chart repository password needs a username")), "username")
    with write_transaction():
        if username:
            registry = _credentials_row(url, actor, username, password, insecure)
            registry_name = registry.name
        else:
            registry = get(registry_name) if registry_name else None
        row = chart_repository()
        if row is None:
            row = ChartRepository.create(url=url, registry=registry, updated_by=actor)
        else:
            ChartRepository.update(url=url, registry=registry, updated_at=utcnow(), updated_by=actor) \
                .where(ChartRepository.id == row.id).execute()
            row = chart_repository()
        audit.record(actor, "edit", row, url=url, registry=registry_name or "")
    return row


def _credentials_row(url: str, actor: str, username: str, password: str, insecure: bool) -> Registry:
    """(Re)create the `chart-repo` registry row with these credentials for the chart repository's host."""
    old = Registry.get_or_none(Registry.name == CHART_CREDENTIALS)
    if old is not None:
        ChartRepository.update(registry=None).where(ChartRepository.registry == old.id).execute()
        audit.record(actor, "delete", old, url=old.url)
        old.delete_instance()
    scheme, rest = url.split("://", 1)
    base = ("" if scheme == "oci" else scheme + "://") + rest.split("/")[0]
    return add(CHART_CREDENTIALS, base, actor, username=username, password=password, insecure=insecure,
               may_be_default=False)


def chart_registry(repo: ChartRepository) -> Registry | None:
    """The registry whose credentials and TLS settings the chart repository uses."""
    if repo.registry_id is not None:
        return Registry.get_by_id(repo.registry_id)
    host = repo.url.split("://", 1)[1].split("/")[0]
    return next((r for r in all_registries() if r.host == host), None)
