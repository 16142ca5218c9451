//! The transactional outbox: a ticketing change that partners may subscribe to writes its event,
//! and a delivery for each subscribed endpoint, on the connection of its own transaction, so the
//! event exists exactly when the change does.

use super::{Args, Backend, Column, Conn, Row};
use crate::StoreResult;
use sqlx::{Encode, Executor, FromRow, IntoArguments, Type};
use ticketbooth_domain::webhooks::{generate_event_id, EventType, Subject};

/// Queues `kind` about `subject`, for the organizer of the ticketing event `event_id`, on `conn`
/// (inside the caller's transaction). Costs one indexed read when nobody subscribes.
pub(crate) async fn emit<B>(
    conn: &mut Conn<B>,
    event_id: i64,
    kind: EventType,
    subject: &Subject,
    now: i64,
) -> StoreResult<()>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    for<'q> &'q str: Encode<'q, B::Db> + Type<B::Db>,
    i64: Column<B::Db>,
    for<'r> (i64,): FromRow<'r, Row<B>>,
{
    let subscribed: Option<(i64,)> = sqlx::query_as(
        "SELECT e.id FROM webhook_endpoints e JOIN webhook_subscriptions s ON s.endpoint_id = e.id \
         WHERE e.organizer_id = (SELECT organizer_id FROM events WHERE id = $1) \
           AND s.event_type = $2 AND e.disabled_at IS NULL LIMIT 1",
    )
    .bind(event_id)
    .bind(kind.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    if subscribed.is_none() {
        return Ok(());
    }
    let snapshot = serde_json::to_string(subject).map_err(|err| crate::StoreError::Corrupt(err.to_string()))?;
    let (outbox_id,): (i64,) = sqlx::query_as(
        "INSERT INTO webhook_events (public_id, organizer_id, event_type, snapshot, created_at) \
         SELECT $1, organizer_id, $2, $3, $4 FROM events WHERE id = $5 RETURNING id",
    )
    .bind(generate_event_id().as_str())
    .bind(kind.as_str())
    .bind(snapshot.as_str())
    .bind(now)
    .bind(event_id)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO webhook_deliveries (endpoint_id, event_id, status, next_attempt_at_ms, created_at) \
         SELECT e.id, $1, 'pending', $2 * 1000, $2 FROM webhook_endpoints e \
         JOIN webhook_subscriptions s ON s.endpoint_id = e.id \
         WHERE e.organizer_id = (SELECT organizer_id FROM events WHERE id = $3) \
           AND s.event_type = $4 AND e.disabled_at IS NULL",
    )
    .bind(outbox_id)
    .bind(now)
    .bind(event_id)
    .bind(kind.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}
