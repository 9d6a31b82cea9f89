"""The engine's tables: pipelines and their versions, runs, stage and task runs, log
chunks, audit events, the daemon heartbeat and settings. Plain SQL so the schema reads
the same here as in `sqlite3 .schema`."""
atomic = True

STATEMENTS = [
    """CREATE TABLE pipeline (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        owner TEXT NOT NULL DEFAULT 'admin',
        project TEXT NOT NULL DEFAULT 'default',
        is_active INTEGER NOT NULL DEFAULT 1,
        current_version_id INTEGER,
        concurrency_policy TEXT NOT NULL DEFAULT 'allow',
        created_at DATETIME NOT NULL,
        updated_at DATETIME NOT NULL,
        deleted_at DATETIME)""",
    "CREATE UNIQUE INDEX pipeline_name_live ON pipeline(name) WHERE deleted_at IS NULL",
    """CREATE TABLE pipeline_version (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        pipeline_id INTEGER NOT NULL REFERENCES pipeline(id),
        version_number INTEGER NOT NULL,
        definition_json TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at DATETIME NOT NULL,
        UNIQUE (pipeline_id, version_number))""",
    """CREATE TABLE run (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        pipeline_id INTEGER NOT NULL REFERENCES pipeline(id),
        number INTEGER NOT NULL,
        version_id INTEGER NOT NULL REFERENCES pipeline_version(id),
        cause TEXT NOT NULL,
        cause_detail TEXT NOT NULL DEFAULT '',
        triggered_by TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'queued',
        reason TEXT,
        detail TEXT,
        parameters_json TEXT NOT NULL DEFAULT '{}',
        dynamic_json TEXT NOT NULL DEFAULT '{}',
        commit_sha TEXT,
        rerun_of_id INTEGER REFERENCES run(id),
        queued_at DATETIME NOT NULL,
        started_at DATETIME,
        finished_at DATETIME,
        execution_seconds REAL NOT NULL DEFAULT 0,
        waiting_seconds REAL NOT NULL DEFAULT 0,
        accounted_at DATETIME,
        stop_requested_at DATETIME,
        stop_requested_by TEXT,
        UNIQUE (pipeline_id, number))""",
    "CREATE INDEX run_status ON run(status)",
    """CREATE TABLE stage_run (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        mode TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'stage',
        status TEXT NOT NULL DEFAULT 'pending',
        started_at DATETIME,
        finished_at DATETIME)""",
    "CREATE INDEX stage_run_run ON stage_run(run_id)",
    """CREATE TABLE task_run (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
        stage_run_id INTEGER NOT NULL REFERENCES stage_run(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        task_type TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        reason TEXT,
        executor TEXT,
        handle_json TEXT,
        attempt INTEGER NOT NULL DEFAULT 1,
        exit_code INTEGER,
        outputs_json TEXT NOT NULL DEFAULT '{}',
        log_cursor_json TEXT,
        log_lines INTEGER NOT NULL DEFAULT 0,
        started_at DATETIME,
        finished_at DATETIME,
        waiting_seconds REAL NOT NULL DEFAULT 0,
        stop_sent_at DATETIME)""",
    "CREATE INDEX task_run_run ON task_run(run_id)",
    "CREATE INDEX task_run_status ON task_run(status)",
    """CREATE TABLE log_chunk (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task_run_id INTEGER NOT NULL REFERENCES task_run(id) ON DELETE CASCADE,
        first_line INTEGER NOT NULL,
        line_count INTEGER NOT NULL,
        content TEXT NOT NULL,
        logged_at DATETIME NOT NULL,
        UNIQUE (task_run_id, first_line))""",
    """CREATE TABLE audit_event (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at DATETIME NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        object_type TEXT NOT NULL,
        object_id INTEGER,
        object_name TEXT NOT NULL DEFAULT '',
        detail_json TEXT NOT NULL DEFAULT '{}')""",
    "CREATE INDEX audit_event_object ON audit_event(object_type, object_id)",
    """CREATE TABLE daemon_heartbeat (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        hostname TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at DATETIME NOT NULL,
        beat_at DATETIME NOT NULL,
        state TEXT NOT NULL DEFAULT 'running')""",
    """CREATE TABLE setting (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at DATETIME NOT NULL,
        updated_by TEXT NOT NULL DEFAULT '')""",
]


def up(migrator, db):
    for statement in STATEMENTS:
        db.execute_sql(statement)


def down(migrator, db):
    for table in ("setting", "daemon_heartbeat", "audit_event", "log_chunk", "task_run", "stage_run", "run",
                  "pipeline_version", "pipeline"):
        db.execute_sql(f"DROP TABLE {table}")
