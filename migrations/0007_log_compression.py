"""Log chunks may be stored compressed: a zstd frame of the chunk's text in `data`.

`compression` says how a row holds its text: '' — in `content`, plain (every row written
before this migration, and chunks that do not compress: a line or two, random bytes);
'zstd' — `content` is '' and `data` is one zstd frame of the UTF-8 text. `text_bytes` is
the text's size in UTF-8 (0 on rows written before this migration), so readers can bound
how much they hold at once. Existing rows are left as they are (readers handle both), so
this migration does not rewrite a large database. docs/architecture.md, "Log storage",
has the measurements behind the choice.
"""
atomic = True

STATEMENTS = [
    "ALTER TABLE log_chunk ADD COLUMN compression TEXT NOT NULL DEFAULT ''",   # '' (plain) | 'zstd'
    "ALTER TABLE log_chunk ADD COLUMN data BLOB",                              # the zstd frame, or NULL
    "ALTER TABLE log_chunk ADD COLUMN text_bytes INTEGER NOT NULL DEFAULT 0",  # UTF-8 size of the text
]


def up(migrator, db):
    for statement in STATEMENTS:
        db.execute_sql(statement)


def down(migrator, db):
    for column in ("text_bytes", "data", "compression"):
        db.execute_sql(f"ALTER TABLE log_chunk DROP COLUMN {column}")
