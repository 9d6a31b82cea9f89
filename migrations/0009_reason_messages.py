"""Reasons readable in every language: the message behind a run's or task's reason.

`reason` keeps the English text (what an audit reads in the SQLite file); `reason_message`
holds the same message language-neutral, as JSON `{"id": <English msgid>, "params": {…}}`
(params may nest messages), which the dashboard and the CLI render in the reader's
language (models/i18n.py). NULL for reasons written before, or that are a task's own words.
"""
atomic = True


def up(migrator, db):
    db.execute_sql("ALTER TABLE run ADD COLUMN reason_message TEXT")
    db.execute_sql("ALTER TABLE task_run ADD COLUMN reason_message TEXT")


def down(migrator, db):
    db.execute_sql("ALTER TABLE task_run DROP COLUMN reason_message")
    db.execute_sql("ALTER TABLE run DROP COLUMN reason_message")
