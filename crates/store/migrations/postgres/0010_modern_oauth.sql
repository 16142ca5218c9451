-- Modern OAuth: per-application options, refresh-token grace, the device authorization grant
-- (RFC 8628) and pushed authorization requests (RFC 9126).

-- Per-application options, all off by default so Eventpop clients see no change.
ALTER TABLE applications ADD COLUMN device_grant BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE applications ADD COLUMN require_par BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE applications ADD COLUMN require_dpop BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE applications ADD COLUMN refresh_grace_seconds BIGINT NOT NULL DEFAULT 0;

-- private_key_jwt (RFC 7523): the client's public keys, a JWK Set as JSON.
ALTER TABLE applications ADD COLUMN jwks TEXT;

-- Under a refresh grace window, a rotation's new pair is derived from the presented refresh token
-- and this salt, so a repeat of the rotated token within the window re-derives the same pair
-- (nothing secret is stored). Only such successors are indexed.
ALTER TABLE access_tokens ADD COLUMN grace_salt BYTEA;
CREATE INDEX access_tokens_grace_idx ON access_tokens (previous_token_id) WHERE grace_salt IS NOT NULL;

CREATE TABLE device_authorizations (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_code_hash   BYTEA   NOT NULL UNIQUE,
    -- Eight characters of an unambiguous alphabet, without the dash; unique while stored.
    user_code          TEXT    NOT NULL UNIQUE,
    application_id     BIGINT  NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    scopes             TEXT    NOT NULL,
    created_at         BIGINT  NOT NULL,
    expires_at         BIGINT  NOT NULL,
    -- The polling interval in seconds; grows by 5 each time the device polls too fast.
    interval_seconds   BIGINT  NOT NULL,
    last_polled_at_ms  BIGINT,
    -- Whether the last poll came before the interval was up (it answers slow_down).
    polled_too_fast    BOOLEAN NOT NULL DEFAULT FALSE,
    user_id            BIGINT  REFERENCES users (id) ON DELETE CASCADE,
    auth_time          BIGINT,
    -- NULL until the user decides; then TRUE (approved) or FALSE (denied).
    approved           BOOLEAN,
    redeemed_at        BIGINT
);
CREATE INDEX device_authorizations_expiry_idx ON device_authorizations (expires_at);

CREATE TABLE pushed_authorization_requests (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_uri_hash BYTEA   NOT NULL UNIQUE,
    application_id   BIGINT  NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    -- The request's parameters, form-encoded, exactly as pushed.
    parameters       TEXT    NOT NULL,
    -- 60 s to be opened at the authorization endpoint; from the first opening, the user has the
    -- authorization code's 10 minutes to sign in and decide.
    expires_at       BIGINT  NOT NULL,
    opened_at        BIGINT,
    -- Set when the user decided: the request_uri is then spent.
    used_at          BIGINT
);
CREATE INDEX pushed_authorization_requests_expiry_idx ON pushed_authorization_requests (expires_at);

-- DPoP (RFC 9449): the key thumbprint a token pair is bound to, the proofs seen (by the hash of
-- key thumbprint and jti, kept until their iat window has passed) so none is accepted twice on
-- any instance, and the secret every instance derives its DPoP nonces from.
ALTER TABLE access_tokens ADD COLUMN dpop_jkt TEXT;
CREATE TABLE dpop_proofs (
    proof_hash BYTEA  PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX dpop_proofs_expiry_idx ON dpop_proofs (expires_at);
CREATE TABLE server_secrets (
    name       TEXT   PRIMARY KEY,
    secret     BYTEA  NOT NULL,
    created_at BIGINT NOT NULL
);

-- Logout (OpenID Connect RP-Initiated and Back-Channel Logout 1.0): where an application may send
-- the browser after signing out, where it is told that a person signed out, and the outbox of
-- those notifications (the logout token is signed at each attempt, with the same jti).
ALTER TABLE applications ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN backchannel_logout_uri TEXT;
CREATE TABLE logout_outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id  BIGINT  NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    uri             TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    jti             TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    next_attempt_at BIGINT  NOT NULL,
    claimed_until   BIGINT ,
    attempts        BIGINT  NOT NULL DEFAULT 0,
    sent_at         BIGINT ,
    last_error      TEXT
);
CREATE INDEX logout_outbox_due_idx ON logout_outbox (next_attempt_at) WHERE sent_at IS NULL;
