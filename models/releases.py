"""Chart releases and their revision history; the rollback intent.

Deploy chart tasks (daemon side) `record()` each revision they made: deployed (the one
before it becomes superseded) or failed once the cluster was touched. A rollback is an
intent, written by the CLI or the dashboard: `request_rollback()` queues a run of the
pipeline that deployed the chosen revision, whose only task is a deploy chart task with
that revision's chart version and values, so the daemon does the cluster work with the
usual log, stop and restart. That run's definition is stored as a version of the
pipeline that never becomes its current one. The run then records the new revision.
"""
from __future__ import annotations

import json

from peewee import fn, AutoField, DateTimeField, ForeignKeyField, IntegerField, TextField

from models import audit, pipelines, runs, spec as specs
from models.db import BaseModel, utcnow, write_transaction
from models.errors import NotFound
from models.i18n import N_
from models.nudge import wake_daemon
from models.tables import Pipeline, PipelineVersion, Run

STATUSES = ("deployed", "superseded", "failed")
ROLLBACK_ENV = "MILLRACE_ROLLBACK_OF"      # set on a rollback run's task: the revision it re-applies


class ReleaseRevision(BaseModel):
    id = AutoField()
    release = TextField()
    cluster = TextField()
    namespace = TextField()
    revision = IntegerField()
    chart = TextField()
    chart_version = TextField()
    values_json = TextField(default="{}")
    status = TextField()
    description = TextField(default="")
    rollback_of = IntegerField(null=True)
    reason = TextField(default="")
    resources_json = TextField(default="[]")
    run = ForeignKeyField(Run, column_name="run_id", null=True, on_delete="SET NULL")
    deployed_at = DateTimeField(default=utcnow)

    @property
    def name(self) -> str:          # how the audit trail names it
        return f"{self.release} revision {self.revision} ({self.cluster}/{self.namespace})"

    @property
    def values(self) -> dict:
        return json.loads(self.values_json)

    @property
    def resources(self) -> list[list[str]]:
        return json.loads(self.resources_json)


TABLES = [ReleaseRevision]


def _of(release: str, cluster: str, namespace: str):
    return ((ReleaseRevision.release == release) & (ReleaseRevision.cluster == cluster)
            & (ReleaseRevision.namespace == namespace))


def next_revision(release: str, cluster: str, namespace: str) -> int:
    top = ReleaseRevision.select(fn.MAX(ReleaseRevision.revision)).where(_of(release, cluster, namespace)).scalar()
    return (top or 0) + 1


def record(release: str, cluster: str, namespace: str, *, chart: str, chart_version: str, values: dict,
           status: str, run_id: int | None, resources: list, rollback_of: int | None = None,
           reason: str = "") -> ReleaseRevision:
    """A fact from a deploy chart task: the next revision of the release, as it ended."""
    with write_transaction():
        number = next_revision(release, cluster, namespace)
        description = f"rollback to {rollback_of}" if rollback_of else "install" if number == 1 else "upgrade"
        if status == "deployed":
            ReleaseRevision.update(status="superseded").where(
                _of(release, cluster, namespace) & (ReleaseRevision.status == "deployed")).execute()
        return ReleaseRevision.create(
            release=release, cluster=cluster, namespace=namespace, revision=number, chart=chart,
            chart_version=chart_version, values_json=json.dumps(values, sort_keys=True), status=status,
            description=description, rollback_of=rollback_of, reason=reason, resources_json=json.dumps(resources),
            run=run_id)


def history(release: str, cluster: str | None = None, namespace: str | None = None) -> list[ReleaseRevision]:
    """Revisions of one release, newest first. Cluster and namespace may be left out when
    only one release has that name."""
    places = {
        (r.cluster, r.namespace)
        for r in ReleaseRevision.select(ReleaseRevision.cluster, ReleaseRevision.namespace)
        .where(ReleaseRevision.release == release)
        .distinct()
    }
    chosen = {(c, n) for c, n in places if cluster in (None, c) and namespace in (None, n)}
    if not chosen:
        if cluster and namespace:
            message = N_("no release named '{release}' on cluster '{cluster}' in namespace {namespace}",
                         release=release, cluster=cluster, namespace=namespace)
        elif cluster:
            message = N_("no release named '{release}' on cluster '{cluster}'", release=release, cluster=cluster)
        elif namespace:
            message = N_("no release named '{release}' in namespace {namespace}", release=release,
                         namespace=namespace)
        else:
            message = N_("no release named '{release}'", release=release)
        raise NotFound(message)
    if len(chosen) > 1:
        where = ", ".join(f"{c}/{n}" for c, n in sorted(chosen))
        raise NotFound(N_("release '{release}' exists in several places ({where}): name the --cluster and "
                          "--namespace", release=release, where=where))
    (c, n), = chosen
    return list(ReleaseRevision.select().where(_of(release, c, n)).order_by(ReleaseRevision.revision.desc()))


