"""Webhooks Millrace manages on the forge: the desired state, one row per repository.

A repository needs a hook while some live pipeline names it with an account in its code
source (`source: {repository, branch, account}`) and has a webhook rule with at least one
event. Deactivated pipelines keep it: their deliveries are recorded ("deactivated") and
reactivating needs no forge call. Removing the rule, or the account from the source, or
deleting the pipeline drops the need; the hook is then deleted on the forge.

Nothing here calls the forge. Saves only change what is wanted; `sync()` (the daemon, each
reconcile pass) turns that into rows: new ones `registering` with a fresh sealed secret,
unwanted ones `removing`. daemon/forge_hooks.py does the forge calls and writes the
outcome back through `record()`. A row's receiver URL is `<base_url>/hooks/repository/<id>`
(account_settings' configured base URL, never a request's Host), stable from the row's
creation, so a crash after the forge made the hook but before its id was stored is
repaired by finding the hook by URL.
"""
from __future__ import annotations

import secrets as random

from peewee import AutoField, DateTimeField, IntegerField, TextField

from models import account_settings, audit, i18n
from models.db import BaseModel, utcnow, write_transaction
from models.i18n import N_
from models.nudge import wake_daemon
from models.secrets import seal, unseal
from models.tables import Pipeline
from models.webhook_parse import repo_key

REGISTERING, REGISTERED, MISSING, REMOVING = "registering", "registered", "missing", "removing"


class ForgeHook(BaseModel):
    id = AutoField()
    repository = TextField(unique=True)
    clone_url = TextField()
    account_id = IntegerField()
    forge_hook_id = TextField(default="")
    secret_sealed = TextField()
    state = TextField(default=REGISTERING)
    last_checked_at = DateTimeField(null=True)
    last_delivery_at = DateTimeField(null=True)
    last_error = TextField(default="")
    last_error_message = TextField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "forge_hook"

    @property
    def secret(self) -> str:
        return unseal(self.secret_sealed)

    @property
    def shown_error(self) -> str:
        return i18n.shown(self.last_error, self.last_error_message)

    @property
    def receiver_url(self) -> str:
        return f"{account_settings.public_url()}/hooks/repository/{self.id}"


TABLES = [ForgeHook]


def _managed_source(pipeline: Pipeline) -> dict | None:
    """The pipeline's code source if it names an account and a repository; else None."""
    from models import triggers      # late: triggers imports webhook parsing, which is heavier
    source = triggers.source_of(pipeline) or {}
    return source if source.get("account") and source.get("repository") else None


def wanted() -> dict[str, tuple[int, str]]:
    """repo_key → (account id, clone URL) of every repository a pipeline needs a hook on.
    Two pipelines on one repository share it; the lowest pipeline id's account manages it."""
    from models import triggers
    found: dict[str, tuple[int, str]] = {}
    rules = list(triggers.WebhookRule.select(triggers.WebhookRule, Pipeline).join(Pipeline)
                 .where(Pipeline.deleted_at.is_null()).order_by(Pipeline.id))
    for rule in rules:
        source = _managed_source(rule.pipeline)
        if source and (rule.on_push or rule.on_merge or rule.on_tag):
            found.setdefault(repo_key(source["repository"]), (int(source["account"]), source["repository"]))
    return found


def sync(now=None) -> list[ForgeHook]:
    """Make the rows say what is wanted; returns every row (the reconciler's work list)."""
    now = now or utcnow()
    need = wanted()
    with write_transaction():
        rows = {row.repository: row for row in ForgeHook.select()}
        for key, (account_id, clone_url) in need.items():
            row = rows.get(key)
            if row is None:
                ForgeHook.create(repository=key, clone_url=clone_url, account_id=account_id,
                                 secret_sealed=seal(random.token_urlsafe(32)), created_at=now, updated_at=now)
            elif row.state == REMOVING:      # wanted again before it was removed: keep (or re-make) it
                ForgeHook.update(state=REGISTERING, account_id=account_id, updated_at=now) \
                    .where(ForgeHook.id == row.id).execute()
            elif row.account_id != account_id and not _account_still_used(row):
                ForgeHook.update(account_id=account_id, updated_at=now).where(ForgeHook.id == row.id).execute()
        for key, row in rows.items():
            if key not in need and row.state != REMOVING:
                ForgeHook.update(state=REMOVING, updated_at=now).where(ForgeHook.id == row.id).execute()
    return list(ForgeHook.select().order_by(ForgeHook.id))


def _account_still_used(row: ForgeHook) -> bool:
    from models import forge_accounts
    return bool(forge_accounts.users(row.account_id))


def record(row: ForgeHook, now=None, *, error=None, **fields) -> None:
    """The reconciler's finding: new fields, and the error (a Msg or text; None clears it)."""
    now = now or utcnow()
    words = {"last_error": i18n.english(error)[:2000] if error else "",
             "last_error_message": error.to_json() if isinstance(error, i18n.Msg) else None}
    with write_transaction():
        ForgeHook.update(**fields, **words, last_checked_at=now, updated_at=now) \
            .where(ForgeHook.id == row.id).execute()


def remove_row(row: ForgeHook) -> None:
    with write_transaction():
        ForgeHook.delete().where((ForgeHook.id == row.id) & (ForgeHook.state == REMOVING)).execute()


def for_pipeline(pipeline: Pipeline) -> ForgeHook | None:
    """The hook row of the pipeline's repository, if its source names an account."""
    source = _managed_source(pipeline)
    return ForgeHook.get_or_none(ForgeHook.repository == repo_key(source["repository"])) if source else None


def is_managed(pipeline: Pipeline) -> bool:
    return _managed_source(pipeline) is not None


def request_repair(pipeline: Pipeline, actor: str) -> ForgeHook:
    """"Repair": at its next pass the reconciler looks for the hook on the forge, keeps it when it
    is there and makes it again when it is not. ValueError when the pipeline has no hook to repair."""
    row = for_pipeline(pipeline)
    if row is None or row.state == REMOVING:
        raise ValueError(N_("'{name}' has no webhook managed by Millrace to repair (it needs a code source "
                            "with an account and a webhook event)", name=pipeline.name))
    with write_transaction():      # registering finds a hook still there by its URL, so nothing is doubled
        ForgeHook.update(state=REGISTERING, last_checked_at=None, updated_at=utcnow()) \
            .where(ForgeHook.id == row.id).execute()
        audit.record(actor, "repair_webhook", pipeline, repository=row.repository)
    wake_daemon()
    return ForgeHook.get_by_id(row.id)


def record_delivery(row_id: int, now=None) -> None:
    with write_transaction():
        ForgeHook.update(last_delivery_at=now or utcnow()).where(ForgeHook.id == row_id).execute()
