//! Webhook endpoints, claims on their queues, and the delivery log.
//!
//! One worker at a time holds an endpoint (a lease in `claimed_until`, taken with a guarded
//! `UPDATE`, rows picked `FOR UPDATE SKIP LOCKED` on PostgreSQL), and it sends the endpoint's
//! queue in order, stopping at the first failure: so an endpoint gets its events in the order they
//! happened, and no attempt is ever sent twice at once. Only the head of a queue can be waiting
//! for a retry, which is what makes "the head is due" the claim's whole condition.

use super::built::BuiltStatements;
use super::{Args, Backend, Column, Commit, Conn, Row, RowsAffected, SqlStore, Statements};
use crate::rows::{from_ts, ts};
use crate::webhooks::{
    Attempt, AttemptRecord, ClaimedEndpoint, Delivery, DeliveryState, Endpoint, EndpointChange, NewEndpoint,
    QueuedDelivery, StoredEvent,
};
use crate::{Page, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Connection, Encode, Executor, FromRow, IntoArguments, Type};
use ticketbooth_domain::webhooks::{generate_event_id, EventType, Subject};

const ENDPOINT_COLUMNS: &str = "id, organizer_id, url, description, secret, previous_secret, \
     previous_secret_expires_at, disabled_at, disabled_reason, created_at, updated_at";

type EndpointRow =
    (i64, i64, String, String, String, Option<String>, Option<i64>, Option<i64>, Option<String>, i64, i64);

/// Delivery columns joined with their event: `FROM webhook_deliveries d JOIN webhook_events ev`.
const DELIVERY_COLUMNS: &str = "d.id, d.endpoint_id, d.status, d.attempts, d.next_attempt_at_ms, d.created_at, \
     d.finished_at, ev.public_id, ev.event_type, ev.snapshot, ev.created_at";

type DeliveryRow = (i64, i64, String, i64, i64, i64, Option<i64>, String, String, String, i64);

type AttemptRow = (i64, i64, i64, Option<i64>, String, Option<String>);

fn endpoint(row: EndpointRow, events: Vec<EventType>) -> Endpoint {
    let (
        id,
        organizer_id,
        url,
        description,
        secret,
        previous,
        previous_until,
        disabled_at,
        disabled_reason,
        created,
        updated,
    ) = row;
    Endpoint {
        id,
        organizer_id,
        url,
        description,
        events,
        secret,
        previous_secret: previous.zip(previous_until.map(from_ts)),
        disabled_at: disabled_at.map(from_ts),
        disabled_reason,
        created_at: from_ts(created),
        updated_at: from_ts(updated),
    }
}

fn stored_event(public_id: String, kind: &str, snapshot: &str, created_at: i64) -> StoreResult<StoredEvent> {
    let event_type =
        EventType::from_stored(kind).ok_or_else(|| StoreError::Corrupt(format!("webhook event type {kind:?}")))?;
    let subject: Subject =
        serde_json::from_str(snapshot).map_err(|err| StoreError::Corrupt(format!("webhook snapshot: {err}")))?;
    Ok(StoredEvent { public_id, event_type, subject, created_at: from_ts(created_at) })
}

fn delivery(row: DeliveryRow, attempts: Vec<Attempt>) -> StoreResult<Delivery> {
    let (id, endpoint_id, status, _, next_attempt_at, created_at, finished_at, public_id, kind, snapshot, event_at) =
        row;
    Ok(Delivery {
        id,
        endpoint_id,
        event: stored_event(public_id, &kind, &snapshot, event_at)?,
        next_attempt_at: (status == "pending").then(|| from_ms(next_attempt_at)),
        status,
        created_at: from_ts(created_at),
        finished_at: finished_at.map(from_ts),
        attempts,
    })
}

