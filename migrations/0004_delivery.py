"""Delivery settings: container registries and the chart repository. Plain SQL so the
schema reads the same here as in `sqlite3 .schema`.

A registry's password is stored sealed (models.secrets.seal, Fernet with the data
directory's secret.key), never in clear. At most one registry is the default: the one
build & publish image tasks use when they name none. The chart repository is an OCI
path (`oci://host/path`); its credentials and TLS settings are those of a registry.
"""
atomic = True

STATEMENTS = [
    """CREATE TABLE registry (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        url TEXT NOT NULL,                          -- host[:port][/path], optionally with http:// or https://
        username TEXT NOT NULL DEFAULT '',
        password_sealed TEXT NOT NULL DEFAULT '',   -- '' when there is no password
        insecure INTEGER NOT NULL DEFAULT 0,        -- plain HTTP, or HTTPS without certificate checks
        ca_cert TEXT NOT NULL DEFAULT '',           -- PEM of a private CA
        is_default INTEGER NOT NULL DEFAULT 0,
        created_at DATETIME NOT NULL,
        updated_at DATETIME NOT NULL,
        updated_by TEXT NOT NULL DEFAULT '')""",
    "CREATE UNIQUE INDEX registry_one_default ON registry(is_default) WHERE is_default = 1",
    """CREATE TABLE chart_repository (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE DEFAULT 'default',
        url TEXT NOT NULL,                          -- oci://host/path
        registry_id INTEGER REFERENCES registry(id),  -- whose credentials/TLS to use; NULL = match by host
        updated_at DATETIME NOT NULL,
        updated_by TEXT NOT NULL DEFAULT '')""",
]


def up(migrator, db):
    for statement in STATEMENTS:
        db.execute_sql(statement)


def down(migrator, db):
    for table in ("chart_repository", "registry"):
        db.execute_sql(f"DROP TABLE {table}")
