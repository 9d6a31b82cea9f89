"""What the fake GitHub and GitLab APIs share: the caller's token, pages of a list, and
recording a hook or a status so tests can read what the product did on the forge."""
from __future__ import annotations

from flask import abort, jsonify, make_response, request

MAX_PER_PAGE = 100


def caller(instance, unauthorized_message: str):
    """The forge user whose token the request carries; 401 (the forge's words) otherwise."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    token = instance.store.token_for(value.strip()) if scheme.lower() in ("bearer", "token") else None
    if token is None or token.is_revoked() or token.is_expired():
        abort(make_response(jsonify(message=unauthorized_message), 401))
    return token.user


def page_of(items: list, default_per_page: int = 30):
    """(the items of the requested page, page number, per_page, last page number)."""
    try:
        page = max(1, int(request.args.get("page", 1)))
        per_page = min(MAX_PER_PAGE, max(1, int(request.args.get("per_page", default_per_page))))
    except ValueError:
        abort(400)
    last = max(1, -(-len(items) // per_page))
    return items[(page - 1) * per_page: page * per_page], page, per_page, last


def json_body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else dict(request.form)
