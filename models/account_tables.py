"""The accounts tables as peewee models (the schema is migrations/0010_accounts.py's).

Users, projects and their members, login sessions and personal access tokens. Secrets
are never here in a usable form: passwords are argon2id hashes, sessions and tokens the
SHA-256 of their random values.
"""
from __future__ import annotations

from peewee import AutoField, BooleanField, DateTimeField, ForeignKeyField, TextField

from models.db import BaseModel, utcnow

ROLES = ("project_admin", "member")
SCOPES = ("read", "run", "write", "admin")


class User(BaseModel):
    id = AutoField()
    username = TextField(unique=True)
    display_name = TextField(default="")
    password_hash = TextField()
    is_admin = BooleanField(default=False)
    is_active = BooleanField(default=True)
    must_change_password = BooleanField(default=False)
    language = TextField(default="")
    created_at = DateTimeField(default=utcnow)
    created_by = TextField(default="")
    password_changed_at = DateTimeField(null=True)
    last_login_at = DateTimeField(null=True)

    @property
    def name(self) -> str:          # what the audit trail records as the object's name
        return self.username


class Project(BaseModel):
    id = AutoField()
    name = TextField(unique=True)
    description = TextField(default="")
    created_at = DateTimeField(default=utcnow)
    created_by = TextField(default="")


class ProjectMember(BaseModel):
    id = AutoField()
    project = ForeignKeyField(Project, column_name="project_id", backref="members", on_delete="CASCADE")
    user = ForeignKeyField(User, column_name="user_id", backref="memberships", on_delete="CASCADE")
    role = TextField()
    added_at = DateTimeField(default=utcnow)
    added_by = TextField(default="")


class LoginSession(BaseModel):
    id = AutoField()
    user = ForeignKeyField(User, column_name="user_id", backref="sessions", on_delete="CASCADE")
    token_hash = TextField(unique=True)
    created_at = DateTimeField(default=utcnow)
    seen_at = DateTimeField(default=utcnow)
    ended_at = DateTimeField(null=True)
    end_reason = TextField(default="")
    remote_addr = TextField(default="")
    user_agent = TextField(default="")


class ApiToken(BaseModel):
    id = AutoField()
    user = ForeignKeyField(User, column_name="user_id", backref="tokens", on_delete="CASCADE")
    name = TextField()
    token_hash = TextField(unique=True)
    prefix = TextField()
    scopes = TextField()
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField(null=True)
    last_used_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(s for s in self.scopes.split(",") if s)


TABLES = [User, Project, ProjectMember, LoginSession, ApiToken]
