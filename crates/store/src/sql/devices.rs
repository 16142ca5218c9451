//! Device authorizations and pushed authorization requests. Every change is one guarded
//! statement (or, for a redemption, a guarded claim and the token insert in one transaction).

use super::{Args, Backend, Column, Commit, Conn, Row, RowsAffected, SqlStore};
use crate::devices::PushedRequest;
use crate::rows::{from_ts, scopes, ts};
use crate::{StoreError, StoreResult};
use chrono::{DateTime, Duration, Utc};
use sqlx::{ColumnIndex, Connection, Encode, Executor, FromRow, IntoArguments, Type};
use ticketbooth_domain::device::{DeviceAuthorization, NewDeviceAuthorization};
use ticketbooth_domain::model::{AccessToken, NewAccessToken};
use ticketbooth_domain::secret::SecretHash;

macro_rules! device_columns {
    () => {
        "id, application_id, user_code, scopes, created_at, expires_at, interval_seconds, polled_too_fast, \
         user_id, auth_time, approved, redeemed_at, resource"
    };
}

#[derive(FromRow)]
pub(crate) struct DeviceRow {
    id: i64,
    application_id: i64,
    user_code: String,
    scopes: String,
    created_at: i64,
    expires_at: i64,
    interval_seconds: i64,
    polled_too_fast: bool,
    user_id: Option<i64>,
    auth_time: Option<i64>,
    approved: Option<bool>,
    redeemed_at: Option<i64>,
    resource: Option<String>,
}

impl DeviceRow {
    fn into_domain(self) -> StoreResult<DeviceAuthorization> {
        Ok(DeviceAuthorization {
            id: self.id,
            application_id: self.application_id,
            user_code: self.user_code,
            scopes: scopes(&self.scopes)?,
            created_at: from_ts(self.created_at),
            expires_at: from_ts(self.expires_at),
            interval_seconds: u32::try_from(self.interval_seconds)
                .map_err(|_| StoreError::Corrupt(format!("interval_seconds {}", self.interval_seconds)))?,
            polled_too_fast: self.polled_too_fast,
            user_id: self.user_id,
            auth_time: self.auth_time.map(from_ts),
            approved: self.approved,
            redeemed_at: self.redeemed_at.map(from_ts),
            resource: self.resource,
        })
    }
}

