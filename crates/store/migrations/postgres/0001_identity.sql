-- Users, organizers, OAuth applications, browser sessions, authorization codes and tokens.
-- Times are Unix seconds (UTC), as in the SQLite schema, so both backends share one set of
-- statements; secrets are stored only as SHA-256 digests (32-byte BYTEA).

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    first_name    TEXT    NOT NULL DEFAULT '',
    last_name     TEXT    NOT NULL DEFAULT '',
    phone         TEXT,
    birthday      TEXT,
    gender        TEXT,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE organizers (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT    NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE organizer_members (
    organizer_id BIGINT NOT NULL REFERENCES organizers (id) ON DELETE CASCADE,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT organizer_members_pkey PRIMARY KEY (organizer_id, user_id)
);
CREATE INDEX organizer_members_user_idx ON organizer_members (user_id);

CREATE TABLE applications (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id     TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    secret_hash   BYTEA,
    -- Newline-separated; registration refuses URIs containing whitespace.
    redirect_uris TEXT    NOT NULL,
    scopes        TEXT    NOT NULL,
    organizer_id  BIGINT REFERENCES organizers (id),
    created_at    BIGINT NOT NULL,
    CONSTRAINT applications_client_id_key UNIQUE (client_id)
);

CREATE TABLE browser_sessions (
    id_hash          BYTEA    PRIMARY KEY,
    user_id          BIGINT REFERENCES users (id) ON DELETE CASCADE,
    csrf_token       TEXT    NOT NULL,
    authenticated_at BIGINT,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL
);
CREATE INDEX browser_sessions_expires_idx ON browser_sessions (expires_at);

CREATE TABLE authorization_codes (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code_hash             BYTEA    NOT NULL,
    application_id        BIGINT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id               BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri          TEXT    NOT NULL,
    redirect_uri_was_sent BOOLEAN NOT NULL,
    scopes                TEXT    NOT NULL,
    code_challenge        TEXT,
    nonce                 TEXT,
    auth_time             BIGINT NOT NULL,
    created_at            BIGINT NOT NULL,
    expires_at            BIGINT NOT NULL,
    redeemed_at           BIGINT,
    CONSTRAINT authorization_codes_code_hash_key UNIQUE (code_hash)
);
CREATE INDEX authorization_codes_expires_idx ON authorization_codes (expires_at);

CREATE TABLE access_tokens (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    access_token_hash     BYTEA    NOT NULL,
    refresh_token_hash    BYTEA,
    application_id        BIGINT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id               BIGINT REFERENCES users (id) ON DELETE CASCADE,
    scopes                TEXT    NOT NULL,
    authorization_code_id BIGINT REFERENCES authorization_codes (id) ON DELETE SET NULL,
    previous_token_id     BIGINT,
    created_at            BIGINT NOT NULL,
    expires_at            BIGINT NOT NULL,
    refresh_expires_at    BIGINT,
    revoked_at            BIGINT,
    CONSTRAINT access_tokens_access_token_hash_key UNIQUE (access_token_hash),
    CONSTRAINT access_tokens_refresh_token_hash_key UNIQUE (refresh_token_hash)
);
CREATE INDEX access_tokens_code_idx ON access_tokens (authorization_code_id);
CREATE INDEX access_tokens_expires_idx ON access_tokens (expires_at);
