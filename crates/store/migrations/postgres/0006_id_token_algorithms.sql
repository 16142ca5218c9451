-- Each application chooses how its id_tokens are signed: RS256 (the OpenID Connect default) or
-- ES256. Applications registered before this migration keep ES256, the one algorithm they had.
ALTER TABLE applications ADD COLUMN id_token_alg TEXT NOT NULL DEFAULT 'ES256';
