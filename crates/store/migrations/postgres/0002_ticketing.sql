-- Events, ticket types, orders and tickets (eventpop-api.md §4), and the shared rate-limit windows.

CREATE TABLE events (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organizer_id       BIGINT NOT NULL REFERENCES organizers (id) ON DELETE CASCADE,
    title              TEXT    NOT NULL,
    description        TEXT    NOT NULL DEFAULT '',
    description_en     TEXT    NOT NULL DEFAULT '',
    location_name      TEXT    NOT NULL DEFAULT '',
    cover_url          TEXT,
    poster_url         TEXT,
    status             TEXT    NOT NULL DEFAULT 'active',
    start_at           BIGINT NOT NULL,
    end_at             BIGINT NOT NULL,
    api_ticket_quota   BIGINT NOT NULL DEFAULT 1000,
    -- Tickets created through the API so far; reserved with a guarded increment (§0.7 quota).
    api_tickets_issued BIGINT NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX events_organizer_idx ON events (organizer_id, id);

CREATE TABLE ticket_types (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id      BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    price_satangs BIGINT NOT NULL,
    quota         BIGINT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX ticket_types_event_idx ON ticket_types (event_id);

CREATE TABLE orders (
    id                       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id                 BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id                  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    status                   TEXT    NOT NULL,
    buyer_firstname          TEXT    NOT NULL DEFAULT '',
    buyer_lastname           TEXT    NOT NULL DEFAULT '',
    buyer_email              TEXT    NOT NULL DEFAULT '',
    buyer_phone              TEXT    NOT NULL DEFAULT '',
    buyer_phone_country      TEXT    NOT NULL DEFAULT '',
    buyer_phone_country_code TEXT    NOT NULL DEFAULT '',
    buyer_phone_local        TEXT    NOT NULL DEFAULT '',
    forms                    TEXT    NOT NULL DEFAULT '[]',
    paid_at                  BIGINT,
    created_at               BIGINT NOT NULL,
    updated_at               BIGINT NOT NULL
);
CREATE INDEX orders_event_idx ON orders (event_id, id);
CREATE INDEX orders_user_idx ON orders (user_id, event_id);

CREATE TABLE tickets (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id       BIGINT REFERENCES orders (id) ON DELETE CASCADE,
    event_id       BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    ticket_type_id BIGINT NOT NULL REFERENCES ticket_types (id),
    user_id        BIGINT REFERENCES users (id) ON DELETE SET NULL,
    status         TEXT    NOT NULL DEFAULT 'active',
    firstname      TEXT    NOT NULL DEFAULT '',
    lastname       TEXT    NOT NULL DEFAULT '',
    email          TEXT    NOT NULL DEFAULT '',
    phone          TEXT    NOT NULL DEFAULT '',
    reference_code TEXT    COLLATE "C" NOT NULL,
    kind           TEXT    NOT NULL DEFAULT 'normal',
    external_id    TEXT,
    revoke_note    TEXT,
    forms          TEXT    NOT NULL DEFAULT '[]',
    used_at        BIGINT,
    registered_at  BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    CONSTRAINT tickets_reference_code_key UNIQUE (event_id, reference_code),
    CONSTRAINT tickets_external_id_key UNIQUE (event_id, external_id)
);
CREATE INDEX tickets_event_idx ON tickets (event_id, id);
CREATE INDEX tickets_event_updated_idx ON tickets (event_id, updated_at);
CREATE INDEX tickets_user_idx ON tickets (user_id, event_id);
CREATE INDEX tickets_order_idx ON tickets (order_id);

CREATE TABLE rate_limits (
    key          TEXT    NOT NULL,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL,
    CONSTRAINT rate_limits_pkey PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_limits_window_idx ON rate_limits (window_start);