#[async_trait::async_trait]
impl<B> crate::DeviceStore for SqlStore<B>
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
    Option<bool>: Column<B::Db>,
    Option<String>: Column<B::Db>,
    Option<Vec<u8>>: Column<B::Db>,
    for<'r> DeviceRow: FromRow<'r, Row<B>>,
    for<'r> &'r str: ColumnIndex<Row<B>>,
    usize: ColumnIndex<Row<B>>,
{
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_device_authorization(&self, new: NewDeviceAuthorization) -> StoreResult<DeviceAuthorization> {
        let mut conn = self.backend.write().await?;
        let row: DeviceRow = self
            .sql
            .query_as(concat!(
                "INSERT INTO device_authorizations (device_code_hash, user_code, application_id, scopes, created_at, \
             expires_at, interval_seconds, resource) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ",
                device_columns!()
            ))
            .bind(new.device_code_hash.as_bytes().as_slice())
            .bind(&new.user_code)
            .bind(new.application_id)
            .bind(new.scopes.to_string())
            .bind(ts(new.created_at))
            .bind(ts(new.expires_at))
            .bind(i64::from(new.interval_seconds))
            .bind(&new.resource)
            .fetch_one(&mut *conn)
            .await?;
        conn.commit().await?;
        row.into_domain()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_device_authorization(
        &self,
        user_code: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<DeviceAuthorization>> {
        let row: Option<DeviceRow> = self
            .sql
            .query_as(concat!(
                "SELECT ",
                device_columns!(),
                " FROM device_authorizations WHERE user_code = $1 AND expires_at > $2"
            ))
            .bind(user_code)
            .bind(ts(now))
            .fetch_optional(&mut *self.backend.read().await?)
            .await?;
        row.map(DeviceRow::into_domain).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn decide_device_authorization(
        &self,
        id: i64,
        user_id: i64,
        approved: bool,
        auth_time: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut conn = self.backend.write().await?;
        let decided = self
            .sql
            .query(
                "UPDATE device_authorizations SET user_id = $1, approved = $2, auth_time = $3 \
             WHERE id = $4 AND approved IS NULL AND expires_at > $5",
            )
            .bind(user_id)
            .bind(approved)
            .bind(ts(auth_time))
            .bind(id)
            .bind(ts(now))
            .execute(&mut *conn)
            .await?
            .rows_affected();
        conn.commit().await?;
        Ok(decided == 1)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn poll_device_authorization(
        &self,
        device_code_hash: &SecretHash,
        now: DateTime<Utc>,
        slow_down_step: u32,
        slack_ms: i64,
    ) -> StoreResult<Option<DeviceAuthorization>> {
        // Every right-hand side reads the row as it was before this poll, so the too-fast test,
        // the interval's growth and the new poll time are one consistent change.
        let mut conn = self.backend.write().await?;
        let row: Option<DeviceRow> = self
            .sql
            .query_as(concat!(
                "UPDATE device_authorizations SET \
               polled_too_fast = (last_polled_at_ms IS NOT NULL \
                 AND $1 < last_polled_at_ms + interval_seconds * 1000 - $2), \
               interval_seconds = CASE WHEN last_polled_at_ms IS NOT NULL \
                 AND $1 < last_polled_at_ms + interval_seconds * 1000 - $2 \
                 THEN interval_seconds + $3 ELSE interval_seconds END, \
               last_polled_at_ms = $1 \
             WHERE device_code_hash = $4 RETURNING ",
                device_columns!()
            ))
            .bind(now.timestamp_millis())
            .bind(slack_ms)
            .bind(i64::from(slow_down_step))
            .bind(device_code_hash.as_bytes().as_slice())
            .fetch_optional(&mut *conn)
            .await?;
        conn.commit().await?;
        row.map(DeviceRow::into_domain).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn redeem_device_authorization(&self, id: i64, token: NewAccessToken) -> StoreResult<Option<AccessToken>> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        let claimed = self
            .sql
            .query(
                "UPDATE device_authorizations SET redeemed_at = $1 \
             WHERE id = $2 AND approved = TRUE AND redeemed_at IS NULL",
            )
            .bind(ts(token.created_at))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if claimed == 0 {
            return Ok(None);
        }
        let stored = Self::insert_tokens(self.sql, &mut tx, &[&token]).await?;
        tx.commit().await?;
        conn.commit().await?;
        Ok(stored.into_iter().next().map(|(_, token)| token))
    }
}

#[async_trait::async_trait]
impl<B> crate::PushedRequestStore for SqlStore<B>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    for<'q> &'q str: Encode<'q, B::Db> + Type<B::Db>,
    for<'q> &'q [u8]: Encode<'q, B::Db> + Type<B::Db>,
    i64: Column<B::Db>,
    String: Column<B::Db>,
    for<'r> (String, i64): FromRow<'r, Row<B>>,
    for<'r> &'r str: ColumnIndex<Row<B>>,
    usize: ColumnIndex<Row<B>>,
{
    #[tracing::instrument(level = "debug", skip_all)]
    async fn push_authorization_request(
        &self,
        request_uri_hash: &SecretHash,
        application_id: i64,
        parameters: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut conn = self.backend.write().await?;
        self.sql
            .query(
                "INSERT INTO pushed_authorization_requests (request_uri_hash, application_id, parameters, expires_at) \
             VALUES ($1, $2, $3, $4)",
            )
            .bind(request_uri_hash.as_bytes().as_slice())
            .bind(application_id)
            .bind(parameters)
            .bind(ts(expires_at))
            .execute(&mut *conn)
            .await?;
        conn.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn open_pushed_request(
        &self,
        request_uri_hash: &SecretHash,
        application_id: i64,
        now: DateTime<Utc>,
        flow_ttl: Duration,
    ) -> StoreResult<Option<PushedRequest>> {
        let mut conn = self.backend.write().await?;
        let opened: Option<(String, i64)> = self
            .sql
            .query_as(
                "UPDATE pushed_authorization_requests SET \
               expires_at = CASE WHEN opened_at IS NULL THEN $1 ELSE expires_at END, \
               opened_at = COALESCE(opened_at, $2) \
             WHERE request_uri_hash = $3 AND application_id = $4 AND used_at IS NULL AND expires_at > $2 \
             RETURNING parameters, opened_at",
            )
            .bind(ts(now + flow_ttl))
            .bind(ts(now))
            .bind(request_uri_hash.as_bytes().as_slice())
            .bind(application_id)
            .fetch_optional(&mut *conn)
            .await?;
        conn.commit().await?;
        Ok(opened.map(|(parameters, opened_at)| PushedRequest { parameters, opened_at: from_ts(opened_at) }))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn spend_pushed_request(
        &self,
        request_uri_hash: &SecretHash,
        application_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut conn = self.backend.write().await?;
        let spent = self
            .sql
            .query(
                "UPDATE pushed_authorization_requests SET used_at = $1 \
             WHERE request_uri_hash = $2 AND application_id = $3 AND used_at IS NULL \
               AND opened_at IS NOT NULL AND expires_at > $1",
            )
            .bind(ts(now))
            .bind(request_uri_hash.as_bytes().as_slice())
            .bind(application_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        conn.commit().await?;
        Ok(spent == 1)
    }
}
