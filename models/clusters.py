"""Registered Kubernetes clusters: the table, the intents that change it (add, remove,
make default) and the health facts the daemon records.

A cluster is a name, a kubeconfig sealed at rest (or the in-cluster service account),
the context to use, the API server address read from the kubeconfig, and the namespace
`millrace-<name>` its task pods run in. Health (checking, healthy, unreachable, refused,
namespace missing) is written only by whoever talked to the cluster, with the time.
Pipelines run on the cluster their definition names, else on the default cluster,
else locally; `users()` says which pipelines that is, so removal can warn.
"""
from __future__ import annotations

import re
from enum import Enum
import secrets as pyrandom

import yaml
from peewee import AutoField, BooleanField, DateTimeField, TextField

from models import audit, i18n, projects, safe_yaml
from models.db import BaseModel, utcnow, write_transaction
from models.errors import InUse, NotFound, on_field
from models.i18n import N_
from models.secrets import seal, unseal

NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,52}[a-z0-9])?$")   # millrace-<name> must stay a DNS label
LOCAL = "local"      # reserved: a pipeline with `cluster: local` runs on the daemon's machine


class Health(str, Enum):
    """A cluster's state as the daemon's last check found it (stored as these strings)."""
    CHECKING = "checking"                    # registered or changed; not checked yet
    HEALTHY = "healthy"
    UNREACHABLE = "unreachable"              # no answer (transient: checked again)
    REFUSED = "refused"                      # the credentials were refused
    NAMESPACE_MISSING = "namespace missing"
    ERROR = "error"                          # anything else; health_message says what

    def __str__(self):
        return self.value


HEALTH = tuple(Health)


class Cluster(BaseModel):
    id = AutoField()
    name = TextField(unique=True)
    kubeconfig_sealed = TextField(default="")
    context = TextField(default="")
    in_cluster = BooleanField(default=False)
    server = TextField(default="")
    version = TextField(default="")
    namespace = TextField()
    owner_label = TextField()
    is_default = BooleanField(default=False)
    health = TextField(default=Health.CHECKING)
    health_message = TextField(default="")          # English, for the record
    health_message_json = TextField(null=True)      # the same, language-neutral (models/i18n.py)
    checked_at = DateTimeField(null=True)
    namespace_created_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    created_by = TextField(default="")
    project = TextField(default="default")      # the project it belongs to (migrations/0010_accounts.py)

    @property
    def shown_health_message(self) -> str:
        """The health message in the current reader's language."""
        return i18n.shown(self.health_message, self.health_message_json)

    def kubeconfig(self) -> dict:
        """The kubeconfig as a dict (opened from its sealed form); {} for in-cluster."""
        return _load_kubeconfig(unseal(self.kubeconfig_sealed)) if self.kubeconfig_sealed else {}


TABLES = [Cluster]


def _load_kubeconfig(text):
    # A kubeconfig is kubectl's format, and kubectl accepts anchors and aliases, so they
    # are allowed here; models.safe_yaml bounds what they expand to, and the size.
    return safe_yaml.load_bounded(text, what=N_("the kubeconfig"), max_bytes=safe_yaml.KUBECONFIG_MAX_BYTES)


def parse_kubeconfig(text: str, context: str | None = None) -> tuple[dict, str, str]:
    """(kubeconfig dict, context name, API server address), or ValueError saying what is wrong."""
    try:
        config = _load_kubeconfig(text or "")
    except safe_yaml.YamlRefused as exc:
        raise on_field(ValueError(exc.args[0] if exc.args else str(exc)), "kubeconfig") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = str(getattr(exc, "problem", exc))
        raise on_field(ValueError(
            N_("the kubeconfig is not valid YAML at line {line}: {problem}", line=mark.line + 1, problem=problem)
            if mark else N_("the kubeconfig is not valid YAML: {problem}", problem=problem)), "kubeconfig") from None
    if not isinstance(config, dict) or not config.get("clusters") or not config.get("contexts"):
        raise on_field(ValueError(N_("this is not a kubeconfig: it needs 'clusters' and 'contexts' (kubectl "
                                     "config view --raw --minify prints one)")), "kubeconfig")
    contexts = {c.get("name"): c.get("context") or {} for c in config["contexts"] if isinstance(c, dict)}
    name = context or config.get("current-context") or ""
    if name not in contexts:
        known = ", ".join(str(n) for n in contexts) or N_("none")
        raise on_field(ValueError(N_("context '{name}' is not in the kubeconfig (contexts: {known})", name=name,
                                     known=known) if name else
                                  N_("the kubeconfig has no current-context; choose one of: {known}", known=known)),
                       "context")
    clusters = {c.get("name"): c.get("cluster") or {} for c in config["clusters"] if isinstance(c, dict)}
    server = clusters.get(contexts[name].get("cluster"), {}).get("server")
    if not server:
        raise on_field(ValueError(N_("context '{name}' names cluster '{cluster}', which has no server address in "
                                     "the kubeconfig", name=name, cluster=str(contexts[name].get("cluster")))),
                       "kubeconfig")
    return config, name, server


def all_clusters() -> list[Cluster]:
    return list(Cluster.select().order_by(Cluster.name))


