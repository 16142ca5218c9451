-- Applications by request: who owns an application, its review, suspension and secret
-- rotation; disabled accounts; daily token counts; and the append-only audit log.

ALTER TABLE users ADD COLUMN disabled_at BIGINT;

ALTER TABLE applications ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN website TEXT NOT NULL DEFAULT '';
-- The developer who requested it; NULL for applications an operator created.
ALTER TABLE applications ADD COLUMN owner_id BIGINT REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE applications ADD COLUMN suspended_at BIGINT;
-- FALSE until the owner has seen the secret once: approval stores a hash nobody holds, and the
-- owner's first view replaces it with a fresh secret (never stored in clear).
ALTER TABLE applications ADD COLUMN secret_shown BOOLEAN NOT NULL DEFAULT TRUE;
-- A rotated-out secret keeps working until its expiry (the developer's grace period).
ALTER TABLE applications ADD COLUMN previous_secret_hash BYTEA;
ALTER TABLE applications ADD COLUMN previous_secret_expires_at BIGINT;
CREATE INDEX applications_owner_idx ON applications (owner_id);

CREATE TABLE application_requests (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    requester_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- For a change to an existing application, that application; set on approval otherwise.
    application_id BIGINT REFERENCES applications (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    description    TEXT    NOT NULL,
    website        TEXT    NOT NULL,
    redirect_uris  TEXT    NOT NULL,
    confidential   BOOLEAN NOT NULL,
    scopes         TEXT    NOT NULL,
    organizer_id   BIGINT REFERENCES organizers (id) ON DELETE SET NULL,
    purpose        TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    granted_scopes TEXT,
    review_reason  TEXT,
    reviewed_by    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    reviewed_at    BIGINT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX application_requests_status_idx ON application_requests (status, id);
CREATE INDEX application_requests_requester_idx ON application_requests (requester_id, id);

-- Tokens issued per application and hour (tokens themselves are deleted once expired); kept
-- 31 days, for the developer portal's last 24 hours and 30 days.
CREATE TABLE application_usage (
    application_id BIGINT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    hour           BIGINT NOT NULL,
    issued         BIGINT NOT NULL,
    last_issued_at BIGINT NOT NULL,
    PRIMARY KEY (application_id, hour)
);

-- Who did what, when and from where; rows are only ever added.
CREATE TABLE audit_log (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       BIGINT NOT NULL,
    -- The acting user, or NULL for the command line; `actor` keeps the name after the user goes.
    actor_id BIGINT,
    actor    TEXT    NOT NULL,
    address  TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    target   TEXT    NOT NULL,
    before   TEXT,
    after    TEXT
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
