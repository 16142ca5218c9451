//! The identity statements, shared by both backends.

/// Implements [`IdentityStore`](crate::IdentityStore); see [`impl_store`](super::impl_store).
macro_rules! impl_identity {
    ($store:ty, $migrations:literal, $conn:ty) => {
        const _: () = {
            use $crate::rows::{
                from_ts, ts, AccessTokenRow, ApplicationRow, HashedAccessTokenRow, AuthorizationCodeRow, SessionRow, SigningKeyRow, TokenWithUserRow,
                UserRow,
            };
            use $crate::sql::{point_read, Claim, PendingToken};
            use $crate::{StoreError, StoreResult};
            use chrono::{DateTime, Utc};
            use ticketbooth_domain::model::{
                AccessToken, Application, AuthorizationCode, BrowserSession, Consent, NewAccessToken,
                NewApplication, NewAuthorizationCode, NewSigningKey, NewUser, Organizer, SigningKey, User,
            };
            use ticketbooth_domain::scope::ScopeSet;
            use ticketbooth_domain::secret::SecretHash;

            /// The most tokens one statement stores: 11 parameters each stays well under SQLite's
            /// 32,766 and PostgreSQL's 65,535 parameters a statement.
            const MAX_BATCH: usize = 1000;

            impl $store {
                /// Queues a token behind its claim and waits for the batch that stores it (see
                /// [`PendingTokens`](crate::sql::PendingTokens)); `None` when the claim was lost.
                async fn store_token(&self, mut token: NewAccessToken, claim: Claim) -> StoreResult<Option<AccessToken>> {
                    // The row names what it claims; the insert's triggers take the claim.
                    match claim {
                        Claim::Unconditional => {}
                        Claim::Code(code_id) => token.authorization_code_id = Some(code_id),
                        Claim::Refresh(old_token_id) => token.previous_token_id = Some(old_token_id),
                    }
                    let (answer, receiver) = tokio::sync::oneshot::channel();
                    let lead = self.pending_tokens.queue(PendingToken { token, answer });
                    if lead {
                        // A task of its own, so a cancelled request cannot cancel the others' writes.
                        let store = self.clone();
                        tokio::spawn(async move { store.flush_tokens().await });
                    }
                    receiver.await.map_err(|_| StoreError::Batched("the batch was dropped".into()))?
                }

                /// Stores queued tokens batch by batch until the queue is empty: each batch is what
                /// queued up while the one before was written (or while the writer was busy).
                async fn flush_tokens(&self) {
                    let guard = self.pending_tokens.flush_guard();
                    loop {
                        let conn = self.write().await;
                        let Some(mut batch) = self.pending_tokens.take_or_finish() else { return guard.finish() };
                        let mut conn = match conn {
                            Ok(conn) => conn,
                            Err(err) => {
                                let message = err.to_string();
                                for pending in batch {
                                    let _ = pending.answer.send(Err(StoreError::Batched(message.clone())));
                                }
                                continue;
                            }
                        };
                        while !batch.is_empty() {
                            let rest = batch.split_off(batch.len().min(MAX_BATCH));
                            store_batch(&mut conn, batch).await;
                            batch = rest;
                        }
                    }
                }
            }

            /// Stores a batch and answers each request. Should the batch fail as a whole, each
            /// token is tried alone, so one bad row fails only its own request.
            async fn store_batch(conn: &mut $conn, batch: Vec<PendingToken>) {
                let tokens: Vec<&NewAccessToken> = batch.iter().map(|pending| &pending.token).collect();
                match store_tokens(conn, &tokens).await {
                    Ok(stored) => {
                        for (pending, stored) in batch.into_iter().zip(stored) {
                            let _ = pending.answer.send(Ok(stored));
                        }
                    }
                    Err(err) if batch.len() == 1 => {
                        let _ = batch.into_iter().next().map(|pending| pending.answer.send(Err(err)));
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, size = batch.len(), "token batch failed; storing one by one");
                        for pending in batch {
                            let stored = store_tokens(conn, &[&pending.token]).await;
                            let _ = pending.answer.send(stored.map(|mut stored| stored.pop().flatten()));
                        }
                    }
                }
            }

            /// Stores the tokens whose claims succeed, in one multi-row insert: as each row goes in,
            /// a trigger claims the code or the rotated refresh token it names, or skips the row when
            /// that was claimed already (by another request, or an earlier row of this batch). The
            /// guards make each claim single-use: a concurrent claimant (another instance on
            /// PostgreSQL) blocks on the row and then matches nothing. Returns each token, or `None`
            /// where its claim was lost.
            async fn store_tokens(
                conn: &mut $conn,
                tokens: &[&NewAccessToken],
            ) -> StoreResult<Vec<Option<AccessToken>>> {
                let mut stored: std::collections::HashMap<SecretHash, AccessToken> =
                    insert_tokens(conn, tokens).await?.into_iter().collect();
                Ok(tokens.iter().map(|token| stored.remove(&token.access_token_hash)).collect())
            }

            /// Stores tokens in one multi-row statement, returning each stored one with its hash.
            async fn insert_tokens(
                conn: &mut $conn,
                tokens: &[&NewAccessToken],
            ) -> StoreResult<Vec<(SecretHash, AccessToken)>> {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO access_tokens (access_token_hash, refresh_token_hash, application_id, user_id, \
                     scopes, authorization_code_id, previous_token_id, created_at, expires_at, refresh_expires_at, \
                     family_id) ",
                );
                qb.push_values(tokens, |mut row, token| {
                    row.push_bind(token.access_token_hash.as_bytes().to_vec())
                        .push_bind(token.refresh_token_hash.as_ref().map(|h| h.as_bytes().to_vec()))
                        .push_bind(token.application_id)
                        .push_bind(token.user_id)
                        .push_bind(token.scopes.to_string())
                        .push_bind(token.authorization_code_id)
                        .push_bind(token.previous_token_id)
                        .push_bind(ts(token.created_at))
                        .push_bind(ts(token.expires_at))
                        .push_bind(token.refresh_expires_at.map(ts))
                        .push_bind(token.family_id);
                });
                qb.push(concat!(" RETURNING access_token_hash, ", $crate::sql::access_token_columns!()));
                let rows: Vec<HashedAccessTokenRow> = qb.build_query_as().fetch_all(&mut *conn).await?;
                rows.into_iter().map(HashedAccessTokenRow::into_domain).collect()
            }

            #[async_trait::async_trait]
            impl $crate::IdentityStore for $store {
                async fn migrate(&self) -> StoreResult<()> {
                    let mut conn = self.write().await?;
                    sqlx::migrate!($migrations).run_direct(&mut *conn).await?;
                    Ok(())
                }

                async fn ping(&self) -> StoreResult<()> {
                    sqlx::query("SELECT 1").execute(&mut *self.read().await?).await?;
                    Ok(())
                }

                fn pool_stats(&self) -> $crate::PoolStats {
                    self.stats()
                }

                async fn delete_expired(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<u64> {
                    const STATEMENTS: [&str; 4] = [
                        "DELETE FROM authorization_codes WHERE id IN \
                         (SELECT id FROM authorization_codes WHERE expires_at < $1 LIMIT $2)",
                        "DELETE FROM access_tokens WHERE id IN (SELECT id FROM access_tokens \
                         WHERE expires_at < $1 AND (refresh_expires_at IS NULL OR refresh_expires_at < $1) LIMIT $2)",
                        "DELETE FROM browser_sessions WHERE id_hash IN \
                         (SELECT id_hash FROM browser_sessions WHERE expires_at < $1 LIMIT $2)",
                        // Rate-limit windows are a minute long; an hour-old one is of no more use.
                        "DELETE FROM rate_limits WHERE (key, window_start) IN \
                         (SELECT key, window_start FROM rate_limits WHERE window_start < $1 - 3600 LIMIT $2)",
                    ];
                    let mut deleted = 0;
                    for statement in STATEMENTS {
                        deleted += sqlx::query(statement)
                            .bind(ts(now))
                            .bind(i64::from(limit))
                            .execute(&mut *self.write().await?)
                            .await?
                            .rows_affected();
                    }
                    Ok(deleted)
                }

                async fn holds_others_than(&self, user_emails: &[&str], client_ids: &[&str]) -> StoreResult<bool> {
                    // Each list starts with '' (no email or client id is empty), so an empty list
                    // still makes a valid `NOT IN`.
                    let mut qb = sqlx::QueryBuilder::new("SELECT EXISTS (SELECT 1 FROM users WHERE email NOT IN (");
                    let mut emails = qb.separated(", ");
                    for email in std::iter::once("").chain(user_emails.iter().copied()) {
                        emails.push_bind(email);
                    }
                    qb.push(")) OR EXISTS (SELECT 1 FROM applications WHERE client_id NOT IN (");
                    let mut ids = qb.separated(", ");
                    for client_id in std::iter::once("").chain(client_ids.iter().copied()) {
                        ids.push_bind(client_id);
                    }
                    qb.push("))");
                    let others: bool = qb.build_query_scalar().fetch_one(&mut *self.read().await?).await?;
                    Ok(others)
                }

                async fn create_user(&self, user: NewUser) -> StoreResult<User> {
                    let row: UserRow = sqlx::query_as(concat!(
                        "INSERT INTO users (email, password_hash, first_name, last_name, phone, is_admin, \
                         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING ",
                        $crate::sql::user_columns!()
                    ))
                    .bind(&user.email)
                    .bind(&user.password_hash)
                    .bind(&user.first_name)
                    .bind(&user.last_name)
                    .bind(&user.phone)
                    .bind(user.is_admin)
                    .bind(ts(Utc::now()))
                    .fetch_one(&mut *self.write().await?)
                    .await?;
                    Ok(row.into())
                }

                async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
                    let row: Option<UserRow> =
                        sqlx::query_as(concat!("SELECT ", $crate::sql::user_columns!(), " FROM users WHERE email = $1"))
                            .bind(email)
                            .fetch_optional(&mut *self.read().await?)
                            .await?;
                    Ok(row.map(Into::into))
                }

                async fn find_user(&self, id: i64) -> StoreResult<Option<User>> {
                    let row: Option<UserRow> =
                        sqlx::query_as(concat!("SELECT ", $crate::sql::user_columns!(), " FROM users WHERE id = $1"))
                            .bind(id)
                            .fetch_optional(&mut *self.read().await?)
                            .await?;
                    Ok(row.map(Into::into))
                }

                async fn create_organizer(&self, name: &str, member_ids: &[i64]) -> StoreResult<Organizer> {
                    let mut conn = self.write().await?;
                    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                    let id: i64 =
                        sqlx::query_scalar("INSERT INTO organizers (name, created_at) VALUES ($1, $2) RETURNING id")
                            .bind(name)
                            .bind(ts(Utc::now()))
                            .fetch_one(&mut *tx)
                            .await?;
                    for user_id in member_ids {
                        sqlx::query(
                            "INSERT INTO organizer_members (organizer_id, user_id) VALUES ($1, $2) \
                             ON CONFLICT DO NOTHING",
                        )
                        .bind(id)
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    Ok(Organizer { id, name: name.to_owned() })
                }

                async fn find_organizer(&self, id: i64) -> StoreResult<Option<Organizer>> {
                    let row: Option<(i64, String)> = sqlx::query_as("SELECT id, name FROM organizers WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *self.read().await?)
                        .await?;
                    Ok(row.map(|(id, name)| Organizer { id, name }))
                }

                async fn create_application(&self, app: NewApplication) -> StoreResult<Application> {
                    let row: ApplicationRow = sqlx::query_as(concat!(
                        "INSERT INTO applications (client_id, name, secret_hash, redirect_uris, scopes, \
                         organizer_id, id_token_alg, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ",
                        $crate::sql::application_columns!()
                    ))
                    .bind(&app.client_id)
                    .bind(&app.name)
                    .bind(app.secret_hash.as_ref().map(|h| h.as_bytes().to_vec()))
                    .bind(app.redirect_uris.join("\n"))
                    .bind(app.scopes.to_string())
                    .bind(app.organizer_id)
                    .bind(app.id_token_alg.as_str())
                    .bind(ts(Utc::now()))
                    .fetch_one(&mut *self.write().await?)
                    .await?;
                    row.into_domain()
                }

                async fn find_application(&self, id: i64) -> StoreResult<Option<Application>> {
                    let row: Option<ApplicationRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        $crate::sql::application_columns!(),
                        " FROM applications WHERE id = $1"
                    ))
                    .bind(id)
                    .fetch_optional(&mut *self.read().await?)
                    .await?;
                    row.map(ApplicationRow::into_domain).transpose()
                }

                async fn find_application_by_client_id(&self, client_id: &str) -> StoreResult<Option<Application>> {
                    let row = point_read!(self, APPLICATION_BY_CLIENT_ID, client_id, ApplicationRow);
                    row.map(ApplicationRow::into_domain).transpose()
                }

                async fn create_session(&self, session: &BrowserSession) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO browser_sessions (id_hash, user_id, csrf_token, authenticated_at, \
                         created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(session.id_hash.as_bytes().as_slice())
                    .bind(session.user_id)
                    .bind(&session.csrf_token)
                    .bind(session.authenticated_at.map(ts))
                    .bind(ts(Utc::now()))
                    .bind(ts(session.expires_at))
                    .execute(&mut *self.write().await?)
                    .await?;
                    Ok(())
                }

                async fn find_session(
                    &self,
                    id_hash: &SecretHash,
                    now: DateTime<Utc>,
                ) -> StoreResult<Option<BrowserSession>> {
                    let row: Option<SessionRow> = sqlx::query_as(
                        "SELECT id_hash, user_id, csrf_token, authenticated_at, expires_at \
                         FROM browser_sessions WHERE id_hash = $1 AND expires_at > $2",
                    )
                    .bind(id_hash.as_bytes().as_slice())
                    .bind(ts(now))
                    .fetch_optional(&mut *self.read().await?)
                    .await?;
                    row.map(SessionRow::into_domain).transpose()
                }

                async fn delete_session(&self, id_hash: &SecretHash) -> StoreResult<()> {
                    sqlx::query("DELETE FROM browser_sessions WHERE id_hash = $1")
                        .bind(id_hash.as_bytes().as_slice())
                        .execute(&mut *self.write().await?)
                        .await?;
                    Ok(())
                }

                async fn create_authorization_code(&self, code: NewAuthorizationCode) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO authorization_codes (code_hash, application_id, user_id, redirect_uri, \
                         redirect_uri_was_sent, scopes, code_challenge, nonce, auth_time, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    )
                    .bind(code.code_hash.as_bytes().as_slice())
                    .bind(code.application_id)
                    .bind(code.user_id)
                    .bind(&code.redirect_uri)
                    .bind(code.redirect_uri_was_sent)
                    .bind(code.scopes.to_string())
                    .bind(&code.code_challenge)
                    .bind(&code.nonce)
                    .bind(ts(code.auth_time))
                    .bind(ts(code.created_at))
                    .bind(ts(code.expires_at))
                    .execute(&mut *self.write().await?)
                    .await?;
                    Ok(())
                }

                async fn find_authorization_code(
                    &self,
                    code_hash: &SecretHash,
                ) -> StoreResult<Option<AuthorizationCode>> {
                    let row = point_read!(self, CODE_BY_HASH, code_hash.as_bytes().as_slice(), AuthorizationCodeRow);
                    row.map(AuthorizationCodeRow::into_domain).transpose()
                }

                async fn redeem_authorization_code(
                    &self,
                    code_id: i64,
                    token: NewAccessToken,
                ) -> StoreResult<Option<AccessToken>> {
                    self.store_token(token, Claim::Code(code_id)).await
                }

                async fn revoke_tokens_from_code(&self, code_id: i64, now: DateTime<Utc>) -> StoreResult<u64> {
                    // The code's token and every token refreshed from it (its family).
                    let revoked = sqlx::query(
                        "UPDATE access_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND \
                         (authorization_code_id = $2 OR family_id IN \
                          (SELECT id FROM access_tokens WHERE authorization_code_id = $2))",
                    )
                    .bind(ts(now))
                    .bind(code_id)
                    .execute(&mut *self.write().await?)
                    .await?
                    .rows_affected();
                    Ok(revoked)
                }

                async fn create_access_token(&self, token: NewAccessToken) -> StoreResult<AccessToken> {
                    self.store_token(token, Claim::Unconditional).await?.ok_or(StoreError::NotFound)
                }

                async fn find_access_token(&self, hash: &SecretHash) -> StoreResult<Option<AccessToken>> {
                    let row = point_read!(self, TOKEN_BY_HASH, hash.as_bytes().as_slice(), AccessTokenRow);
                    Ok(row.map(AccessTokenRow::into_domain).transpose()?.map(|(token, _)| token))
                }

                async fn find_access_token_with_user(
                    &self,
                    hash: &SecretHash,
                ) -> StoreResult<Option<(AccessToken, Option<User>)>> {
                    let row = point_read!(self, TOKEN_WITH_USER_BY_HASH, hash.as_bytes().as_slice(), TokenWithUserRow);
                    row.map(TokenWithUserRow::into_domain).transpose()
                }

                async fn find_by_refresh_token(
                    &self,
                    hash: &SecretHash,
                ) -> StoreResult<Option<(AccessToken, DateTime<Utc>)>> {
                    let row = point_read!(self, TOKEN_BY_REFRESH_HASH, hash.as_bytes().as_slice(), AccessTokenRow);
                    match row.map(AccessTokenRow::into_domain).transpose()? {
                        Some((token, Some(refresh_expires_at))) => Ok(Some((token, refresh_expires_at))),
                        Some((_, None)) => Err(StoreError::Corrupt("refresh token without expiry".into())),
                        None => Ok(None),
                    }
                }

                async fn revoke_access_token(&self, token_id: i64, now: DateTime<Utc>) -> StoreResult<bool> {
                    let revoked = sqlx::query("UPDATE access_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                        .bind(ts(now))
                        .bind(token_id)
                        .execute(&mut *self.write().await?)
                        .await?
                        .rows_affected();
                    Ok(revoked == 1)
                }

                async fn revoke_token_family(&self, family_id: i64, now: DateTime<Utc>) -> StoreResult<u64> {
                    let revoked = sqlx::query(
                        "UPDATE access_tokens SET revoked_at = $1 \
                         WHERE (id = $2 OR family_id = $2) AND revoked_at IS NULL",
                    )
                    .bind(ts(now))
                    .bind(family_id)
                    .execute(&mut *self.write().await?)
                    .await?
                    .rows_affected();
                    Ok(revoked)
                }

                async fn import_users(&self, users: &[NewUser]) -> StoreResult<u64> {
                    let now = ts(Utc::now());
                    let mut inserted = 0;
                    let mut conn = self.write().await?;
                    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                    // 8 parameters a row, well under both backends' per-statement limits.
                    for chunk in users.chunks(1000) {
                        let mut qb = sqlx::QueryBuilder::new(
                            "INSERT INTO users (email, password_hash, first_name, last_name, phone, is_admin, created_at, updated_at) ",
                        );
                        qb.push_values(chunk, |mut row, user| {
                            row.push_bind(&user.email)
                                .push_bind(&user.password_hash)
                                .push_bind(&user.first_name)
                                .push_bind(&user.last_name)
                                .push_bind(&user.phone)
                                .push_bind(user.is_admin)
                                .push_bind(now)
                                .push_bind(now);
                        });
                        inserted += qb.build().execute(&mut *tx).await?.rows_affected();
                    }
                    tx.commit().await?;
                    Ok(inserted)
                }

                async fn import_access_tokens(&self, tokens: &[NewAccessToken]) -> StoreResult<u64> {
                    let mut inserted = 0;
                    let mut conn = self.write().await?;
                    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                    for chunk in tokens.chunks(1000) {
                        let chunk: Vec<&NewAccessToken> = chunk.iter().collect();
                        inserted += insert_tokens(&mut tx, &chunk).await?.len() as u64;
                    }
                    tx.commit().await?;
                    Ok(inserted)
                }

                async fn find_consent(&self, user_id: i64, application_id: i64) -> StoreResult<Option<ScopeSet>> {
                    let scopes: Option<String> =
                        sqlx::query_scalar("SELECT scopes FROM consents WHERE user_id = $1 AND application_id = $2")
                            .bind(user_id)
                            .bind(application_id)
                            .fetch_optional(&mut *self.read().await?)
                            .await?;
                    scopes
                        .map(|s| ScopeSet::parse(&s).map_err(|err| StoreError::Corrupt(format!("consent scopes: {err}"))))
                        .transpose()
                }

                async fn save_consent(
                    &self,
                    user_id: i64,
                    application_id: i64,
                    scopes: ScopeSet,
                    now: DateTime<Utc>,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO consents (user_id, application_id, scopes, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $4) ON CONFLICT (user_id, application_id) \
                         DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at",
                    )
                    .bind(user_id)
                    .bind(application_id)
                    .bind(scopes.to_string())
                    .bind(ts(now))
                    .execute(&mut *self.write().await?)
                    .await?;
                    Ok(())
                }

                async fn list_consents(&self, user_id: i64) -> StoreResult<Vec<Consent>> {
                    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
                        "SELECT application_id, scopes, updated_at FROM consents WHERE user_id = $1 ORDER BY updated_at DESC",
                    )
                    .bind(user_id)
                    .fetch_all(&mut *self.read().await?)
                    .await?;
                    let mut consents = Vec::with_capacity(rows.len());
                    for (application_id, scopes, granted_at) in rows {
                        if let Some(application) = self.find_application(application_id).await? {
                            let scopes = ScopeSet::parse(&scopes)
                                .map_err(|err| StoreError::Corrupt(format!("consent scopes: {err}")))?;
                            consents.push(Consent { application, scopes, granted_at: from_ts(granted_at) });
                        }
                    }
                    Ok(consents)
                }

                async fn revoke_consent(&self, user_id: i64, application_id: i64, now: DateTime<Utc>) -> StoreResult<u64> {
                    let mut conn = self.write().await?;
                    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                    // First, before any row lock is held (so no token write can be waiting on us),
                    // wait out the token writes under way and hold new ones back until commit: no
                    // code redemption or refresh can then slip a token past this revocation.
                    if let Some(statement) = Self::SERIALIZE_TOKEN_WRITES {
                        sqlx::query(statement).execute(&mut *tx).await?;
                    }
                    sqlx::query("DELETE FROM consents WHERE user_id = $1 AND application_id = $2")
                        .bind(user_id)
                        .bind(application_id)
                        .execute(&mut *tx)
                        .await?;
                    // Codes issued before the revocation die with it (their redemption finds
                    // them redeemed and fails).
                    sqlx::query(
                        "UPDATE authorization_codes SET redeemed_at = $1 \
                         WHERE user_id = $2 AND application_id = $3 AND redeemed_at IS NULL",
                    )
                    .bind(ts(now))
                    .bind(user_id)
                    .bind(application_id)
                    .execute(&mut *tx)
                    .await?;
                    let revoked = sqlx::query(
                        "UPDATE access_tokens SET revoked_at = $1 \
                         WHERE user_id = $2 AND application_id = $3 AND revoked_at IS NULL",
                    )
                    .bind(ts(now))
                    .bind(user_id)
                    .bind(application_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    tx.commit().await?;
                    Ok(revoked)
                }

                async fn add_signing_key(
                    &self,
                    key: NewSigningKey,
                    now: DateTime<Utc>,
                    previous_published_until: DateTime<Utc>,
                ) -> StoreResult<SigningKey> {
                    let mut conn = self.write().await?;
                    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                    // Each algorithm has its own active key: only the same algorithm's retires.
                    sqlx::query(
                        "UPDATE signing_keys SET retired_at = $1, published_until = $2 \
                         WHERE retired_at IS NULL AND algorithm = $3",
                    )
                    .bind(ts(now))
                    .bind(ts(previous_published_until))
                    .bind(&key.algorithm)
                    .execute(&mut *tx)
                    .await?;
                    let row: SigningKeyRow = sqlx::query_as(
                        "INSERT INTO signing_keys (kid, algorithm, private_key, public_jwk, created_at) \
                         VALUES ($1, $2, $3, $4, $5) \
                         RETURNING id, kid, algorithm, private_key, public_jwk, created_at, retired_at, published_until",
                    )
                    .bind(&key.kid)
                    .bind(&key.algorithm)
                    .bind(&key.private_key)
                    .bind(&key.public_jwk)
                    .bind(ts(now))
                    .fetch_one(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(row.into())
                }

                async fn published_signing_keys(&self, now: DateTime<Utc>) -> StoreResult<Vec<SigningKey>> {
                    let rows: Vec<SigningKeyRow> = sqlx::query_as(
                        "SELECT id, kid, algorithm, private_key, public_jwk, created_at, retired_at, published_until \
                         FROM signing_keys WHERE retired_at IS NULL OR published_until > $1 ORDER BY id DESC",
                    )
                    .bind(ts(now))
                    .fetch_all(&mut *self.read().await?)
                    .await?;
                    Ok(rows.into_iter().map(Into::into).collect())
                }

                async fn rotate_refresh_token(
                    &self,
                    old_token_id: i64,
                    successor: NewAccessToken,
                ) -> StoreResult<Option<AccessToken>> {
                    self.store_token(successor, Claim::Refresh(old_token_id)).await
                }
            }
        };
    };
}

pub(crate) use impl_identity;
