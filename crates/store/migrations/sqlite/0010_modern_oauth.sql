-- Modern OAuth: per-application options, refresh-token grace, the device authorization grant
-- (RFC 8628) and pushed authorization requests (RFC 9126).

-- Per-application options, all off by default so Eventpop clients see no change.
ALTER TABLE applications ADD COLUMN device_grant INTEGER NOT NULL DEFAULT 0;
ALTER TABLE applications ADD COLUMN require_par INTEGER NOT NULL DEFAULT 0;
ALTER TABLE applications ADD COLUMN require_dpop INTEGER NOT NULL DEFAULT 0;
ALTER TABLE applications ADD COLUMN refresh_grace_seconds INTEGER NOT NULL DEFAULT 0;

-- private_key_jwt (RFC 7523): the client's public keys, a JWK Set as JSON.
ALTER TABLE applications ADD COLUMN jwks TEXT;

-- Under a refresh grace window, a rotation's new pair is derived from the presented refresh token
-- and this salt, so a repeat of the rotated token within the window re-derives the same pair
-- (nothing secret is stored). Only such successors are indexed.
ALTER TABLE access_tokens ADD COLUMN grace_salt BLOB;
CREATE INDEX access_tokens_grace_idx ON access_tokens (previous_token_id) WHERE grace_salt IS NOT NULL;

CREATE TABLE device_authorizations (
    id                 INTEGER PRIMARY KEY,
    device_code_hash   BLOB    NOT NULL UNIQUE,
    -- Eight characters of an unambiguous alphabet, without the dash; unique while stored.
    user_code          TEXT    NOT NULL UNIQUE,
    application_id     INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    scopes             TEXT    NOT NULL,
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    -- The polling interval in seconds; grows by 5 each time the device polls too fast.
    interval_seconds   INTEGER NOT NULL,
    last_polled_at_ms  INTEGER,
    -- Whether the last poll came before the interval was up (it answers slow_down).
    polled_too_fast    INTEGER NOT NULL DEFAULT 0,
    user_id            INTEGER REFERENCES users (id) ON DELETE CASCADE,
    auth_time          INTEGER,
    -- NULL until the user decides; then 1 (approved) or 0 (denied).
    approved           INTEGER,
    redeemed_at        INTEGER
);
CREATE INDEX device_authorizations_expiry_idx ON device_authorizations (expires_at);

CREATE TABLE pushed_authorization_requests (
    id               INTEGER PRIMARY KEY,
    request_uri_hash BLOB    NOT NULL UNIQUE,
    application_id   INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    -- The request's parameters, form-encoded, exactly as pushed.
    parameters       TEXT    NOT NULL,
    -- 60 s to be opened at the authorization endpoint; from the first opening, the user has the
    -- authorization code's 10 minutes to sign in and decide.
    expires_at       INTEGER NOT NULL,
    opened_at        INTEGER,
    -- Set when the user decided: the request_uri is then spent.
    used_at          INTEGER
);
CREATE INDEX pushed_authorization_requests_expiry_idx ON pushed_authorization_requests (expires_at);

-- DPoP (RFC 9449): the key thumbprint a token pair is bound to, the proofs seen (by the hash of
-- key thumbprint and jti, kept until their iat window has passed) so none is accepted twice on
-- any instance, and the secret every instance derives its DPoP nonces from.
ALTER TABLE access_tokens ADD COLUMN dpop_jkt TEXT;
CREATE TABLE dpop_proofs (
    proof_hash BLOB    PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX dpop_proofs_expiry_idx ON dpop_proofs (expires_at);
CREATE TABLE server_secrets (
    name       TEXT    PRIMARY KEY,
    secret     BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);

-- Logout (OpenID Connect RP-Initiated and Back-Channel Logout 1.0): where an application may send
-- the browser after signing out, where it is told that a person signed out, and the outbox of
-- those notifications (the logout token is signed at each attempt, with the same jti).
ALTER TABLE applications ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN backchannel_logout_uri TEXT;
CREATE TABLE logout_outbox (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    uri             TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    jti             TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    sent_at         INTEGER,
    last_error      TEXT
);
CREATE INDEX logout_outbox_due_idx ON logout_outbox (next_attempt_at) WHERE sent_at IS NULL;
