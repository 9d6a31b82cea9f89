"""Numbered schema migrations (peewee's playhouse.migrations format: `up(migrator, db)`).

The schema is created and upgraded only from here; `models.schema` runs them and tells
the daemon and CLI when the database needs `python run.py migrate`.
"""
