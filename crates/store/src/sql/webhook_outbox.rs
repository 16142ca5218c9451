//! The transactional outbox: a ticketing change that partners may subscribe to writes its event
//! on the connection of its own transaction, so the event exists exactly when the change does.
//! The event's insert fans out to one delivery per subscribed endpoint (a trigger, see migration
//! 0009). A change first asks [`subscribed`], so that when nobody listens it costs one indexed
//! read and reads nothing back for a snapshot.

use super::{Args, Backend, Column, Conn, Row, Statements};
use crate::StoreResult;
use sqlx::{Encode, Executor, FromRow, IntoArguments, Type};
use ticketbooth_domain::webhooks::{generate_event_id, EventType, Subject};

/// Whether an enabled endpoint of the organizer of the ticketing event `event_id` subscribes to
/// `kind`, as the caller's transaction sees it.
pub(crate) async fn subscribed<B>(
    sql: Statements,
    conn: &mut Conn<B>,
    event_id: i64,
    kind: EventType,
) -> StoreResult<bool>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    for<'q> &'q str: Encode<'q, B::Db> + Type<B::Db>,
    i64: Column<B::Db>,
    for<'r> (i64,): FromRow<'r, Row<B>>,
{
    let found: Option<(i64,)> = sql
        .query_as(
            "SELECT e.id FROM webhook_endpoints e JOIN webhook_subscriptions s ON s.endpoint_id = e.id \
         WHERE e.organizer_id = (SELECT organizer_id FROM events WHERE id = $1) \
           AND s.event_type = $2 AND e.disabled_at IS NULL LIMIT 1",
        )
        .bind(event_id)
        .bind(kind.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

/// Queues `kind` about `subject` for the organizer of the ticketing event `event_id`, on `conn`
/// (inside the caller's transaction).
pub(crate) async fn emit<B>(
    sql: Statements,
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
{
    let snapshot = serde_json::to_string(subject).map_err(|err| crate::StoreError::Corrupt(err.to_string()))?;
    sql.query(
        "INSERT INTO webhook_events (public_id, organizer_id, event_type, snapshot, created_at) \
         SELECT $1, organizer_id, $2, $3, $4 FROM events WHERE id = $5",
    )
    .bind(generate_event_id().as_str())
    .bind(kind.as_str())
    .bind(snapshot.as_str())
    .bind(now)
    .bind(event_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
