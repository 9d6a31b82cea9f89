"""The webhook receivers (Flask blueprint): `POST /hooks/github` and `POST /hooks/gitlab`
(per-pipeline secrets pasted by hand, for plain git URLs), and `POST /hooks/repository/<id>`
(the one hook per repository Millrace registered itself: models/forge_hooks.py).

It only checks and stores: a delivery signed by the secret of some pipeline on its
repository is written raw (headers, body, delivery id) and answered 202 at once; the
daemon turns it into runs (daemon/triggers.py), so a daemon that is down loses nothing.
Missing or wrong secret → 401 and no event stored; a replayed delivery id → 200
"duplicate"; malformed JSON → 400; a body over 5 MB → 413; ping → 200. A managed hook's
delivery is checked with that repository's secret and is for every pipeline naming the
repository with an account; the daemon fans it out (branch and event rules) as for any.
"""
from __future__ import annotations

import threading

from flask import Blueprint, jsonify, request

from models import forge_accounts, forge_hooks
from models.db import database
from models.i18n import _
from models.triggers import record_unstored, store_delivery, webhook_candidates, webhook_secret
from models.webhook_parse import load_json, parse, verify

MAX_BODY = 5 * 1024 * 1024
SIGNATURE_HEADER = {"github": "X-Hub-Signature-256", "gitlab": "X-Gitlab-Token"}
# Headers worth keeping with a delivery (lower case, as stored). Never GitLab's token:
# it is the secret in clear, and a copied database file must reveal no secret.
KEPT_HEADERS = ("content-type", "user-agent", "x-github-event", "x-github-delivery", "x-github-hook-id",
                "x-hub-signature-256", "x-gitlab-event", "x-gitlab-event-uuid", "idempotency-key",
                "x-gitlab-instance")

hooks_blueprint = Blueprint("hooks", __name__)
# Writers in this process queue on a lock (woken at once) instead of on SQLite's busy
# handler (which sleeps in growing steps), which keeps a burst's p99 low.
_write_lock = threading.Lock()


def _answer(code: int, **body):
    return jsonify(body), code


def _read_body(provider: str):
    """(body, None), or (None, the answer refusing it)."""
    if (request.content_length or 0) > MAX_BODY:
        return None, _answer(413, error=_("body larger than 5 MB"))
    body = request.stream.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return None, _answer(413, error=_("body larger than 5 MB"))
    if not request.headers.get(SIGNATURE_HEADER[provider]):
        return None, _answer(401, error=_("missing {header} header", header=SIGNATURE_HEADER[provider]))
    try:
        load_json(body)
    except ValueError as err:
        return None, _answer(400, error=str(err))
    return body, None


def _in_connection(work):
    opened = database.is_closed()
    try:
        return work()
    finally:
        if opened:      # a request thread opened its own connection: give it back
            database.close()


@hooks_blueprint.post("/hooks/<provider>")
def receive(provider: str):
    if provider not in SIGNATURE_HEADER:
        return _answer(404, error=_("unknown provider '{provider}' (use /hooks/github or /hooks/gitlab)", provider=provider))
    body, refused = _read_body(provider)
    if refused:
        return refused
    return _in_connection(lambda: _accept(provider, {k.lower(): v for k, v in request.headers.items()}, body))


@hooks_blueprint.post("/hooks/repository/<int:hook_id>")
def receive_managed(hook_id: int):
    return _in_connection(lambda: _accept_managed(hook_id))


def _accept_managed(hook_id: int):
    row = forge_hooks.ForgeHook.get_or_none(forge_hooks.ForgeHook.id == hook_id)
    account = forge_accounts.ForgeAccount.get_or_none(forge_accounts.ForgeAccount.id == row.account_id) if row else None
    if account is None or row.state == forge_hooks.REMOVING:
        return _answer(404, error=_("no webhook managed by Millrace at this address"))
    provider = account.forge
    body, refused = _read_body(provider)
    if refused:
        return refused
    headers = {k.lower(): v for k, v in request.headers.items()}
    event = parse(provider, headers, body)
    if not verify(provider, row.secret, headers, body):
        with _write_lock:
            record_unstored(provider, event.name, row.repository, "rejected: bad signature")
        return _answer(401, error=_("signature does not match this repository's webhook secret"))
    if event.repository and event.repository != row.repository:
        return _answer(400, error=_("this delivery is about {other}, not {repository}", other=event.repository,
                                    repository=row.repository))
    pipeline_ids = [p.id for p, _rule, source in webhook_candidates(row.repository) if source.get("account")]
    return _store(provider, event, headers, body, pipeline_ids, row.repository, managed=row.id)


def _accept(provider: str, headers: dict, body: bytes):
    event = parse(provider, headers, body)
    candidates = webhook_candidates(event.repository) if event.repository else []
    # Several pipelines may share a repository; only those whose secret signed it act on it.
    verified_for = [p.id for p, rule, _ in candidates if verify(provider, webhook_secret(rule), headers, body)]
    if not verified_for:
        if candidates:      # someone is trying our repository: show it in its deliveries list
            with _write_lock:
                record_unstored(provider, event.name, event.repository, "rejected: bad signature")
        return _answer(401, error=_("signature does not match the secret of any pipeline on this repository"))
    return _store(provider, event, headers, body, verified_for, event.repository)


def _store(provider, event, headers, body, verified_for, repository, managed=None):
    kept = {name: headers[name] for name in KEPT_HEADERS if name in headers}
    ping = "ping: the webhook works" if event.kind == "ping" else None
    with _write_lock:
        stored = store_delivery(provider, event.delivery_id, event.name, repository, kept, body,
                                verified_for, processed_outcome=ping)
        if managed is not None:
            forge_hooks.record_delivery(managed)
    if stored is None:
        return _answer(200, status="duplicate", delivery=event.delivery_id)
    if ping:
        return _answer(200, status="pong", delivery=event.delivery_id)
    return _answer(202, status="accepted", delivery=event.delivery_id, id=stored.id)
