"""Pipelines and their versions: every save is a new immutable version.

The intents that change pipelines live here (create, save, restore, copy, activate,
delete), each writing its audit row in the same transaction. Secret environment values are
sealed before a version is stored; a secret sent back empty (the editor never shows them)
keeps the value of the previous version.

Saves are optimistic: a save `based_on` the version its editor opened is refused with
`Stale` when another save (the CLI's `apply`, another browser) stored a newer version
meanwhile; the check and the write are one transaction, so it holds for every writer. A
save that changes nothing stores no version: it returns the current one (`is_new` False).
"""
from __future__ import annotations

import json

from models import audit, projects, spec as specs
from models.db import utcnow, write_transaction
from models.errors import Conflict, NotFound, on_field
from models.i18n import N_
from models.secrets import seal
from models.tables import Pipeline, PipelineVersion


class Stale(Conflict):
    """A save based on an older version than the stored one; `current` is the stored version."""

    def __init__(self, pipeline: Pipeline, based_on: int, current: PipelineVersion):
        self.based_on, self.current = based_on, current
        super().__init__(N_("pipeline '{name}' was changed meanwhile: version {version} was saved by {actor} after "
                            "version {based_on}, which these edits started from", name=pipeline.name,
                            version=current.version_number, actor=current.created_by, based_on=based_on))


def live():
    return Pipeline.select().where(Pipeline.deleted_at.is_null())


def get(name_or_id) -> Pipeline:
    query = live().where((Pipeline.id == name_or_id) if isinstance(name_or_id, int) else (Pipeline.name == name_or_id))
    pipeline = query.first()
    if pipeline is None:
        raise NotFound(
            N_("no pipeline named '{name}'", name=name_or_id) if isinstance(name_or_id, str)
            else N_("no pipeline with id {id}", id=name_or_id)
        )
    return pipeline


def current_version(pipeline: Pipeline) -> PipelineVersion:
    return PipelineVersion.get_by_id(pipeline.current_version_id)


def definition(version: PipelineVersion) -> dict:
    return json.loads(version.definition_json)


def current_spec(pipeline: Pipeline) -> dict:
    return definition(current_version(pipeline))


def _secret_index(spec: dict) -> dict:
    out = {}
    for stage in spec.get("stages", []):
        for task in stage.get("tasks", []):
            for env in task.get("env", []):
                if env.get("secret") and env.get("encrypted"):
                    out[(stage["name"], task["name"], env["name"])] = env["encrypted"]
    return out


def _kept_secret(kept: dict, stage: str, task: str, name: str) -> str | None:
    """The previous version's sealed value for this variable: same stage, task and name; else
    the one variable of that task and name (the stage was renamed or copied); else the one
    variable of that name anywhere (the task was renamed)."""
    if (stage, task, name) in kept:
        return kept[(stage, task, name)]
    for match in (lambda k: k[1:] == (task, name), lambda k: k[2] == name):
        found = {value for key, value in kept.items() if match(key)}
        if len(found) == 1:
            return found.pop()
    return None


def seal_secrets(spec: dict, previous: dict | None) -> dict:
    """Encrypt plaintext secret values; an empty secret keeps the previous version's value."""
    kept = _secret_index(previous or {})
    errors = []
    for i, stage in enumerate(spec["stages"]):
        for j, task in enumerate(stage["tasks"]):
            for k, env in enumerate(task.get("env", [])):
                if not env.get("secret") or env.get("encrypted"):
                    continue
                value = env.pop("value", "")
                previous_value = None if value else _kept_secret(kept, stage["name"], task["name"], env["name"])
                if value:
                    env["encrypted"] = seal(value)
                elif previous_value:
                    env["encrypted"] = previous_value
                else:
                    errors.append(
                        (
                            f"stages[{i}].tasks[{j}].env[{k}].value",
                            N_("required (secret values are never shown again; type it in)"),
                        )
                    )
    if errors:
        raise specs.SpecError(errors)
    return spec


class QuotaReached(Conflict):
    """One pipeline more than the administrator's cap (the manual's trial mode: 10)."""


def _check_quota() -> None:
    """Inside the creating transaction, so two creators cannot both take the last place."""
    from models import account_settings
    cap = account_settings.number("pipeline_quota")
    if cap:
        count = live().count()
        if count >= cap:
            raise QuotaReached(N_("pipeline quota reached ({count} of {cap}); ask an administrator to raise it",
                                  count=count, cap=cap))


def create(raw: dict, actor: str, project: str = "default") -> Pipeline:
    spec = seal_secrets(specs.validate(raw), None)
    projects.get(project)                                   # NotFound names a project that does not exist
    with write_transaction():
        if live().where(Pipeline.name == spec["name"]).exists():
            raise on_field(Conflict(N_("a pipeline named '{name}' already exists", name=spec["name"])), "name")
        _check_quota()
        pipeline = Pipeline.create(name=spec["name"], description=spec["description"], owner=actor, project=project)
        _add_version(pipeline, spec, actor)
        audit.record(actor, "create", pipeline)
    return pipeline


