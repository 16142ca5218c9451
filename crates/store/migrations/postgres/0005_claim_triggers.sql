-- Single-use rules taken by the token insert itself, so a batch of token requests is one statement.
-- A token naming an authorization code claims it (RFC 6749 §4.1.2: a code is used once); a token
-- naming a previous token claims that one by revoking it (refresh-token rotation). When the claim
-- is already taken, by another request or by an earlier row of the same insert, the row is
-- skipped (a BEFORE trigger returning NULL). A concurrent claimant blocks on the claimed row and
-- then finds it taken.

CREATE FUNCTION access_tokens_claim() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.authorization_code_id IS NOT NULL THEN
        UPDATE authorization_codes SET redeemed_at = NEW.created_at
        WHERE id = NEW.authorization_code_id AND redeemed_at IS NULL;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
    END IF;
    IF NEW.previous_token_id IS NOT NULL THEN
        UPDATE access_tokens SET revoked_at = NEW.created_at
        WHERE id = NEW.previous_token_id AND revoked_at IS NULL;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER access_tokens_claim BEFORE INSERT ON access_tokens
FOR EACH ROW WHEN (NEW.authorization_code_id IS NOT NULL OR NEW.previous_token_id IS NOT NULL)
EXECUTE FUNCTION access_tokens_claim();
