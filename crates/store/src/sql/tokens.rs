//! Codes and tokens. The single-use rules are the token insert's triggers (see `store_tokens`).

use super::built::BuiltStatements;
use super::columns::{
    access_token_columns, APPLICATION_WITH_CODE, APPLICATION_WITH_REFRESH_TOKEN, CODE_BY_HASH, TOKEN_BY_HASH,
    TOKEN_BY_REFRESH_HASH, TOKEN_WITH_USER_BY_HASH,
};
use super::group_commit::{Claim, PendingToken};
use super::usage::Counts;
use super::{Args, Backend, Column, Commit, Conn, Row, RowsAffected, SqlStore, Statements};
use crate::rows::{
    ts, AccessTokenRow, ApplicationRow, ApplicationWithCodeRow, ApplicationWithTokenRow, AuthorizationCodeRow,
    GraceSuccessorRow, HashedAccessTokenRow, TokenWithUserRow,
};
use crate::{FoundGrant, GrantKey, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Connection, Encode, Executor, IntoArguments, Type};
use std::collections::HashMap;
use ticketbooth_domain::model::{
    AccessToken, Application, AuthorizationCode, NewAccessToken, NewAuthorizationCode, User,
};
use ticketbooth_domain::secret::SecretHash;

/// The most tokens one statement stores: 11 parameters each stays well under SQLite's 32,766
/// and PostgreSQL's 65,535 parameters a statement.
const MAX_BATCH: usize = 1000;

