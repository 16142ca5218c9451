//! Applications and signing keys.

use super::columns::{application_columns, APPLICATION_BY_CLIENT_ID};
use super::{Args, Backend, Column, Commit, Conn, Row, SqlStore};
use crate::rows::{ts, ApplicationRow, SigningKeyRow};
use crate::StoreResult;
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Connection, Encode, Executor, IntoArguments, Type};
use ticketbooth_domain::model::{Application, NewApplication, NewSigningKey, SigningKey};

#[async_trait::async_trait]
impl<B> crate::ClientStore for SqlStore<B>
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
    async fn create_application(&self, app: NewApplication) -> StoreResult<Application> {
        let mut conn = self.backend.write().await?;
        let row: ApplicationRow = self.sql.query_as(concat!(
            "INSERT INTO applications (client_id, name, secret_hash, redirect_uris, scopes, \
             organizer_id, id_token_alg, created_at, description, website, owner_id, secret_shown, \
             device_grant, require_par, require_dpop, refresh_grace_seconds, jwks, post_logout_redirect_uris, \
             backchannel_logout_uri, origin, review, registration_token_hash, metadata_expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, \
             $23) RETURNING ",
            application_columns!()
        ))
        .bind(&app.client_id)
        .bind(&app.name)
        .bind(app.secret_hash.as_ref().map(|h| h.as_bytes().to_vec()))
        .bind(app.redirect_uris.join("\n"))
        .bind(app.scopes.to_string())
        .bind(app.organizer_id)
        .bind(app.id_token_alg.as_str())
        .bind(ts(Utc::now()))
        .bind(&app.description)
        .bind(&app.website)
        .bind(app.owner_id)
        .bind(!app.secret_unseen)
        .bind(app.options.device_grant)
        .bind(app.options.require_par)
        .bind(app.options.require_dpop)
        .bind(i64::from(app.options.refresh_grace_seconds))
        .bind(app.jwks.clone())
        .bind(app.post_logout_redirect_uris.join("\n"))
        .bind(app.backchannel_logout_uri.clone())
        .bind(app.origin.as_str())
        .bind(app.review.as_str())
        .bind(app.registration_token_hash.as_ref().map(|h| h.as_bytes().to_vec()))
        .bind(app.metadata_expires_at.map(ts))
        .fetch_one(&mut *conn)
        .await?;
        conn.commit().await?;
        row.into_domain()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_application(&self, id: i64) -> StoreResult<Option<Application>> {
        let row: Option<ApplicationRow> = self
            .sql
            .query_as(concat!("SELECT ", application_columns!(), " FROM applications WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.backend.read().await?)
            .await?;
        row.map(ApplicationRow::into_domain).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_application_by_client_id(&self, client_id: &str) -> StoreResult<Option<Application>> {
        let row = match self.backend.application_now(client_id) {
            Some(found) => found?,
            None => {
                self.sql
                    .query_as::<B::Db, _>(APPLICATION_BY_CLIENT_ID)
                    .bind(client_id)
                    .fetch_optional(&mut *self.backend.read().await?)
                    .await?
            }
        };
        row.map(ApplicationRow::into_domain).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn add_signing_key(
        &self,
        key: NewSigningKey,
        now: DateTime<Utc>,
        previous_published_until: DateTime<Utc>,
    ) -> StoreResult<SigningKey> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        // Each algorithm has its own active key: only the same algorithm's retires.
        self.sql
            .query(
                "UPDATE signing_keys SET retired_at = $1, published_until = $2 \
             WHERE retired_at IS NULL AND algorithm = $3",
            )
            .bind(ts(now))
            .bind(ts(previous_published_until))
            .bind(&key.algorithm)
            .execute(&mut *tx)
            .await?;
        let row: SigningKeyRow = self
            .sql
            .query_as(
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
        conn.commit().await?;
        Ok(row.into())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn published_signing_keys(&self, now: DateTime<Utc>) -> StoreResult<Vec<SigningKey>> {
        let rows: Vec<SigningKeyRow> = self
            .sql
            .query_as(
                "SELECT id, kid, algorithm, private_key, public_jwk, created_at, retired_at, published_until \
             FROM signing_keys WHERE retired_at IS NULL OR published_until > $1 ORDER BY id DESC",
            )
            .bind(ts(now))
            .fetch_all(&mut *self.backend.read().await?)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}
