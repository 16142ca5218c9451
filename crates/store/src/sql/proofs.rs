//! DPoP proofs seen, recorded by group commit (every DPoP-bound request records one, so under load
//! one multi-row insert records many), and shared secrets.

use super::built::BuiltStatements;
use super::group_commit::PendingProof;
use super::{Args, Backend, Column, Commit, Conn, Row, SqlStore, Statements};
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
        let (answer, receiver) = tokio::sync::oneshot::channel();
        let proof = PendingProof { proof_hash: *proof_hash.as_bytes(), expires_at: ts(expires_at), answer };
        if self.pending_proofs.queue(proof) {
            // A task of its own, so a cancelled request cannot cancel the others' writes.
            let store = self.clone();
            tokio::spawn(async move { store.flush_proofs().await });
        }
        self.batched_answer(receiver).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn server_secret(&self, name: &str, candidate: &[u8], now: DateTime<Utc>) -> StoreResult<Vec<u8>> {
        let mut conn = self.backend.write().await?;
        self.sql.query(
            "INSERT INTO server_secrets (name, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(candidate)
        .bind(ts(now))
        .execute(&mut *conn)
        .await?;
        let (secret,): (Vec<u8>,) = self
            .sql
            .query_as("SELECT secret FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&mut *conn)
            .await?;
        conn.commit().await?;
        Ok(secret)
    }
}

impl<B> SqlStore<B>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    i64: Column<B::Db>,
    Vec<u8>: Column<B::Db>,
    for<'r> (Vec<u8>,): FromRow<'r, Row<B>>,
{
    /// Records queued proofs batch by batch until the queue is empty, as tokens are (see
    /// `group_commit`): one insert per batch, whose `RETURNING` names the proofs that were new.
    async fn flush_proofs(&self) {
        let guard = self.pending_proofs.flush_guard();
        loop {
            let conn = self.backend.write().await;
            let Some(batch) = self.pending_proofs.take_or_finish() else { return guard.finish() };
            let recorded = match conn {
                Ok(mut conn) => match Self::insert_proofs(self.sql, &mut conn, &batch).await {
                    Ok(new) => conn.commit().await.map(|()| new),
                    Err(err) => Err(err),
                },
                Err(err) => Err(err),
            };
            match recorded {
                Ok(new) => {
                    for proof in batch {
                        let _ = proof.answer.send(Ok(new.contains(&proof.proof_hash.to_vec())));
                    }
                }
                Err(err) => {
                    for proof in batch {
                        let _ = proof.answer.send(Err(err.for_batch()));
                    }
                }
            }
        }
    }

    /// Inserts a batch, keeping the first of any proof seen twice; returns the hashes stored.
    async fn insert_proofs(sql: Statements, conn: &mut Conn<B>, batch: &[PendingProof]) -> StoreResult<Vec<Vec<u8>>> {
        let rows: Vec<(Vec<u8>,)> = B::Db::fetch_built(sql, conn, move |qb| {
            qb.push("INSERT INTO dpop_proofs (proof_hash, expires_at) ");
            qb.push_values(batch, |mut row, proof| {
                row.push_bind(proof.proof_hash.to_vec()).push_bind(proof.expires_at);
            });
            qb.push(" ON CONFLICT (proof_hash) DO NOTHING RETURNING proof_hash");
        })
        .await?;
        Ok(rows.into_iter().map(|(hash,)| hash).collect())
    }
}
