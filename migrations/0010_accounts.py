"""Accounts: users, projects and their members, login sessions, personal access tokens.

Passwords are argon2id hashes (argon2-cffi); a session or a token is stored only as the
SHA-256 of its random value, so the database file lets nobody sign in. Roles are the
manual's (docs/permissions.md): `user.is_admin` is the administrator (all projects);
`project_member.role` is 'project_admin' or 'member' of one project. Everything that exists
before this migration belongs to the project `default`: pipelines already carry a
`project` column holding 'default', clusters get one here.
"""
atomic = True

STATEMENTS = [
    """CREATE TABLE user (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        username TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL DEFAULT '',
        password_hash TEXT NOT NULL,                -- argon2id, with its parameters and salt
        is_admin INTEGER NOT NULL DEFAULT 0,        -- administrator: every project, users, settings
        is_active INTEGER NOT NULL DEFAULT 1,       -- 0: disabled, cannot sign in, tokens refused
        must_change_password INTEGER NOT NULL DEFAULT 0,   -- set on a created or reset password
        language TEXT NOT NULL DEFAULT '',          -- '' = the browser's; else en | zh_CN
        created_at DATETIME NOT NULL,
        created_by TEXT NOT NULL DEFAULT '',
        password_changed_at DATETIME,
        last_login_at DATETIME)""",
    """CREATE TABLE project (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        created_at DATETIME NOT NULL,
        created_by TEXT NOT NULL DEFAULT '')""",
    """CREATE TABLE project_member (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        project_id INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('project_admin', 'member')),
        added_at DATETIME NOT NULL,
        added_by TEXT NOT NULL DEFAULT '',
        UNIQUE (project_id, user_id))""",
    """CREATE TABLE login_session (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,            -- sha256 of the value in the signed cookie
        created_at DATETIME NOT NULL,
        seen_at DATETIME NOT NULL,                  -- last request: the idle lifetime counts from here
        ended_at DATETIME,                          -- logout, expiry, password change, user disabled
        end_reason TEXT NOT NULL DEFAULT '',
        remote_addr TEXT NOT NULL DEFAULT '',
        user_agent TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX login_session_user ON login_session(user_id, ended_at)",
    """CREATE TABLE api_token (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,            -- sha256 of the token; the token is shown once
        prefix TEXT NOT NULL,                       -- its first characters, to recognise it in a list
        scopes TEXT NOT NULL,                       -- comma-separated: read, run, write, admin
        created_at DATETIME NOT NULL,
        expires_at DATETIME,
        last_used_at DATETIME,
        revoked_at DATETIME,
        UNIQUE (user_id, name))""",
    "ALTER TABLE cluster ADD COLUMN project TEXT NOT NULL DEFAULT 'default'",
    "INSERT INTO project (name, description, created_at, created_by) VALUES "
    "('default', 'Everything made before projects existed', strftime('%Y-%m-%d %H:%M:%f', 'now'), 'migration')",
]


def up(migrator, db):
    for statement in STATEMENTS:
        db.execute_sql(statement)


def down(migrator, db):
    db.execute_sql("ALTER TABLE cluster DROP COLUMN project")
    for table in ("api_token", "login_session", "project_member", "project", "user"):
        db.execute_sql(f"DROP TABLE {table}")
