"""Accounts through the API: `GET /api/v1/users` (administrators), `GET /api/v1/me` (who the
credential is: user, roles, a token's scopes) and the caller's own personal access tokens —
`GET /api/v1/me/tokens`, `POST /api/v1/me/tokens` (the value is in that answer only, never
again) and `DELETE /api/v1/me/tokens/{name}` (revoke). Tokens are made and revoked by
models/api_tokens, as on the Access tokens page; a token can make only tokens within its own
scopes, so a read token cannot mint a write one.
"""
from __future__ import annotations

from flask import g
from marshmallow import Schema, fields, validate

from dashboard.api_v1 import permissions
from dashboard.api_v1.blueprint import bp
from dashboard.api_v1.paging import PageHeaders, PageQuery, page
from dashboard.api_v1.times import Timestamp
from models import api_tokens, projects
from models.account_tables import SCOPES, ApiToken, User
from models.db import utcnow


class UserOut(Schema):
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    admin = fields.Boolean(required=True)
    active = fields.Boolean(required=True)
    projects = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                           metadata={"description": "project → role (project_admin or member)"})
    created_at = Timestamp(required=True)
    last_sign_in_at = Timestamp(required=True)


class Me(UserOut):
    scopes = fields.List(fields.String(), allow_none=True, required=True,
                         metadata={"description": "the token's scopes (with those they include); null: a session"})


class TokenOut(Schema):
    name = fields.String(required=True)
    prefix = fields.String(required=True, metadata={"description": "the value's first characters, to recognise it"})
    scopes = fields.List(fields.String(), required=True, metadata={"description": "as granted"})
    state = fields.String(required=True, validate=validate.OneOf(["active", "expired", "revoked"]))
    created_at = Timestamp(required=True)
    expires_at = Timestamp(required=True)
    last_used_at = Timestamp(required=True)
    revoked_at = Timestamp(required=True)


class NewToken(TokenOut):
    token = fields.String(required=True, metadata={"description": "the value: shown in this answer only"})


class TokenIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True,
                         validate=validate.Length(min=1))
    expires_days = fields.Integer(allow_none=True, load_default=None,
                                  validate=validate.Range(min=1, max=api_tokens.MAX_EXPIRY_DAYS),
                                  metadata={"description": "null: never expires"})


def _user(u: User) -> dict:
    return {"username": u.username, "display_name": u.display_name or "", "admin": bool(u.is_admin),
            "active": bool(u.is_active), "projects": projects.roles_of(u), "created_at": u.created_at,
            "last_sign_in_at": u.last_login_at}


def _token(t: ApiToken, now) -> dict:
    state = "revoked" if t.revoked_at else "expired" if t.expires_at is not None and t.expires_at <= now else "active"
    return {"name": t.name, "prefix": t.prefix, "scopes": sorted(t.scope_set), "state": state,
            "created_at": t.created_at, "expires_at": t.expires_at, "last_used_at": t.last_used_at,
            "revoked_at": t.revoked_at}


def _me() -> User:
    return g.millrace_user         # the door set it: every /api/v1 request has a user


@bp.get("/users")
@bp.input(PageQuery, location="query")
@bp.output(UserOut(many=True), headers=PageHeaders)
@bp.doc(operation_id="list_users", tags=["users"], responses=[403], summary="Every user (administrators)")
def list_users(query_data: dict):
    permissions.require("admin")
    rows, headers = page(User.select().order_by(User.username), query_data)
    return [_user(u) for u in rows], 200, headers


@bp.get("/me")
@bp.output(Me)
@bp.doc(operation_id="get_me", tags=["users"], summary="The signed-in user (or the token's), with its scopes")
def get_me():
    scopes = permissions.principal().scopes
    return {**_user(_me()), "scopes": [s for s in SCOPES if s in scopes] if scopes is not None else None}


@bp.get("/me/tokens")
@bp.output(TokenOut(many=True))
@bp.doc(operation_id="list_tokens", tags=["users"], summary="Your personal access tokens (values never shown)")
def list_tokens():
    now = utcnow()
    return [_token(t, now) for t in api_tokens.of(_me())]


@bp.post("/me/tokens")
@bp.input(TokenIn, location="json")
@bp.output(NewToken, status_code=201)
@bp.doc(operation_id="create_token", tags=["users"], responses=[409, 422],
        summary="Make a token; its value is in this answer only")
def create_token(json_data: dict):
    row, value = api_tokens.create(_me(), json_data["name"], json_data["scopes"],
                                   expires_days=json_data["expires_days"], within=permissions.principal().scopes)
    return {**_token(row, utcnow()), "token": value}, 201


@bp.delete("/me/tokens/<name>")
@bp.output({}, status_code=204)
@bp.doc(operation_id="revoke_token", tags=["users"], responses=[404], summary="Revoke one of your tokens")
def revoke_token(name: str):
    api_tokens.revoke(_me(), name, permissions.actor())
    return "", 204
