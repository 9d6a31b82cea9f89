"""Webhooks Millrace manages on the forge, and commit statuses it reports (issue 15, part C).

`forge_hook` is the desired state of one webhook per repository (`repository` is
models.webhook_parse.repo_key of the clone URL): the dashboard's saves only write here,
the daemon's reconciler (daemon/forge_hooks.py) makes the forge agree. The receiver URL
is `<base_url>/hooks/repository/<id>`; the secret it signs deliveries with is sealed.
`commit_status` is one report per run and state (pending, then success / failure /
error), sent by the daemon (daemon/commit_status.py), retried until it is accepted.
"""
atomic = True

STATEMENTS = [
    """CREATE TABLE forge_hook (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        repository TEXT NOT NULL UNIQUE,            -- repo_key: host/owner/name, lower case
        clone_url TEXT NOT NULL,                    -- as the pipelines name it
        account_id INTEGER NOT NULL REFERENCES forge_account(id),
        forge_hook_id TEXT NOT NULL DEFAULT '',     -- the forge's id once registered
        secret_sealed TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'registering'
            CHECK (state IN ('registering', 'registered', 'missing', 'removing')),
        last_checked_at DATETIME,                   -- last time the forge was asked about it
        last_delivery_at DATETIME,
        last_error TEXT NOT NULL DEFAULT '',        -- English, for the record
        last_error_message TEXT,                    -- the same, language-neutral (models/i18n.py)
        created_at DATETIME NOT NULL,
        updated_at DATETIME NOT NULL)""",
    """CREATE TABLE commit_status (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
        state TEXT NOT NULL CHECK (state IN ('pending', 'success', 'failure', 'error')),
        sha TEXT NOT NULL,
        context TEXT NOT NULL,                      -- millrace/<pipeline>
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at DATETIME NOT NULL,
        reported_at DATETIME,                       -- NULL until the forge accepted it
        gave_up_at DATETIME,                        -- set after the last attempt failed
        last_error TEXT NOT NULL DEFAULT '',
        last_error_message TEXT,
        created_at DATETIME NOT NULL,
        UNIQUE (run_id, state))""",
    "CREATE INDEX commit_status_unsent ON commit_status(reported_at, gave_up_at)",
]


def up(migrator, db):
    for statement in STATEMENTS:
        db.execute_sql(statement)


def down(migrator, db):
    db.execute_sql("DROP TABLE commit_status")
    db.execute_sql("DROP TABLE forge_hook")
