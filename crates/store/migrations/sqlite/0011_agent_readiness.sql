-- Ready for AI agents: resource indicators (RFC 8707), clients identified by a metadata document
-- (draft-ietf-oauth-client-id-metadata-document) and dynamically registered clients (RFC 7591).

-- Resource servers besides the public API (whose identifier comes from the issuer, not a row),
-- and the scopes each accepts.
CREATE TABLE resources (
    id         INTEGER PRIMARY KEY,
    identifier TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    scopes     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

-- The resource an authorization was asked for, carried from the code into its tokens; a token's
-- audience is the one resource that accepts it (NULL: the public API, as before).
ALTER TABLE authorization_codes ADD COLUMN resource TEXT;
ALTER TABLE device_authorizations ADD COLUMN resource TEXT;
ALTER TABLE access_tokens ADD COLUMN audience TEXT;

-- How the application came to be: 'console' (an operator or an approved request),
-- 'metadata_document' (its client_id is the URL of its metadata) or 'registration' (RFC 7591).
ALTER TABLE applications ADD COLUMN origin TEXT NOT NULL DEFAULT 'console';
-- 'approved', or for a client that arrived by itself under the approval policy 'pending' until an
-- admin decides, then 'approved' or 'rejected'.
ALTER TABLE applications ADD COLUMN review TEXT NOT NULL DEFAULT 'approved';
-- RFC 7592: the hash of the token that reads, updates and deletes a registered client.
ALTER TABLE applications ADD COLUMN registration_token_hash BLOB;
-- A metadata-document client's cached document is fetched again after this time.
ALTER TABLE applications ADD COLUMN metadata_expires_at INTEGER;
CREATE INDEX applications_review_idx ON applications (review) WHERE review <> 'approved';
