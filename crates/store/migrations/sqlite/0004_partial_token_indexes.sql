-- Application tokens (client credentials) have no code, no family and no user: index only the
-- tokens that do, so issuing an application token writes three index entries fewer. Every query
-- on these columns compares them with `=`, which implies NOT NULL, so the partial indexes serve.
DROP INDEX access_tokens_code_idx;
CREATE INDEX access_tokens_code_idx ON access_tokens (authorization_code_id) WHERE authorization_code_id IS NOT NULL;
DROP INDEX access_tokens_family_idx;
CREATE INDEX access_tokens_family_idx ON access_tokens (family_id) WHERE family_id IS NOT NULL;
DROP INDEX access_tokens_user_app_idx;
CREATE INDEX access_tokens_user_app_idx ON access_tokens (user_id, application_id) WHERE user_id IS NOT NULL;
