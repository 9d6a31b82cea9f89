"""The webhook receiver: `POST /hooks/github` and `POST /hooks/gitlab` (Flask blueprint).

It only checks and stores: a delivery signed by the secret of some pipeline on its
repository is written raw (headers, body, delivery id) and answered 202 at once; the
daemon turns it into runs (daemon/triggers.py), so a daemon that is down loses nothing.
Missing or wrong secret → 401 and no event stored; a replayed delivery id → 200
"duplicate"; malformed JSON → 400; a body over 5 MB → 413; ping → 200.
"""
from __future__ import annotations

import threading

from flask import Blueprint, jsonify, request

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


@hooks_blueprint.post("/hooks/<provider>")
def receive(provider: str):
    if provider not in SIGNATURE_HEADER:
        return _answer(404, error=_("unknown provider '{provider}' (use /hooks/github or /hooks/gitlab)", provider=provider))
    if (request.content_length or 0) > MAX_BODY:
        return _answer(413, error=_("body larger than 5 MB"))
    body = request.stream.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return _answer(413, error=_("body larger than 5 MB"))
    if not request.headers.get(SIGNATURE_HEADER[provider]):
        return _answer(401, error=_("missing {header} header", header=SIGNATURE_HEADER[provider]))
    try:
        load_json(body)
    except ValueError as err:
        return _answer(400, error=str(err))
    opened = database.is_closed()
    try:
        return _accept(provider, {k.lower(): v for k, v in request.headers.items()}, body)
    finally:
        if opened:      # a request thread opened its own connection: give it back
            database.close()


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
    kept = {name: headers[name] for name in KEPT_HEADERS if name in headers}
    ping = "ping: the webhook works" if event.kind == "ping" else None
    with _write_lock:
        stored = store_delivery(provider, event.delivery_id, event.name, event.repository, kept, body,
                                verified_for, processed_outcome=ping)
    if stored is None:
        return _answer(200, status="duplicate", delivery=event.delivery_id)
    if ping:
        return _answer(200, status="pong", delivery=event.delivery_id)
    return _answer(202, status="accepted", delivery=event.delivery_id, id=stored.id)
