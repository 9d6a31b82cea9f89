"""Code repository accounts (PRODUCT.md §6): a GitHub or GitLab login connected through the
user's own OAuth application. Plain SQL so the schema reads the same here as in `sqlite3 .schema`.

Every credential is sealed (models.secrets.seal: Fernet with the data directory's
secret.key): the OAuth application's client secret, the access token and the refresh
token; a copied database file reveals none of them. `base_url` is the forge's web address
(https://github.com, https://gitlab.com, or a private instance's); the API address is
derived from it in one place (models/forge_kinds.py). An account is its owner's alone
(only they see it); `login` is '' until the first authorisation names the forge user.
"""
atomic = True

STATEMENTS = [
    """CREATE TABLE forge_account (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        owner TEXT NOT NULL,                        -- username of the Millrace user who set it up
        forge TEXT NOT NULL CHECK (forge IN ('github', 'gitlab')),
        base_url TEXT NOT NULL,                     -- web base URL, no trailing '/'
        login TEXT NOT NULL DEFAULT '',             -- the forge user's login, from its user API
        forge_user_id TEXT NOT NULL DEFAULT '',     -- the forge's id of that user
        client_id TEXT NOT NULL,                    -- the OAuth application's client ID (not secret)
        client_secret_sealed TEXT NOT NULL,
        access_token_sealed TEXT NOT NULL DEFAULT '',
        refresh_token_sealed TEXT NOT NULL DEFAULT '',
        token_expires_at DATETIME,                  -- NULL: the token does not expire (GitHub OAuth apps)
        scopes TEXT NOT NULL DEFAULT '',            -- what the forge granted, space-separated
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'connected', 'needs_reauthorisation')),
        last_error TEXT NOT NULL DEFAULT '',        -- English, for the record
        last_error_message TEXT,                    -- the same, language-neutral (models/i18n.py)
        connected_at DATETIME,
        created_at DATETIME NOT NULL,
        updated_at DATETIME NOT NULL)""",
    "CREATE INDEX forge_account_owner ON forge_account(owner)",
    # One row per forge user per Millrace user and forge: connecting the same login again
    # re-authorises that row instead of making a second.
    "CREATE UNIQUE INDEX forge_account_login ON forge_account(owner, forge, base_url, login) WHERE login != ''",
]


def up(migrator, db):
    for statement in STATEMENTS:
        db.execute_sql(statement)


def down(migrator, db):
    db.execute_sql("DROP TABLE forge_account")
