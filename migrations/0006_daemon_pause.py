"""Why the daemon is paused: a reason next to its heartbeat's state.

The daemon pauses new starts instead of crashing when the data directory's disk is full;
`state` is then 'paused' and `reason` says why, for the navbar, `run.py status` and audits.
"""
atomic = True


def up(migrator, db):
    db.execute_sql("ALTER TABLE daemon_heartbeat ADD COLUMN reason TEXT NOT NULL DEFAULT ''")


def down(migrator, db):
    db.execute_sql("ALTER TABLE daemon_heartbeat DROP COLUMN reason")
