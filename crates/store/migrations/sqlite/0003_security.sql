-- Refresh-token families (RFC 9700 §4.14 reuse detection), remembered consent, id_token signing keys.

-- The first token of a refresh chain; NULL on that first token itself.
ALTER TABLE access_tokens ADD COLUMN family_id INTEGER;
CREATE INDEX access_tokens_family_idx ON access_tokens (family_id);
CREATE INDEX access_tokens_user_app_idx ON access_tokens (user_id, application_id);

CREATE TABLE consents (
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    scopes         TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    CONSTRAINT consents_pkey PRIMARY KEY (user_id, application_id)
) WITHOUT ROWID;

CREATE TABLE signing_keys (
    id              INTEGER PRIMARY KEY,
    kid             TEXT    NOT NULL,
    algorithm       TEXT    NOT NULL,
    -- PKCS#8 DER. Whoever can read this table can sign id_tokens: guard database access.
    private_key     BLOB    NOT NULL,
    -- The public half as a JWK (JSON object), as published at /oauth/discovery/keys.
    public_jwk      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    -- Set when a newer key took over; the key is then published until published_until.
    retired_at      INTEGER,
    published_until INTEGER,
    CONSTRAINT signing_keys_kid_key UNIQUE (kid)
);