#[async_trait::async_trait]
impl<B> crate::TokenStore for SqlStore<B>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    for<'q> &'q str: Encode<'q, B::Db> + Type<B::Db>,
    for<'q> &'q [u8]: Encode<'q, B::Db> + Type<B::Db>,
    i64: Column<B::Db>,
    bool: Column<B::Db>,
    String: Column<B::Db>,
    Vec<u8>: Column<B::Db>,
    Option<i64>: Column<B::Db>,
    Option<String>: Column<B::Db>,
    Option<Vec<u8>>: Column<B::Db>,
    Option<bool>: Column<B::Db>,
    for<'r> &'r str: ColumnIndex<Row<B>>,
    usize: ColumnIndex<Row<B>>,
{
    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_client_and_grant(
        &self,
        client_id: &str,
        key: &GrantKey,
    ) -> StoreResult<(Option<Application>, FoundGrant)> {
        if let Some(found) = self.client_and_grant_now(client_id, key) {
            return found;
        }
        let (application, grant) = match key {
            GrantKey::Code(hash) => {
                let row: Option<ApplicationWithCodeRow> = self
                    .sql
                    .query_as(APPLICATION_WITH_CODE)
                    .bind(client_id)
                    .bind(hash.as_bytes().as_slice())
                    .fetch_optional(&mut *self.backend.read().await?)
                    .await?;
                let (application, code) = row.map(ApplicationWithCodeRow::split).unzip();
                (application, FoundGrant::Code(code.flatten().map(AuthorizationCodeRow::into_domain).transpose()?))
            }
            GrantKey::RefreshToken(hash) => {
                let row: Option<ApplicationWithTokenRow> = self
                    .sql
                    .query_as(APPLICATION_WITH_REFRESH_TOKEN)
                    .bind(client_id)
                    .bind(hash.as_bytes().as_slice())
                    .fetch_optional(&mut *self.backend.read().await?)
                    .await?;
                let (application, token) = row.map(ApplicationWithTokenRow::split).unzip();
                (application, FoundGrant::RefreshToken(refresh_grant(token.flatten())?))
            }
        };
        Ok((application.map(ApplicationRow::into_domain).transpose()?, grant))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_authorization_code(&self, code: NewAuthorizationCode) -> StoreResult<()> {
        let mut conn = self.backend.write().await?;
        self.sql
            .query(
                "INSERT INTO authorization_codes (code_hash, application_id, user_id, redirect_uri, \
             redirect_uri_was_sent, scopes, code_challenge, nonce, auth_time, created_at, expires_at, resource) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
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
            .bind(&code.resource)
            .execute(&mut *conn)
            .await?;
        conn.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_authorization_code(&self, code_hash: &SecretHash) -> StoreResult<Option<AuthorizationCode>> {
        let row = match self.backend.code_now(code_hash) {
            Some(found) => found?,
            None => {
                self.sql
                    .query_as::<B::Db, _>(CODE_BY_HASH)
                    .bind(code_hash.as_bytes().as_slice())
                    .fetch_optional(&mut *self.backend.read().await?)
                    .await?
            }
        };
        row.map(AuthorizationCodeRow::into_domain).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn redeem_authorization_code(&self, code_id: i64, token: NewAccessToken) -> StoreResult<Option<AccessToken>> {
        self.store_token(token, Claim::Code(code_id)).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn revoke_tokens_from_code(&self, code_id: i64, now: DateTime<Utc>) -> StoreResult<u64> {
        // The code's token and every token refreshed from it (its family).
        let mut conn = self.backend.write().await?;
        let revoked = self
            .sql
            .query(
                "UPDATE access_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND \
             (authorization_code_id = $2 OR family_id IN \
              (SELECT id FROM access_tokens WHERE authorization_code_id = $2))",
            )
            .bind(ts(now))
            .bind(code_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        conn.commit().await?;
        Ok(revoked)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_access_token(&self, token: NewAccessToken) -> StoreResult<AccessToken> {
        self.store_token(token, Claim::Unconditional).await?.ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_access_token(&self, hash: &SecretHash) -> StoreResult<Option<AccessToken>> {
        let row = match self.backend.token_now(hash) {
            Some(found) => found?,
            None => {
                self.sql
                    .query_as::<B::Db, _>(TOKEN_BY_HASH)
                    .bind(hash.as_bytes().as_slice())
                    .fetch_optional(&mut *self.backend.read().await?)
                    .await?
            }
        };
        Ok(row.map(AccessTokenRow::into_domain).transpose()?.map(|(token, _)| token))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_access_token_with_user(&self, hash: &SecretHash) -> StoreResult<Option<(AccessToken, Option<User>)>> {
        let row = match self.backend.token_with_user_now(hash) {
            Some(found) => found?,
            None => {
                self.sql
                    .query_as::<B::Db, _>(TOKEN_WITH_USER_BY_HASH)
                    .bind(hash.as_bytes().as_slice())
                    .fetch_optional(&mut *self.backend.read().await?)
                    .await?
            }
        };
        row.map(TokenWithUserRow::into_domain).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_by_refresh_token(&self, hash: &SecretHash) -> StoreResult<Option<(AccessToken, DateTime<Utc>)>> {
        let row = match self.backend.refresh_token_now(hash) {
            Some(found) => found?,
            None => {
                self.sql
                    .query_as::<B::Db, _>(TOKEN_BY_REFRESH_HASH)
                    .bind(hash.as_bytes().as_slice())
                    .fetch_optional(&mut *self.backend.read().await?)
                    .await?
            }
        };
        refresh_grant(row)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn rotate_refresh_token(
        &self,
        old_token_id: i64,
        successor: NewAccessToken,
    ) -> StoreResult<Option<AccessToken>> {
        self.store_token(successor, Claim::Refresh(old_token_id)).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_grace_successor(&self, previous_token_id: i64) -> StoreResult<Option<(AccessToken, Vec<u8>)>> {
        let row: Option<GraceSuccessorRow> = self
            .sql
            .query_as(concat!(
                "SELECT grace_salt, ",
                access_token_columns!(),
                " FROM access_tokens WHERE previous_token_id = $1 AND grace_salt IS NOT NULL"
            ))
            .bind(previous_token_id)
            .fetch_optional(&mut *self.backend.read().await?)
            .await?;
        row.map(|row| Ok((row.token.into_domain()?.0, row.grace_salt))).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn revoke_access_token(&self, token_id: i64, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut conn = self.backend.write().await?;
        let revoked = self
            .sql
            .query("UPDATE access_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(ts(now))
            .bind(token_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        conn.commit().await?;
        Ok(revoked == 1)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn revoke_token_family(&self, family_id: i64, now: DateTime<Utc>) -> StoreResult<u64> {
        let mut conn = self.backend.write().await?;
        let revoked = self
            .sql
            .query(
                "UPDATE access_tokens SET revoked_at = $1 \
             WHERE (id = $2 OR family_id = $2) AND revoked_at IS NULL",
            )
            .bind(ts(now))
            .bind(family_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        conn.commit().await?;
        Ok(revoked)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn import_access_tokens(&self, tokens: &[NewAccessToken]) -> StoreResult<u64> {
        let mut inserted = 0;
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        for chunk in tokens.chunks(1000) {
            let chunk: Vec<&NewAccessToken> = chunk.iter().collect();
            inserted += Self::insert_tokens(self.sql, &mut tx, &chunk).await?.len() as u64;
        }
        tx.commit().await?;
        conn.commit().await?;
        Ok(inserted)
    }
}

impl<B> SqlStore<B>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    for<'q> &'q str: Encode<'q, B::Db> + Type<B::Db>,
    for<'q> &'q [u8]: Encode<'q, B::Db> + Type<B::Db>,
    i64: Column<B::Db>,
    bool: Column<B::Db>,
    String: Column<B::Db>,
    Vec<u8>: Column<B::Db>,
    Option<i64>: Column<B::Db>,
    Option<String>: Column<B::Db>,
    Option<Vec<u8>>: Column<B::Db>,
    for<'r> &'r str: ColumnIndex<Row<B>>,
    usize: ColumnIndex<Row<B>>,
{
    /// Queues a token behind its claim and waits for the batch that stores it (see
    /// [`PendingTokens`](super::group_commit::PendingTokens)); `None` when the claim was lost.
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
        self.batched_answer(receiver).await
    }

    /// Stores queued tokens batch by batch until the queue is empty: each batch is what queued up
    /// while the one before was written (or while the writer was busy).
    async fn flush_tokens(&self) {
        let guard = self.pending_tokens.flush_guard();
        loop {
            let conn = self.backend.write().await;
            let Some(batch) = self.pending_tokens.take_or_finish() else { return guard.finish() };
            match conn {
                Ok(conn) => self.store_batch(conn, batch).await,
                Err(err) => {
                    for pending in batch {
                        let _ = pending.answer.send(Err(err.for_batch()));
                    }
                }
            }
            // The tally is taken while the writer is held (see `flush_usage`), and written after
            // the tokens commit, so that its failure (which it forgives) cannot touch theirs.
            if !self.usage.due() {
                continue;
            }
            if let Ok(mut conn) = self.backend.write().await {
                if let Some(counts) = self.usage.take(false) {
                    self.write_usage(&mut conn, counts).await;
                    if let Err(err) = conn.commit().await {
                        tracing::warn!(error = %err, "could not commit the token usage tally");
                    }
                }
            }
        }
    }

    /// Stores a batch with the writer `conn` and answers each request once its token is committed.
    /// Should the batch fail as a whole, each token is tried alone, with a writer of its own, so
    /// one bad row fails only its own request.
    async fn store_batch(&self, conn: B::Writer<'_>, batch: Vec<PendingToken>) {
        let tokens: Vec<&NewAccessToken> = batch.iter().map(|pending| &pending.token).collect();
        match self.store_committed(conn, &tokens).await {
            Ok(stored) => {
                for (pending, stored) in batch.into_iter().zip(stored) {
                    let _ = pending.answer.send(Ok(stored));
                }
            }
            Err(err) if batch.len() == 1 => {
                if let Some(pending) = batch.into_iter().next() {
                    let _ = pending.answer.send(Err(err));
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, size = batch.len(), "token batch failed; storing one by one");
                for pending in batch {
                    let stored = match self.backend.write().await {
                        Ok(conn) => self.store_committed(conn, &[&pending.token]).await,
                        Err(err) => Err(err),
                    };
                    let _ = pending.answer.send(stored.map(|mut stored| stored.pop().flatten()));
                }
            }
        }
    }

    /// Stores tokens (in statements of at most [`MAX_BATCH`] rows) and commits them; tallies the
    /// ones stored.
    async fn store_committed(
        &self,
        mut conn: B::Writer<'_>,
        tokens: &[&NewAccessToken],
    ) -> StoreResult<Vec<Option<AccessToken>>> {
        let mut stored = Vec::with_capacity(tokens.len());
        for chunk in tokens.chunks(MAX_BATCH) {
            stored.extend(Self::store_tokens(self.sql, &mut conn, chunk).await?);
        }
        conn.commit().await?;
        self.usage.add(stored.iter().flatten());
        Ok(stored)
    }

    /// Stores the tokens whose claims succeed, in one multi-row insert: as each row goes in, a
    /// trigger claims the code or the rotated refresh token it names, or skips the row when that
    /// was claimed already (by another request, or an earlier row of this batch). The single-use
    /// rules live in those triggers (`migrations/*/0005_claim_triggers.sql`, one per dialect):
    /// taken in Rust, with a guarded `UPDATE` per batch inside a transaction, they cost SQLite 15 to
    /// 30 % of its code-exchange and refresh throughput (`docs/benchmarks.md`). A concurrent
    /// claimant (another instance on PostgreSQL) blocks on the row and then matches nothing.
    /// Returns each token, or `None` where its claim was lost.
    async fn store_tokens(
        sql: Statements,
        conn: &mut Conn<B>,
        tokens: &[&NewAccessToken],
    ) -> StoreResult<Vec<Option<AccessToken>>> {
        let mut stored: HashMap<SecretHash, AccessToken> =
            Self::insert_tokens(sql, conn, tokens).await?.into_iter().collect();
        Ok(tokens.iter().map(|token| stored.remove(&token.access_token_hash)).collect())
    }

    /// Writes a usage tally (one row per application and hour, in one statement); should that
    /// fail, the tally waits for the next write.
    pub(super) async fn write_usage(&self, conn: &mut Conn<B>, counts: Counts) {
        let kept = counts.clone();
        let written = B::Db::execute_built(self.sql, conn, move |qb| {
            qb.push("INSERT INTO application_usage (application_id, hour, issued, last_issued_at) ");
            qb.push_values(counts, |mut row, ((application_id, hour), (issued, last))| {
                row.push_bind(application_id).push_bind(hour).push_bind(issued).push_bind(last);
            });
            qb.push(
                " ON CONFLICT (application_id, hour) DO UPDATE SET issued = application_usage.issued + excluded.issued, \
                 last_issued_at = excluded.last_issued_at",
            );
        })
        .await;
        if let Err(err) = written {
            tracing::warn!(error = %err, "could not write the token usage tally; will retry");
            self.usage.restore(kept);
        }
    }

    /// Writes whatever usage is tallied (for the sweeper, and before the counts are read). The
    /// writer is taken first: on SQLite a token flush holds it while it writes the tally it took,
    /// so once we have it, that tally is committed too.
    pub(super) async fn flush_usage(&self) -> StoreResult<()> {
        let mut conn = self.backend.write().await?;
        if let Some(counts) = self.usage.take(true) {
            self.write_usage(&mut conn, counts).await;
        }
        conn.commit().await
    }

    /// Stores tokens in one multi-row statement, returning each stored one with its hash.
    pub(super) async fn insert_tokens(
        sql: Statements,
        conn: &mut Conn<B>,
        tokens: &[&NewAccessToken],
    ) -> StoreResult<Vec<(SecretHash, AccessToken)>> {
        let rows: Vec<HashedAccessTokenRow> = B::Db::fetch_built(sql, conn, move |qb| {
            qb.push(
                "INSERT INTO access_tokens (access_token_hash, refresh_token_hash, application_id, user_id, scopes, \
                 authorization_code_id, previous_token_id, created_at, expires_at, refresh_expires_at, family_id, \
                 grace_salt, dpop_jkt, audience) ",
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
                    .push_bind(token.family_id)
                    .push_bind(token.grace_salt.clone())
                    .push_bind(token.dpop_jkt.clone())
                    .push_bind(token.audience.clone());
            });
            qb.push(concat!(" RETURNING access_token_hash, ", access_token_columns!()));
        })
        .await?;
        rows.into_iter().map(HashedAccessTokenRow::into_domain).collect()
    }
}

impl<B: Backend> SqlStore<B> {
    /// [`crate::TokenStore::find_client_and_grant`] from the backend's inline lookups, when it
    /// has them and they answer (SQLite: microseconds each, no round trip to save).
    fn client_and_grant_now(
        &self,
        client_id: &str,
        key: &GrantKey,
    ) -> Option<StoreResult<(Option<Application>, FoundGrant)>> {
        let application = match self.backend.application_now(client_id)? {
            Ok(row) => row,
            Err(err) => return Some(Err(err)),
        };
        let grant = match (&application, key) {
            (None, GrantKey::Code(_)) => Ok(FoundGrant::Code(None)),
            (None, GrantKey::RefreshToken(_)) => Ok(FoundGrant::RefreshToken(None)),
            (Some(_), GrantKey::Code(hash)) => self
                .backend
                .code_now(hash)?
                .and_then(|row| Ok(FoundGrant::Code(row.map(AuthorizationCodeRow::into_domain).transpose()?))),
            (Some(_), GrantKey::RefreshToken(hash)) => {
                self.backend.refresh_token_now(hash)?.and_then(|row| Ok(FoundGrant::RefreshToken(refresh_grant(row)?)))
            }
        };
        Some(grant.and_then(|grant| Ok((application.map(ApplicationRow::into_domain).transpose()?, grant))))
    }
}

/// A token found by its refresh token's hash, with that refresh token's expiry.
fn refresh_grant(row: Option<AccessTokenRow>) -> StoreResult<Option<(AccessToken, DateTime<Utc>)>> {
    match row.map(AccessTokenRow::into_domain).transpose()? {
        Some((token, Some(refresh_expires_at))) => Ok(Some((token, refresh_expires_at))),
        Some((_, None)) => Err(StoreError::Corrupt("refresh token without expiry".into())),
        None => Ok(None),
    }
}