def releases(cluster: str | None = None, namespace: str | None = None) -> list[ReleaseRevision]:
    """The latest revision of every release (optionally of one cluster / namespace)."""
    latest = (ReleaseRevision.select(fn.MAX(ReleaseRevision.id))
              .group_by(ReleaseRevision.release, ReleaseRevision.cluster, ReleaseRevision.namespace))
    query = ReleaseRevision.select().where(ReleaseRevision.id.in_(latest))
    if cluster:
        query = query.where(ReleaseRevision.cluster == cluster)
    if namespace:
        query = query.where(ReleaseRevision.namespace == namespace)
    return list(query.order_by(ReleaseRevision.cluster, ReleaseRevision.namespace, ReleaseRevision.release))


def _literal(text: str) -> str:
    """Stored values are already substituted: keep a `${X}` in them literal."""
    return str(text).replace("${", "$${")


def rollback_spec(rev: ReleaseRevision, pipeline: Pipeline, timeout_minutes: int | None) -> dict:
    task = {"name": f"roll back {rev.release}", "type": "deploy_chart", "release": rev.release, "chart": rev.chart,
            "chart_version": _literal(rev.chart_version), "namespace": rev.namespace, "cluster": rev.cluster,
            "parameters": {k: _literal(v) for k, v in rev.values.items()},
            "env": [{"name": ROLLBACK_ENV, "value": str(rev.revision)}]}
    return specs.validate({"name": pipeline.name, "timeout_minutes": timeout_minutes,
                           "description": f"roll back release {rev.release} to revision {rev.revision}",
                           "stages": [{"name": "Roll back", "mode": "serial", "tasks": [task]}]})


def request_rollback(release: str, revision: int, actor: str, cluster: str | None = None,
                     namespace: str | None = None) -> Run:
    """Queue the run that re-applies `revision`'s chart version and values as a new revision."""
    revisions = history(release, cluster, namespace)
    rev = next((r for r in revisions if r.revision == int(revision)), None)
    if rev is None:
        known = ", ".join(str(r.revision) for r in reversed(revisions))
        raise NotFound(N_("release '{release}' has no revision {revision} (revisions: {known})", release=release,
                          revision=revision, known=known))
    if rev.status == "failed":
        raise ValueError(N_("revision {revision} of release '{release}' failed to deploy ({reason}); roll back to a "
                            "revision that was deployed", revision=rev.revision, release=release, reason=rev.reason))
    deployed_by = Run.get_or_none(Run.id == rev.run_id) if rev.run_id else None
    if deployed_by is None or deployed_by.pipeline.deleted_at is not None:
        raise ValueError(N_("revision {revision} of release '{release}' was deployed by a run or pipeline that has "
                            "been deleted, so there is no pipeline to run the rollback in", revision=rev.revision,
                            release=release))
    pipeline = deployed_by.pipeline
    definition = rollback_spec(rev, pipeline, pipelines.definition(deployed_by.version)["timeout_minutes"])
    with write_transaction():
        number = PipelineVersion.select().where(PipelineVersion.pipeline == pipeline).count() + 1
        version = PipelineVersion.create(pipeline=pipeline, version_number=number, created_by=actor,
                                         definition_json=json.dumps(definition))
        run = runs.enqueue_run(pipeline, "rollback", actor, version=version, require_active=False,
                               cause_detail=f"of release {release} to revision {rev.revision}")
        audit.record(actor, "rollback", rev, run=run.label)
    wake_daemon()       # again: the one inside enqueue_run came before this transaction committed
    return run
