//! Consents.

use super::{Args, Backend, Column, Commit, Conn, Row, RowsAffected, SqlStore};
use crate::rows::{from_ts, ts};
use crate::{ClientStore, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Connection, Encode, Executor, IntoArguments, Type};
use ticketbooth_domain::model::Consent;
use ticketbooth_domain::scope::ScopeSet;

#[async_trait::async_trait]
impl<B> crate::ConsentStore for SqlStore<B>
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
    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_consent(&self, user_id: i64, application_id: i64) -> StoreResult<Option<ScopeSet>> {
        let scopes: Option<String> = self
            .sql
            .query_scalar("SELECT scopes FROM consents WHERE user_id = $1 AND application_id = $2")
            .bind(user_id)
            .bind(application_id)
            .fetch_optional(&mut *self.backend.read().await?)
            .await?;
        scopes
            .map(|s| ScopeSet::parse(&s).map_err(|err| StoreError::Corrupt(format!("consent scopes: {err}"))))
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn save_consent(
        &self,
        user_id: i64,
        application_id: i64,
        scopes: ScopeSet,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut conn = self.backend.write().await?;
        self.sql
            .query(
                "INSERT INTO consents (user_id, application_id, scopes, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (user_id, application_id) \
             DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at",
            )
            .bind(user_id)
            .bind(application_id)
            .bind(scopes.to_string())
            .bind(ts(now))
            .execute(&mut *conn)
            .await?;
        conn.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_consents(&self, user_id: i64) -> StoreResult<Vec<Consent>> {
        let rows: Vec<(i64, String, i64)> = self
            .sql
            .query_as(
                "SELECT application_id, scopes, updated_at FROM consents WHERE user_id = $1 ORDER BY updated_at DESC",
            )
            .bind(user_id)
            .fetch_all(&mut *self.backend.read().await?)
            .await?;
        let mut consents = Vec::with_capacity(rows.len());
        for (application_id, scopes, granted_at) in rows {
            if let Some(application) = self.find_application(application_id).await? {
                let scopes =
                    ScopeSet::parse(&scopes).map_err(|err| StoreError::Corrupt(format!("consent scopes: {err}")))?;
                consents.push(Consent { application, scopes, granted_at: from_ts(granted_at) });
            }
        }
        Ok(consents)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn revoke_consent(&self, user_id: i64, application_id: i64, now: DateTime<Utc>) -> StoreResult<u64> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        // First, before any row lock is held, wait out the token writes under way and hold new
        // ones back until commit: no code redemption or refresh can then slip a token past this
        // revocation. A token insert takes its table lock before its trigger locks the code it
        // claims, so the same order here (tokens' table, then codes) means the two never wait on
        // each other in a cycle.
        if let Some(statement) = B::SERIALIZE_TOKEN_WRITES {
            self.sql.query(statement).execute(&mut *tx).await?;
        }
        self.sql
            .query("DELETE FROM consents WHERE user_id = $1 AND application_id = $2")
            .bind(user_id)
            .bind(application_id)
            .execute(&mut *tx)
            .await?;
        // Codes issued before the revocation die with it (their redemption finds them redeemed
        // and fails).
        self.sql
            .query(
                "UPDATE authorization_codes SET redeemed_at = $1 \
             WHERE user_id = $2 AND application_id = $3 AND redeemed_at IS NULL",
            )
            .bind(ts(now))
            .bind(user_id)
            .bind(application_id)
            .execute(&mut *tx)
            .await?;
        let revoked = self
            .sql
            .query(
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
        conn.commit().await?;
        Ok(revoked)
    }
}
