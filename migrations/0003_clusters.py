"""Kubernetes clusters registered with Millrace. Plain SQL so the schema reads the same
here as in `sqlite3 .schema`.

The kubeconfig is stored sealed (models.secrets.seal: Fernet with the data directory's
secret.key), never in clear; an in-cluster registration stores none. `owner_label` marks
the pods and Secrets this installation creates on the cluster, so the sweeper never
deletes another's. Health is what the daemon last saw, with the time it looked.
At most one cluster is the default (pipelines that name none run there).
"""
atomic = True

STATEMENTS = [
    """CREATE TABLE cluster (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,                  -- also names the namespace: millrace-<name>
        kubeconfig_sealed TEXT NOT NULL DEFAULT '', -- '' for the in-cluster service account
        context TEXT NOT NULL DEFAULT '',           -- kubeconfig context; '' = its current-context
        in_cluster INTEGER NOT NULL DEFAULT 0,
        server TEXT NOT NULL DEFAULT '',            -- API server address
        version TEXT NOT NULL DEFAULT '',           -- API server version, from the last good check
        namespace TEXT NOT NULL,
        owner_label TEXT NOT NULL,                  -- value of the millrace.dev/owner label on our objects
        is_default INTEGER NOT NULL DEFAULT 0,
        health TEXT NOT NULL DEFAULT 'checking',    -- checking | healthy | unreachable | refused | namespace missing | error
        health_message TEXT NOT NULL DEFAULT '',
        checked_at DATETIME,
        namespace_created_at DATETIME,              -- set once Millrace has made (or found) the namespace
        created_at DATETIME NOT NULL,
        created_by TEXT NOT NULL DEFAULT '')""",
    "CREATE UNIQUE INDEX cluster_one_default ON cluster(is_default) WHERE is_default = 1",
]


def up(migrator, db):
    for statement in STATEMENTS:
        db.execute_sql(statement)


def down(migrator, db):
    db.execute_sql("DROP TABLE cluster")