def save(pipeline: Pipeline, raw: dict, actor: str, *, based_on: int | None = None,
         action: str = "edit", **detail) -> PipelineVersion:
    """Store a new version; renaming is allowed when the new name is free.

    `based_on`: the version number the edits started from; a newer stored version raises
    Stale and stores nothing (None: no check, the CLI's `apply`). A definition equal to the
    stored one stores nothing and returns the current version (`is_new` False).
    """
    spec = specs.validate(raw)
    with write_transaction():
        stored = Pipeline.get_by_id(pipeline.id)          # read inside the write lock: no save slips between
        if stored.deleted_at is not None:
            raise NotFound(N_("pipeline '{name}' was deleted", name=pipeline.name))
        current = PipelineVersion.get_by_id(stored.current_version_id)
        if based_on is not None and current.version_number != int(based_on):
            raise Stale(stored, int(based_on), current)
        sealed = seal_secrets(spec, definition(current))
        if _comparable(sealed) == _comparable(definition(current)):
            current.is_new = False
            return current
        if sealed["name"] != stored.name and live().where(Pipeline.name == sealed["name"]).exists():
            raise on_field(Conflict(N_("a pipeline named '{name}' already exists", name=sealed["name"])), "name")
        version = _add_version(pipeline, sealed, actor)
        audit.record(actor, action, pipeline, version=version.version_number, **detail)
    version.is_new = True
    return version


def versions(pipeline: Pipeline) -> list[PipelineVersion]:
    """Every stored version, newest first."""
    return list(PipelineVersion.select().where(PipelineVersion.pipeline == pipeline)
                .order_by(PipelineVersion.version_number.desc()))


def version_of(pipeline: Pipeline, number: int) -> PipelineVersion:
    found = PipelineVersion.get_or_none(PipelineVersion.pipeline == pipeline, PipelineVersion.version_number == number)
    if found is None:
        raise NotFound(N_("pipeline '{name}' has no version {number}", name=pipeline.name, number=number))
    return found


def restore(pipeline: Pipeline, number: int, actor: str, *, based_on: int | None = None) -> PipelineVersion:
    """Store version `number`'s definition as a new version (audited as a restore); its
    sealed secrets come back with it. The old version's name must still be free."""
    return save(pipeline, definition(version_of(pipeline, number)), actor, based_on=based_on,
                action="restore", restored=number)


def apply(raw: dict, actor: str, based_on: int | None = None, project: str | None = None) -> tuple[Pipeline, str]:
    """Create or update by name (the `apply -f` verb). Returns (pipeline, 'created'|'updated'|'unchanged').
    `based_on` (`apply --based-on N`): the version the file was exported from; Stale if a newer one is stored.
    `project` (`apply --project P`): where a new pipeline goes (default: `default`); an existing one is not moved."""
    spec = specs.validate(raw)
    existing = live().where(Pipeline.name == spec["name"]).first()
    if existing is None:
        if based_on is not None:
            raise NotFound(N_("no pipeline named '{name}' to update from version {based_on}", name=spec["name"],
                              based_on=based_on))
        return create(spec, actor, project=project or projects.DEFAULT), "created"
    if project and project != existing.project:
        raise Conflict(N_("pipeline '{name}' is in project '{project}'; apply does not move a pipeline to "
                          "another project", name=existing.name, project=existing.project))
    return existing, "updated" if save(existing, spec, actor, based_on=based_on).is_new else "unchanged"


def _comparable(spec):
    # Sealing is randomised, so compare secrets by presence only.
    text = json.dumps(spec, sort_keys=True)
    for token in _secret_index(spec).values():
        text = text.replace(token, "<sealed>")
    return text


def _add_version(pipeline: Pipeline, spec: dict, actor: str) -> PipelineVersion:
    number = (PipelineVersion.select().where(PipelineVersion.pipeline == pipeline).count()) + 1
    version = PipelineVersion.create(pipeline=pipeline, version_number=number, created_by=actor,
                                     definition_json=json.dumps(spec))
    pipeline.current_version_id = version.id
    pipeline.name, pipeline.description, pipeline.updated_at = spec["name"], spec["description"], utcnow()
    pipeline.save()
    return version


def copy(pipeline: Pipeline, new_name: str, actor: str) -> Pipeline:
    spec = current_spec(pipeline)
    spec["name"] = new_name
    copied = create(spec, actor, project=pipeline.project)
    with write_transaction():
        audit.record(actor, "copy", copied, copied_from=pipeline.name)
    return copied


def set_active(pipeline: Pipeline, active: bool, actor: str) -> None:
    with write_transaction():
        Pipeline.update(is_active=active, updated_at=utcnow()).where(Pipeline.id == pipeline.id).execute()
        audit.record(actor, "activate" if active else "deactivate", pipeline)
    pipeline.is_active = active


def delete(pipeline: Pipeline, actor: str) -> None:
    """Soft delete: the name becomes free, runs and audit rows stay for the record."""
    from models.runs import active_runs
    if active_runs(pipeline).exists():
        raise Conflict(N_("pipeline '{name}' has active runs; stop them first", name=pipeline.name))
    with write_transaction():
        Pipeline.update(deleted_at=utcnow()).where(Pipeline.id == pipeline.id).execute()
        audit.record(actor, "delete", pipeline)
