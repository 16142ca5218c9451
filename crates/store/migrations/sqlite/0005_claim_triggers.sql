-- Single-use rules taken by the token insert itself, so a batch of token requests is one statement.
-- A token naming an authorization code claims it (RFC 6749 §4.1.2: a code is used once); a token
-- naming a previous token claims that one by revoking it (refresh-token rotation). When the claim
-- is already taken, by another request or by an earlier row of the same insert, the row is
-- skipped: RAISE(IGNORE) leaves it out and the insert goes on with the next row.

CREATE TRIGGER access_tokens_claim_code BEFORE INSERT ON access_tokens
WHEN NEW.authorization_code_id IS NOT NULL
BEGIN
    SELECT RAISE(IGNORE) WHERE NOT EXISTS
        (SELECT 1 FROM authorization_codes WHERE id = NEW.authorization_code_id AND redeemed_at IS NULL);
    UPDATE authorization_codes SET redeemed_at = NEW.created_at WHERE id = NEW.authorization_code_id;
END;

CREATE TRIGGER access_tokens_claim_previous BEFORE INSERT ON access_tokens
WHEN NEW.previous_token_id IS NOT NULL
BEGIN
    SELECT RAISE(IGNORE) WHERE NOT EXISTS
        (SELECT 1 FROM access_tokens WHERE id = NEW.previous_token_id AND revoked_at IS NULL);
    UPDATE access_tokens SET revoked_at = NEW.created_at WHERE id = NEW.previous_token_id;
END;
