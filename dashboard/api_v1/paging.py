"""Paging for /api/v1 lists: `?page=1&per_page=50` (per_page at most 100), a JSON array as
the body, `X-Total-Count` and an RFC 8288 `Link` header (first/prev/next/last, absolute URLs
that keep the request's other query parameters).

A list resource takes `PageQuery` (or a schema that inherits it) as its query input and
returns `page(query, args)`'s (rows, headers): `return [shape(r) for r in rows], 200, headers`.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import request
from marshmallow import Schema, fields, validate

MAX_PER_PAGE = 100


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class PageHeaders(Schema):
    """The headers a list answers with (documented in the OpenAPI document)."""
    x_total_count = fields.Integer(data_key="X-Total-Count")
    link = fields.String(data_key="Link")


def _url(page: int, per_page: int) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "per_page")]
    return request.base_url + "?" + urlencode(args + [("page", page), ("per_page", per_page)])


def headers(total: int, page: int, per_page: int) -> dict:
    last = max(1, -(-total // per_page))
    links = [(1, "first")]
    if page > 1:
        links.append((min(page - 1, last), "prev"))
    if page < last:
        links.append((page + 1, "next"))
    links.append((last, "last"))
    return {"X-Total-Count": str(total),
            "Link": ", ".join(f'<{_url(n, per_page)}>; rel="{rel}"' for n, rel in links)}


def page(query, args: dict) -> tuple[list, dict]:
    """The rows of `query` (already ordered) on the asked page, and the headers to send."""
    number, per_page = args["page"], args["per_page"]
    total = query.count()
    rows = list(query.limit(per_page).offset((number - 1) * per_page))
    return rows, headers(total, number, per_page)
