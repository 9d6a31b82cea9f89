"""Trigger outcomes readable in every language, like run and task reasons (0009).

`timer_fire.reason`, `webhook_delivery.outcome` and `webhook_match.outcome` keep the English
text; the new `*_message` columns hold the same message language-neutral, as JSON
`{"id": <English msgid>, "params": {…}}` (models/i18n.py), rendered in the reader's
language. NULL for rows written before, and for outcomes that are not one message.
"""
atomic = True


def up(migrator, db):
    db.execute_sql("ALTER TABLE timer_fire ADD COLUMN reason_message TEXT")
    db.execute_sql("ALTER TABLE webhook_delivery ADD COLUMN outcome_message TEXT")
    db.execute_sql("ALTER TABLE webhook_match ADD COLUMN outcome_message TEXT")


def down(migrator, db):
    db.execute_sql("ALTER TABLE webhook_match DROP COLUMN outcome_message")
    db.execute_sql("ALTER TABLE webhook_delivery DROP COLUMN outcome_message")
    db.execute_sql("ALTER TABLE timer_fire DROP COLUMN reason_message")
