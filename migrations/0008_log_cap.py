"""How much of a task's output is stored, and where collection stopped at the log cap.

`log_bytes` counts the output bytes shipped into log_chunk (before masking); once it would
pass the `log_cap_mb` setting, collection stops, `log_truncated_at` records the byte count
and the log ends with a `[millrace] log truncated at N bytes` line. NULL: not truncated.
"""
atomic = True


def up(migrator, db):
    db.execute_sql("ALTER TABLE task_run ADD COLUMN log_bytes INTEGER NOT NULL DEFAULT 0")
    db.execute_sql("ALTER TABLE task_run ADD COLUMN log_truncated_at INTEGER")


def down(migrator, db):
    db.execute_sql("ALTER TABLE task_run DROP COLUMN log_truncated_at")
    db.execute_sql("ALTER TABLE task_run DROP COLUMN log_bytes")
