"""More stored text readable in every language, like run and task reasons (0009).

Trigger outcomes (`timer_fire.reason`, `webhook_delivery.outcome`, `webhook_match.outcome`),
a cluster's `health_message` and the daemon heartbeat's `reason` keep the English text; the
new columns hold the same message language-neutral, as JSON `{"id": <English msgid>,
"params": {…}}` (models/i18n.py), rendered in the reader's language. NULL for rows written
before, and for text that is not one message (a task's words, an API server's).
"""
atomic = True

COLUMNS = (("timer_fire", "reason_message"), ("webhook_delivery", "outcome_message"),
           ("webhook_match", "outcome_message"), ("cluster", "health_message_json"),
           ("daemon_heartbeat", "reason_message"))


def up(migrator, db):
    for table, column in COLUMNS:
        db.execute_sql(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")


def down(migrator, db):
    for table, column in reversed(COLUMNS):
        db.execute_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
