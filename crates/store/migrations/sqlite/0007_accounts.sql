-- Self-service accounts: verified addresses, the language of a person's mail, where sessions
-- were started, single-use mailed links, and the outbox that delivers mail.

ALTER TABLE users ADD COLUMN email_verified_at INTEGER;
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
-- Every account so far was created by an operator, whose accounts count as verified.
UPDATE users SET email_verified_at = created_at;

ALTER TABLE browser_sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE browser_sessions ADD COLUMN address TEXT NOT NULL DEFAULT '';
CREATE INDEX browser_sessions_user_idx ON browser_sessions (user_id);

-- A mailed link's secret, stored only as its SHA-256; `email` is the address it was sent to
-- (for an e-mail change, the new one).
CREATE TABLE account_links (
    link_hash  BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT    NOT NULL,
    email      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) WITHOUT ROWID;
CREATE INDEX account_links_user_idx ON account_links (user_id, purpose);
CREATE INDEX account_links_expires_idx ON account_links (expires_at);

-- Messages are written here in the request's transaction and delivered by a background task
-- on any instance: a slow mail server never holds up a request, and a crash loses nothing.
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY,
    sender          TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    -- The whole RFC 5322 message, as built when the request was answered.
    message         BLOB    NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    -- A delivering instance's lease: another instance takes the message only after it ends.
    claimed_until   INTEGER,
    sent_at         INTEGER,
    last_error      TEXT
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;
