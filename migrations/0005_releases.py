"""Chart releases: one row per revision of a release that deploy chart tasks made.
Plain SQL so the schema reads the same here as in `sqlite3 .schema`.

A release is named per cluster and namespace (like Helm: `helm history NAME -n NS`).
Each deploy — install, upgrade or rollback — adds the next revision with the chart
version and the values (parameter overrides) it was rendered with, the run that made it
and the objects it applied (for pruning). The cluster is kept by name so the history
outlives a cluster's removal.
"""
atomic = True

STATEMENTS = [
    """CREATE TABLE release_revision (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        release TEXT NOT NULL,
        cluster TEXT NOT NULL,                      -- registered cluster's name
        namespace TEXT NOT NULL,
        revision INTEGER NOT NULL,                  -- 1, 2, … per release, cluster and namespace
        chart TEXT NOT NULL,
        chart_version TEXT NOT NULL,
        values_json TEXT NOT NULL DEFAULT '{}',     -- the parameter overrides, substituted
        status TEXT NOT NULL,                       -- deployed | superseded | failed
        description TEXT NOT NULL DEFAULT '',       -- install | upgrade | rollback to N
        rollback_of INTEGER,                        -- the revision a rollback re-applied
        reason TEXT NOT NULL DEFAULT '',            -- why a failed revision failed
        resources_json TEXT NOT NULL DEFAULT '[]',  -- [apiVersion, kind, name] applied, for pruning
        run_id INTEGER REFERENCES run(id) ON DELETE SET NULL,
        deployed_at DATETIME NOT NULL,
        UNIQUE (release, cluster, namespace, revision))""",
    "CREATE INDEX release_revision_run ON release_revision(run_id)",
]


def up(migrator, db):
    for statement in STATEMENTS:
        db.execute_sql(statement)


def down(migrator, db):
    db.execute_sql("DROP TABLE release_revision")
