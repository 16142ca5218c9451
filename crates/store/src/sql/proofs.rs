//! DPoP proofs seen and shared secrets: one statement each.

use super::{Args, Backend, Column, Conn, Row, RowsAffected, SqlStore};
use crate::rows::ts;
use crate::StoreResult;
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Encode, Executor, FromRow, IntoArguments, Type};
use ticketbooth_domain::secret::SecretHash;

#[async_trait::async_trait]
impl<B> crate::ProofStore for SqlStore<B>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    for<'q> &'q str: Encode<'q, B::Db> + Type<B::Db>,
    for<'q> &'q [u8]: Encode<'q, B::Db> + Type<B::Db>,
    i64: Column<B::Db>,
    Vec<u8>: Column<B::Db>,
    for<'r> (Vec<u8>,): FromRow<'r, Row<B>>,
    for<'r> &'r str: ColumnIndex<Row<B>>,
    usize: ColumnIndex<Row<B>>,
{
    #[tracing::instrument(level = "debug", skip_all)]
    async fn remember_proof(&self, proof_hash: &SecretHash, expires_at: DateTime<Utc>) -> StoreResult<bool> {
        let inserted = sqlx::query(
            "INSERT INTO dpop_proofs (proof_hash, expires_at) VALUES ($1, $2) ON CONFLICT (proof_hash) DO NOTHING",
        )
        .bind(proof_hash.as_bytes().as_slice())
        .bind(ts(expires_at))
        .execute(&mut *self.backend.write().await?)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn server_secret(&self, name: &str, candidate: &[u8], now: DateTime<Utc>) -> StoreResult<Vec<u8>> {
        let mut conn = self.backend.write().await?;
        sqlx::query(
            "INSERT INTO server_secrets (name, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(candidate)
        .bind(ts(now))
        .execute(&mut *conn)
        .await?;
        let (secret,): (Vec<u8>,) = sqlx::query_as("SELECT secret FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&mut *conn)
            .await?;
        Ok(secret)
    }
}
