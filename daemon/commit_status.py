"""Status back on the commit: the daemon's two steps over models.commit_statuses.

`collect(now)` writes the rows a run needs: `pending` once it has a pinned commit and has
started, its final state once it ended (both for a run that ended between two passes, so
the forge still sees pending → success). Only runs of the last WINDOW are looked at, and
only those whose version names an account in its code source. `send(now)` posts the due
rows, oldest first, to the run's commit (target_url: the run page from the configured base
URL; context: `millrace/<pipeline>`). A failure is kept on the row and retried; it never
touches the run. A pending that could not be sent before the run ended is dropped (sent
after the final state it would make the commit look unfinished).
"""
from __future__ import annotations

import datetime as dt
import logging

from models import account_settings, commit_statuses, forge_accounts, forge_client, forge_kinds, pipelines
from models.commit_statuses import FINAL, CommitStatus
from models.errors import NotFound
from models.forge_accounts import NeedsReauthorisation
from models.forge_repo_api import repo_root, status_body
from models.i18n import N_
from models.status import STARTED, TERMINAL
from models.tables import Pipeline, PipelineVersion, Run

log = logging.getLogger("millrace.commit_status")
WINDOW = dt.timedelta(days=2)
DESCRIPTIONS = {"pending": "running in Millrace", "success": "succeeded", "failure": "failed",
                "error": "stopped or timed out"}


def _source(run: Run) -> dict | None:
    source = pipelines.definition(run.version).get("source") or {}
    return source if source.get("account") and source.get("repository") else None


def collect(now: dt.datetime) -> int:
    finished = CommitStatus.select(CommitStatus.run).where(CommitStatus.state != "pending")
    candidates = list(Run.select(Run, PipelineVersion, Pipeline).join(PipelineVersion).switch(Run).join(Pipeline)
                      .where(Run.commit_sha.is_null(False) & (Run.queued_at >= now - WINDOW)
                             & Run.status.in_([str(s) for s in STARTED | TERMINAL])
                             & PipelineVersion.definition_json.contains('"account"') & Run.id.not_in(finished)))
    added = 0
    for run in candidates:
        if _source(run) is None:
            continue
        added += commit_statuses.add(run, "pending", now)
        if run.status in TERMINAL:
            added += commit_statuses.add(run, FINAL[run.status], now)
    return added


def send(now: dt.datetime) -> None:
    for row in commit_statuses.due(now):
        try:
            _send(row, now)
        except (forge_client.ForgeError, NeedsReauthorisation) as exc:
            commit_statuses.failed(row, exc.args[0] if exc.args else type(exc).__name__, now)
        except (NotFound, ValueError) as exc:          # no account, a repository elsewhere: retrying cannot help
            commit_statuses.failed(row, exc.args[0] if exc.args else type(exc).__name__, now, final=True)
        except Exception as exc:     # noqa: BLE001 — one report's trouble never stops the others
            log.exception("commit status %s", row.id)
            commit_statuses.failed(row, type(exc).__name__, now)


def _send(row: CommitStatus, now) -> None:
    run = Run.select(Run, Pipeline, PipelineVersion).join(Pipeline).switch(Run).join(PipelineVersion) \
        .where(Run.id == row.run_id).get()
    if row.state == "pending" and row.attempts and CommitStatus.select().where(
            (CommitStatus.run == run) & (CommitStatus.state != "pending")).exists():
        commit_statuses.failed(row, N_("pending was not sent before the run ended; only its end is reported"),
                               now, final=True)
        return
    source = _source(run)
    account = forge_accounts.get(source["account"])
    target = f"{account_settings.public_url()}/pipelines/{run.pipeline_id}/runs/{run.number}"
    response = forge_client.request(account, "POST", f"{repo_root(account, source['repository'])}/statuses/{row.sha}",
                                    now=now, json=status_body(account, row.state, target, row.context,
                                                              f"{run.label}: {DESCRIPTIONS[row.state]}"))
    if response.status_code not in (200, 201):
        raise forge_client.ForgeError(N_("{forge} refused the commit status: {error}",
                                         forge=forge_kinds.LABELS[account.forge],
                                         error=forge_client.error_words(response)))
    commit_statuses.reported(row, now)
