-- Users, organizers, OAuth applications, browser sessions, authorization codes and tokens.
-- Times are Unix seconds (UTC); secrets are stored only as SHA-256 digests (32-byte BLOBs).

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    first_name    TEXT    NOT NULL DEFAULT '',
    last_name     TEXT    NOT NULL DEFAULT '',
    phone         TEXT,
    birthday      TEXT,
    gender        TEXT,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE organizers (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE organizer_members (
    organizer_id INTEGER NOT NULL REFERENCES organizers (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT organizer_members_pkey PRIMARY KEY (organizer_id, user_id)
);
CREATE INDEX organizer_members_user_idx ON organizer_members (user_id);

CREATE TABLE applications (
    id            INTEGER PRIMARY KEY,
    client_id     TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    secret_hash   BLOB,
    -- Newline-separated; registration refuses URIs containing whitespace.
    redirect_uris TEXT    NOT NULL,
    scopes        TEXT    NOT NULL,
    organizer_id  INTEGER REFERENCES organizers (id),
    created_at    INTEGER NOT NULL,
    CONSTRAINT applications_client_id_key UNIQUE (client_id)
);

CREATE TABLE browser_sessions (
    id_hash          BLOB    PRIMARY KEY,
    user_id          INTEGER REFERENCES users (id) ON DELETE CASCADE,
    csrf_token       TEXT    NOT NULL,
    authenticated_at INTEGER,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX browser_sessions_expires_idx ON browser_sessions (expires_at);

CREATE TABLE authorization_codes (
    id                    INTEGER PRIMARY KEY,
    code_hash             BLOB    NOT NULL,
    application_id        INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id               INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri          TEXT    NOT NULL,
    redirect_uri_was_sent INTEGER NOT NULL,
    scopes                TEXT    NOT NULL,
    code_challenge        TEXT,
    nonce                 TEXT,
    auth_time             INTEGER NOT NULL,
    created_at            INTEGER NOT NULL,
    expires_at            INTEGER NOT NULL,
    redeemed_at           INTEGER,
    CONSTRAINT authorization_codes_code_hash_key UNIQUE (code_hash)
);
CREATE INDEX authorization_codes_expires_idx ON authorization_codes (expires_at);

CREATE TABLE access_tokens (
    id                    INTEGER PRIMARY KEY,
    access_token_hash     BLOB    NOT NULL,
    refresh_token_hash    BLOB,
    application_id        INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id               INTEGER REFERENCES users (id) ON DELETE CASCADE,
    scopes                TEXT    NOT NULL,
    authorization_code_id INTEGER REFERENCES authorization_codes (id) ON DELETE SET NULL,
    previous_token_id     INTEGER,
    created_at            INTEGER NOT NULL,
    expires_at            INTEGER NOT NULL,
    refresh_expires_at    INTEGER,
    revoked_at            INTEGER,
    CONSTRAINT access_tokens_access_token_hash_key UNIQUE (access_token_hash),
    CONSTRAINT access_tokens_refresh_token_hash_key UNIQUE (refresh_token_hash)
);
CREATE INDEX access_tokens_code_idx ON access_tokens (authorization_code_id);
CREATE INDEX access_tokens_expires_idx ON access_tokens (expires_at);