fn ms(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

fn from_ms(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

fn attempt(row: AttemptRow) -> Attempt {
    let (attempt, started_at, duration_ms, status, response_body, error) = row;
    Attempt {
        attempt: u32::try_from(attempt).unwrap_or(0),
        started_at: from_ts(started_at),
        duration_ms,
        response_status: status.and_then(|status| u16::try_from(status).ok()),
        response_body,
        error,
    }
}

#[async_trait::async_trait]
impl<B> crate::WebhookStore for SqlStore<B>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    for<'q> &'q str: Encode<'q, B::Db> + Type<B::Db>,
    i64: Column<B::Db>,
    String: Column<B::Db>,
    Option<i64>: Column<B::Db>,
    Option<String>: Column<B::Db>,
    for<'r> EndpointRow: FromRow<'r, Row<B>>,
    for<'r> DeliveryRow: FromRow<'r, Row<B>>,
    for<'r> AttemptRow: FromRow<'r, Row<B>>,
    for<'r> (i64,): FromRow<'r, Row<B>>,
    for<'r> (String,): FromRow<'r, Row<B>>,
    for<'r> &'r str: ColumnIndex<Row<B>>,
    usize: ColumnIndex<Row<B>>,
{
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_webhook_endpoint(&self, new: NewEndpoint, now: DateTime<Utc>) -> StoreResult<Endpoint> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        let row: EndpointRow = self
            .sql
            .query_as(&format!(
                "INSERT INTO webhook_endpoints (organizer_id, url, description, secret, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING {ENDPOINT_COLUMNS}"
            ))
            .bind(new.organizer_id)
            .bind(&new.url)
            .bind(&new.description)
            .bind(&new.secret)
            .bind(ts(now))
            .fetch_one(&mut *tx)
            .await?;
        subscribe::<B>(self.sql, &mut tx, row.0, &new.events).await?;
        tx.commit().await?;
        conn.commit().await?;
        Ok(endpoint(row, sorted(new.events)))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn webhook_endpoints(&self, organizer_id: i64) -> StoreResult<Vec<Endpoint>> {
        let mut conn = self.backend.read().await?;
        let rows: Vec<EndpointRow> = self
            .sql
            .query_as(&format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organizer_id = $1 ORDER BY id"))
            .bind(organizer_id)
            .fetch_all(&mut *conn)
            .await?;
        let mut endpoints = Vec::with_capacity(rows.len());
        for row in rows {
            let events = events_of::<B>(self.sql, &mut conn, row.0).await?;
            endpoints.push(endpoint(row, events));
        }
        Ok(endpoints)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_webhook_endpoint(&self, organizer_id: i64, id: i64) -> StoreResult<Option<Endpoint>> {
        let mut conn = self.backend.write().await?;
        endpoint_of::<B>(self.sql, &mut conn, organizer_id, id).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn update_webhook_endpoint(
        &self,
        organizer_id: i64,
        id: i64,
        change: EndpointChange,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Endpoint>> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        let updated = self.sql.query(
            "UPDATE webhook_endpoints SET url = COALESCE($1, url), description = COALESCE($2, description), \
             disabled_at = CASE WHEN $3 = 1 THEN NULL WHEN $3 = 0 THEN COALESCE(disabled_at, $4) ELSE disabled_at END, \
             disabled_reason = CASE WHEN $3 = 1 THEN NULL WHEN $3 = 0 THEN 'disabled by its owner' ELSE disabled_reason END, \
             updated_at = $4 WHERE organizer_id = $5 AND id = $6",
        )
        .bind(change.url.clone())
        .bind(change.description)
        .bind(change.enabled.map(i64::from))
        .bind(ts(now))
        .bind(organizer_id)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Ok(None);
        }
        // A new URL or a re-enabled endpoint tries its queue at once, not at the next backoff.
        if change.url.is_some() || change.enabled == Some(true) {
            self.sql.query(
                "UPDATE webhook_deliveries SET next_attempt_at_ms = $1 WHERE endpoint_id = $2 AND status = 'pending'",
            )
            .bind(ms(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(events) = &change.events {
            self.sql
                .query("DELETE FROM webhook_subscriptions WHERE endpoint_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            subscribe::<B>(self.sql, &mut tx, id, events).await?;
        }
        let found = endpoint_of::<B>(self.sql, &mut tx, organizer_id, id).await?;
        tx.commit().await?;
        conn.commit().await?;
        Ok(found)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn delete_webhook_endpoint(&self, organizer_id: i64, id: i64) -> StoreResult<bool> {
        let mut conn = self.backend.write().await?;
        let deleted = self
            .sql
            .query("DELETE FROM webhook_endpoints WHERE organizer_id = $1 AND id = $2")
            .bind(organizer_id)
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        conn.commit().await?;
        Ok(deleted == 1)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn rotate_webhook_secret(
        &self,
        organizer_id: i64,
        id: i64,
        secret: &str,
        previous_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Endpoint>> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        self.sql
            .query(
                "UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = $1, secret = $2, \
             updated_at = $3 WHERE organizer_id = $4 AND id = $5",
            )
            .bind(ts(previous_until))
            .bind(secret)
            .bind(ts(now))
            .bind(organizer_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let found = endpoint_of::<B>(self.sql, &mut tx, organizer_id, id).await?;
        tx.commit().await?;
        conn.commit().await?;
        Ok(found)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn queue_test_event(&self, endpoint: &Endpoint, now: DateTime<Utc>) -> StoreResult<Delivery> {
        let snapshot = serde_json::to_string(&Subject::Test).map_err(|err| StoreError::Corrupt(err.to_string()))?;
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        let (event_id,): (i64,) = self
            .sql
            .query_as(
                "INSERT INTO webhook_events (public_id, organizer_id, event_type, snapshot, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(generate_event_id().as_str())
            .bind(endpoint.organizer_id)
            .bind(EventType::Test.as_str())
            .bind(snapshot.as_str())
            .bind(ts(now))
            .fetch_one(&mut *tx)
            .await?;
        let delivery_id = queue::<B>(self.sql, &mut tx, endpoint.id, event_id, now).await?;
        let found = delivery_of::<B>(self.sql, &mut tx, endpoint.organizer_id, endpoint.id, delivery_id).await?;
        tx.commit().await?;
        conn.commit().await?;
        found.ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn claim_webhook_endpoints(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        endpoints: u32,
        per_endpoint: u32,
    ) -> StoreResult<Vec<ClaimedEndpoint>> {
        // Endpoints whose oldest pending delivery (the head of the queue) is due, the longest
        // waiting first, materialized once (see the mail outbox's claim).
        const HEAD: &str = "(SELECT d.next_attempt_at_ms FROM webhook_deliveries d \
             WHERE d.endpoint_id = e.id AND d.status = 'pending' ORDER BY d.id LIMIT 1)";
        let statement = format!(
            "WITH picked AS MATERIALIZED (SELECT e.id FROM webhook_endpoints e \
                 WHERE e.disabled_at IS NULL AND (e.claimed_until IS NULL OR e.claimed_until <= $1) \
                   AND {HEAD} <= $4 \
                 ORDER BY {HEAD}, e.id LIMIT $3 {}) \
             UPDATE webhook_endpoints SET claimed_until = $2 FROM picked \
             WHERE webhook_endpoints.id = picked.id AND webhook_endpoints.disabled_at IS NULL \
               AND (webhook_endpoints.claimed_until IS NULL OR webhook_endpoints.claimed_until <= $1) \
             RETURNING webhook_endpoints.id, organizer_id, url, description, secret, previous_secret, \
               previous_secret_expires_at, disabled_at, disabled_reason, created_at, updated_at",
            B::SKIP_CLAIMED_ROWS
        );
        let mut conn = self.backend.write().await?;
        let rows: Vec<EndpointRow> = self
            .sql
            .query_as(&statement)
            .bind(ts(now))
            .bind(ts(lease_until))
            .bind(i64::from(endpoints))
            .bind(ms(now))
            .fetch_all(&mut *conn)
            .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            let deliveries: Vec<DeliveryRow> = self.sql.query_as(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id \
                 WHERE d.endpoint_id = $1 AND d.status = 'pending' AND d.next_attempt_at_ms <= $2 ORDER BY d.id LIMIT $3"
            ))
            .bind(row.0)
            .bind(ms(now))
            .bind(i64::from(per_endpoint))
            .fetch_all(&mut *conn)
            .await?;
            let deliveries = deliveries
                .into_iter()
                .map(|row| {
                    let (id, attempts) = (row.0, row.3);
                    let event = stored_event(row.7, &row.8, &row.9, row.10)?;
                    Ok(QueuedDelivery { id, attempts: u32::try_from(attempts).unwrap_or(u32::MAX), event })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            claimed.push(ClaimedEndpoint { endpoint: endpoint(row, Vec::new()), deliveries });
        }
        conn.commit().await?;
        Ok(claimed)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn finish_webhook_attempts(
        &self,
        endpoint_id: i64,
        attempts: &[AttemptRecord],
        disable: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        // A batch is mostly deliveries that went through: their attempts are one multi-row
        // insert and the deliveries one update, whatever the batch's size.
        let rows: Vec<(i64, i64, i64, i64, Option<i64>, String, Option<String>)> = attempts
            .iter()
            .map(|AttemptRecord { delivery_id, attempt, .. }| {
                (
                    *delivery_id,
                    i64::from(attempt.attempt),
                    ts(attempt.started_at),
                    attempt.duration_ms,
                    attempt.response_status.map(i64::from),
                    attempt.response_body.clone(),
                    attempt.error.clone(),
                )
            })
            .collect();
        let delivered: Vec<i64> = attempts
            .iter()
            .filter(|record| record.state == DeliveryState::Delivered)
            .map(|record| record.delivery_id)
            .collect();
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        if !rows.is_empty() {
            B::Db::execute_built(self.sql, &mut tx, move |qb| {
                qb.push(
                    "INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, response_status, \
                     response_body, error) ",
                );
                qb.push_values(rows, |mut row, (delivery, attempt, started, duration, status, body, error)| {
                    row.push_bind(delivery)
                        .push_bind(attempt)
                        .push_bind(started)
                        .push_bind(duration)
                        .push_bind(status)
                        .push_bind(body)
                        .push_bind(error);
                });
            })
            .await?;
        }
        if !delivered.is_empty() {
            let finished = ts(now);
            B::Db::execute_built(self.sql, &mut tx, move |qb| {
                qb.push("UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, finished_at = ");
                qb.push_bind(finished).push(" WHERE id IN (");
                let mut ids = qb.separated(", ");
                for id in delivered {
                    ids.push_bind(id);
                }
                qb.push(")");
            })
            .await?;
        }
        for AttemptRecord { delivery_id, attempt, state } in attempts {
            let (status, next_attempt_at, finished_at) = match *state {
                DeliveryState::Delivered => continue,
                DeliveryState::RetryAt(at) => ("pending", ms(at), None),
                DeliveryState::Failed => ("failed", ms(now), Some(ts(now))),
            };
            self.sql.query(
                "UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at_ms = $3, finished_at = $4 \
                 WHERE id = $5",
            )
            .bind(status)
            .bind(i64::from(attempt.attempt))
            .bind(next_attempt_at)
            .bind(finished_at)
            .bind(*delivery_id)
            .execute(&mut *tx)
            .await?;
        }
        self.sql
            .query(
                "UPDATE webhook_endpoints SET claimed_until = NULL, \
             disabled_at = CASE WHEN $1 IS NULL THEN disabled_at ELSE $2 END, \
             disabled_reason = COALESCE($1, disabled_reason) WHERE id = $3",
            )
            .bind(disable.map(str::to_owned))
            .bind(ts(now))
            .bind(endpoint_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        conn.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn webhook_deliveries(
        &self,
        organizer_id: i64,
        endpoint_id: i64,
        page: u32,
        per_page: u32,
    ) -> StoreResult<Page<Delivery>> {
        let mut conn = self.backend.read().await?;
        let (total,): (i64,) = self
            .sql
            .query_as(
                "SELECT COUNT(*) FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE e.organizer_id = $1 AND d.endpoint_id = $2",
            )
            .bind(organizer_id)
            .bind(endpoint_id)
            .fetch_one(&mut *conn)
            .await?;
        let rows: Vec<DeliveryRow> = self
            .sql
            .query_as(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id \
             JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE e.organizer_id = $1 AND d.endpoint_id = $2 ORDER BY d.id DESC LIMIT $3 OFFSET $4"
            ))
            .bind(organizer_id)
            .bind(endpoint_id)
            .bind(i64::from(per_page))
            .bind(i64::from(page.saturating_sub(1)) * i64::from(per_page))
            .fetch_all(&mut *conn)
            .await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let attempts = attempts_of::<B>(self.sql, &mut conn, row.0).await?;
            items.push(delivery(row, attempts)?);
        }
        Ok(Page { items, total: u64::try_from(total).unwrap_or(0) })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_webhook_delivery(
        &self,
        organizer_id: i64,
        endpoint_id: i64,
        delivery_id: i64,
    ) -> StoreResult<Option<Delivery>> {
        delivery_of::<B>(self.sql, &mut *self.backend.write().await?, organizer_id, endpoint_id, delivery_id).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn redeliver_webhook(
        &self,
        organizer_id: i64,
        endpoint_id: i64,
        delivery_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Delivery>> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        let event: Option<(i64,)> = self
            .sql
            .query_as(
                "SELECT d.event_id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE e.organizer_id = $1 AND d.endpoint_id = $2 AND d.id = $3",
            )
            .bind(organizer_id)
            .bind(endpoint_id)
            .bind(delivery_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((event_id,)) = event else { return Ok(None) };
        let queued = queue::<B>(self.sql, &mut tx, endpoint_id, event_id, now).await?;
        let found = delivery_of::<B>(self.sql, &mut tx, organizer_id, endpoint_id, queued).await?;
        tx.commit().await?;
        conn.commit().await?;
        Ok(found)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn pending_webhook_deliveries(&self) -> StoreResult<u64> {
        let (count,): (i64,) = self
            .sql
            .query_as("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'")
            .fetch_one(&mut *self.backend.read().await?)
            .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

fn sorted(mut events: Vec<EventType>) -> Vec<EventType> {
    events.sort_by_key(|kind| kind.as_str());
    events.dedup();
    events
}

async fn subscribe<B>(sql: Statements, conn: &mut Conn<B>, endpoint_id: i64, events: &[EventType]) -> StoreResult<()>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    for<'q> &'q str: Encode<'q, B::Db> + Type<B::Db>,
    i64: Column<B::Db>,
{
    for kind in sorted(events.to_vec()) {
        sql.query("INSERT INTO webhook_subscriptions (endpoint_id, event_type) VALUES ($1, $2)")
            .bind(endpoint_id)
            .bind(kind.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn events_of<B>(sql: Statements, conn: &mut Conn<B>, endpoint_id: i64) -> StoreResult<Vec<EventType>>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    i64: Column<B::Db>,
    for<'r> (String,): FromRow<'r, Row<B>>,
{
    let rows: Vec<(String,)> = sql
        .query_as("SELECT event_type FROM webhook_subscriptions WHERE endpoint_id = $1 ORDER BY event_type")
        .bind(endpoint_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.iter().filter_map(|(name,)| EventType::from_name(name)).collect())
}

async fn endpoint_of<B>(
    sql: Statements,
    conn: &mut Conn<B>,
    organizer_id: i64,
    id: i64,
) -> StoreResult<Option<Endpoint>>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    i64: Column<B::Db>,
    for<'r> EndpointRow: FromRow<'r, Row<B>>,
    for<'r> (String,): FromRow<'r, Row<B>>,
{
    let row: Option<EndpointRow> = sql
        .query_as(&format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organizer_id = $1 AND id = $2"))
        .bind(organizer_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let events = events_of::<B>(sql, conn, row.0).await?;
    Ok(Some(endpoint(row, events)))
}

async fn queue<B>(
    sql: Statements,
    conn: &mut Conn<B>,
    endpoint_id: i64,
    event_id: i64,
    now: DateTime<Utc>,
) -> StoreResult<i64>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    i64: Column<B::Db>,
    for<'r> (i64,): FromRow<'r, Row<B>>,
{
    let (id,): (i64,) = sql
        .query_as(
            "INSERT INTO webhook_deliveries (endpoint_id, event_id, status, next_attempt_at_ms, created_at) \
         VALUES ($1, $2, 'pending', $3, $4) RETURNING id",
        )
        .bind(endpoint_id)
        .bind(event_id)
        .bind(ms(now))
        .bind(ts(now))
        .fetch_one(&mut *conn)
        .await?;
    Ok(id)
}

async fn attempts_of<B>(sql: Statements, conn: &mut Conn<B>, delivery_id: i64) -> StoreResult<Vec<Attempt>>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    i64: Column<B::Db>,
    for<'r> AttemptRow: FromRow<'r, Row<B>>,
{
    let rows: Vec<AttemptRow> = sql
        .query_as(
            "SELECT attempt, started_at, duration_ms, response_status, response_body, error FROM webhook_attempts \
         WHERE delivery_id = $1 ORDER BY id",
        )
        .bind(delivery_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(attempt).collect())
}

async fn delivery_of<B>(
    sql: Statements,
    conn: &mut Conn<B>,
    organizer_id: i64,
    endpoint_id: i64,
    delivery_id: i64,
) -> StoreResult<Option<Delivery>>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    i64: Column<B::Db>,
    for<'r> DeliveryRow: FromRow<'r, Row<B>>,
    for<'r> AttemptRow: FromRow<'r, Row<B>>,
{
    let row: Option<DeliveryRow> = sql.query_as(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id \
         JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE e.organizer_id = $1 AND d.endpoint_id = $2 AND d.id = $3"
    ))
    .bind(organizer_id)
    .bind(endpoint_id)
    .bind(delivery_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let attempts = attempts_of::<B>(sql, conn, row.0).await?;
    delivery(row, attempts).map(Some)
}
