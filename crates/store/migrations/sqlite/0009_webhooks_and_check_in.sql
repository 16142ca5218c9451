-- Partner webhooks (endpoints, the transactional outbox of events, deliveries and their attempts)
-- and door check-in (scans, the holder's presence, the per-event keys that sign offline passes).

CREATE TABLE webhook_endpoints (
    id                         INTEGER PRIMARY KEY,
    organizer_id               INTEGER NOT NULL REFERENCES organizers (id) ON DELETE CASCADE,
    url                        TEXT    NOT NULL,
    description                TEXT    NOT NULL DEFAULT '',
    -- The signing secret (whsec_…). HMAC needs it in clear: guard database access.
    secret                     TEXT    NOT NULL,
    -- After a rotation deliveries are signed with both secrets until this expires.
    previous_secret            TEXT,
    previous_secret_expires_at INTEGER,
    disabled_at                INTEGER,
    disabled_reason            TEXT,
    -- A worker's lease on the endpoint's queue: one sender per endpoint, so it gets its events in
    -- order and never one attempt twice at once.
    claimed_until              INTEGER,
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_organizer_idx ON webhook_endpoints (organizer_id, id);

CREATE TABLE webhook_subscriptions (
    endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_type  TEXT   NOT NULL,
    PRIMARY KEY (endpoint_id, event_type)
);

-- The outbox: written in the transaction of the change it reports.
CREATE TABLE webhook_events (
    id           INTEGER PRIMARY KEY,
    public_id    TEXT   NOT NULL UNIQUE,
    organizer_id INTEGER NOT NULL REFERENCES organizers (id) ON DELETE CASCADE,
    event_type   TEXT   NOT NULL,
    -- The object as it was when the change committed (JSON).
    snapshot     TEXT   NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX webhook_events_created_idx ON webhook_events (created_at);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    endpoint_id     INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        INTEGER NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    -- pending, delivered or failed
    status          TEXT   NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- Milliseconds since the epoch: retries start seconds apart.
    next_attempt_at_ms INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER
);
CREATE INDEX webhook_deliveries_queue_idx ON webhook_deliveries (endpoint_id, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at_ms) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_created_idx ON webhook_deliveries (created_at);

CREATE TABLE webhook_attempts (
    id              INTEGER PRIMARY KEY,
    delivery_id     INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt         INTEGER NOT NULL,
    started_at      INTEGER NOT NULL,
    duration_ms     INTEGER NOT NULL,
    response_status INTEGER,
    -- The first KiB of the answer, or why there was none.
    response_body   TEXT   NOT NULL DEFAULT '',
    error           TEXT
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id);
CREATE INDEX webhook_attempts_started_idx ON webhook_attempts (started_at);

-- in, out, or NULL (never scanned; a used ticket then counts as inside).
ALTER TABLE tickets ADD COLUMN presence TEXT;
CREATE INDEX tickets_event_revoked_idx ON tickets (event_id, updated_at) WHERE status = 'revoked';

CREATE TABLE check_ins (
    id           INTEGER PRIMARY KEY,
    event_id     INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    ticket_id    INTEGER REFERENCES tickets (id) ON DELETE CASCADE,
    nonce        TEXT   NOT NULL,
    direction    TEXT   NOT NULL,
    -- NULL when admitted, else the refusal (already_checked_in, revoked, …).
    refusal      TEXT,
    -- For already_checked_in: since when the holder is inside.
    inside_since INTEGER,
    forced       INTEGER NOT NULL,
    device       TEXT,
    scanned_at   INTEGER NOT NULL,
    recorded_at  INTEGER NOT NULL,
    CONSTRAINT check_ins_nonce_key UNIQUE (event_id, nonce)
);
CREATE INDEX check_ins_event_idx ON check_ins (event_id, id);

CREATE TABLE check_in_keys (
    id          INTEGER PRIMARY KEY,
    event_id    INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    kid         TEXT   NOT NULL UNIQUE,
    -- Ed25519, PKCS#8 DER. Whoever can read this can sign passes: guard database access.
    private_key BLOB   NOT NULL,
    public_jwk  TEXT   NOT NULL,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
);
-- One active key per event: two instances making the first key at once agree on one.
CREATE UNIQUE INDEX check_in_keys_active_idx ON check_in_keys (event_id) WHERE retired_at IS NULL;

-- An event fans out to a delivery per subscribed, enabled endpoint of its organizer, inside the
-- statement that writes it: the outbox costs a ticketing change one statement more, not two.
-- (A test event names its one endpoint itself.)
CREATE TRIGGER webhook_events_fan_out AFTER INSERT ON webhook_events
WHEN NEW.event_type <> 'webhook.test'
BEGIN
    INSERT INTO webhook_deliveries (endpoint_id, event_id, status, next_attempt_at_ms, created_at)
    SELECT e.id, NEW.id, 'pending', NEW.created_at * 1000, NEW.created_at
    FROM webhook_endpoints e JOIN webhook_subscriptions s ON s.endpoint_id = e.id
    WHERE e.organizer_id = NEW.organizer_id AND s.event_type = NEW.event_type AND e.disabled_at IS NULL;
END;
