-- The single-use rules (a code redeemed once, a refresh token rotated once) are taken in Rust
-- now, by guarded updates before the token insert (crates/store/src/sql/tokens.rs).
DROP TRIGGER access_tokens_claim_code;
DROP TRIGGER access_tokens_claim_previous;