def get(name: str) -> Cluster:
    row = Cluster.get_or_none(Cluster.name == name)
    if row is None:
        known = ", ".join(c.name for c in all_clusters()) or N_("none")
        raise on_field(NotFound(N_("no cluster named '{name}' (registered: {known})", name=name, known=known)), "name")
    return row


def default() -> Cluster | None:
    return Cluster.get_or_none(Cluster.is_default == True)  # noqa: E712


def check_name(name: str) -> None:
    if name == LOCAL:
        raise on_field(ValueError(N_("'local' is reserved: pipelines name it to run on the daemon's machine")), "name")
    if not NAME.match(name or ""):
        raise on_field(ValueError(N_("cluster name: lowercase letters, digits and '-', at most 54, starting and "
                                     "ending with a letter or digit (it names the namespace millrace-<name>)")), "name")


def add(name: str, actor: str, *, kubeconfig: str = "", context: str | None = None, in_cluster: bool = False,
        make_default: bool = False, project: str = "default", **facts) -> Cluster:
    """Register a cluster in `project`. `facts` (server, version, health, health_message, checked_at,
    namespace_created_at) come from a check already made; without them the daemon checks it."""
    check_name(name)
    projects.get(project)                   # NotFound names a project that does not exist
    server, ctx = facts.pop("server", ""), ""
    if "health_message" in facts:
        facts.update(health_fields(facts.pop("health_message")))
    if not in_cluster:
        _, ctx, server = parse_kubeconfig(kubeconfig, context)
    with write_transaction():
        if Cluster.get_or_none(Cluster.name == name) is not None:
            raise on_field(ValueError(N_("a cluster named '{name}' already exists (remove it first to change it)",
                                         name=name)), "name")
        make_default = make_default or default() is None
        if make_default:
            Cluster.update(is_default=False).where(Cluster.is_default == True).execute()  # noqa: E712
        row = Cluster.create(name=name, kubeconfig_sealed=seal(kubeconfig) if kubeconfig and not in_cluster else "",
                             context=ctx, in_cluster=in_cluster, server=server, namespace=f"millrace-{name}",
                             owner_label=pyrandom.token_hex(5), is_default=make_default, created_by=actor,
                             project=project, **facts)
        audit.record(actor, "create", row, server=server, context=ctx, in_cluster=in_cluster, default=make_default,
                     project=project)
    return row


def set_default(name: str, actor: str) -> Cluster:
    with write_transaction():
        row = get(name)
        Cluster.update(is_default=False).where(Cluster.is_default == True).execute()  # noqa: E712
        Cluster.update(is_default=True).where(Cluster.id == row.id).execute()
        audit.record(actor, "set_default", row)
    return get(name)


def users(name: str) -> list[str]:
    """Live pipelines whose current definition runs on (or deploys to) cluster `name`."""
    from models import pipelines   # late: pipelines is the heavier module
    chosen = default()
    is_default = chosen is not None and chosen.name == name
    found = []
    for p in pipelines.live():
        spec = pipelines.current_spec(p)
        runs_here = spec.get("cluster") == name or (not spec.get("cluster") and is_default)
        deploys_here = any(t.get("cluster") == name for s in spec["stages"] for t in s["tasks"]
                           if t.get("type") in ("deploy_yaml", "deploy_chart"))
        if runs_here or deploys_here:
            found.append(p.name)
    return sorted(found)


def running_tasks(name: str) -> int:
    from models.tables import TaskRun
    return TaskRun.select().where((TaskRun.executor == f"kubernetes:{name}")
                                  & TaskRun.status.in_(["running", "waiting"])).count()


def remove(name: str, actor: str, confirmed: bool = False) -> list[str]:
    """Remove a cluster; refused while tasks run on it, and (unless confirmed) while pipelines use it.
    Returns the pipelines that used it."""
    used = users(name)
    with write_transaction():
        row = get(name)
        busy = running_tasks(name)
        if busy:
            raise InUse(N_("cluster '{name}' has {busy} task(s) running on it; stop those runs first",
                           name=name, busy=busy))
        if used and not confirmed:
            raise InUse(N_("cluster '{name}' is used by {count} pipeline(s): {names}; their runs will fail (or move "
                           "to the default cluster) once it is removed", name=name, count=len(used),
                           names=", ".join(used)))
        audit.record(actor, "delete", row, server=row.server, used_by=used)
        row.delete_instance()
    return used


def record_health(cluster_id: int, health: str, message, at, **facts) -> None:
    """A fact from the daemon (or the CLI's check): what the cluster answered, and when. The
    message (a Msg, or text that keeps one: daemon.reasons.Reason) is stored in English
    with the message beside it."""
    Cluster.update(health=health, **health_fields(message), checked_at=at, **facts) \
        .where(Cluster.id == cluster_id).execute()


def health_fields(message) -> dict:
    """`health_message` and its language-neutral form, from a Msg, a Reason or plain text."""
    found = message if isinstance(message, i18n.Msg) else getattr(message, "message", None)
    return {"health_message": i18n.english(message),
            "health_message_json": found.to_json() if isinstance(found, i18n.Msg) else None}
