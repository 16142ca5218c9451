//! Door check-in. A scan runs in one transaction on the writer: the nonce is looked up (a retry
//! gets the first answer), the ticket read, the rule decided (`ticketbooth_domain::check_in`),
//! the ticket changed by an `UPDATE` guarded by the state the rule allowed (so of two doors
//! admitting one ticket at once, PostgreSQL re-checks the guard for the second after the first
//! commits, and it changes nothing), the scan recorded, and `ticket.checked_in` queued.

use super::ticketing::ticket_in;
use super::webhook_outbox::{emit, subscribed};
use super::{Args, Backend, Column, Commit, Conn, Row, RowsAffected, SqlStore, Statements};
use crate::check_ins::{CheckInKey, NewCheckInKey, RevokedTicket, Scan, ScanOutcome, ScanTarget};
use crate::rows::{from_ts, ts, TicketRow};
use crate::{Page, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Connection, Encode, Executor, FromRow, IntoArguments, Type};
use ticketbooth_domain::check_in::{decide, CheckIn, CheckInCounts, Direction, Presence, Refusal};
use ticketbooth_domain::ticketing::TicketStatus;
use ticketbooth_domain::webhooks::{CheckInNote, EventType, Subject};

const CHECK_IN_SELECT: &str = "SELECT c.id, c.event_id, c.ticket_id, t.reference_code, \
     CASE WHEN t.id IS NULL THEN NULL ELSE t.firstname || ' ' || t.lastname END, c.direction, c.refusal, \
     c.inside_since, c.forced, c.nonce, c.device, c.scanned_at, c.recorded_at \
     FROM check_ins c LEFT JOIN tickets t ON t.id = c.ticket_id";

type CheckInRow = (
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<i64>,
    bool,
    String,
    Option<String>,
    i64,
    i64,
);

/// What a scan needs to know of its ticket: id, event, status, presence, order status, used_at.
type TicketStateRow = (i64, i64, String, Option<String>, String, Option<i64>);

const TICKET_STATE: &str = "SELECT t.id, t.event_id, t.status, t.presence, COALESCE(o.status, 'paid'), t.used_at \
     FROM tickets t LEFT JOIN orders o ON o.id = t.order_id";

type KeyRow = (String, Vec<u8>, String, i64, Option<i64>);

fn check_in(row: CheckInRow) -> StoreResult<CheckIn> {
    let (
        id,
        event_id,
        ticket_id,
        reference_code,
        holder,
        direction,
        refusal,
        inside_since,
        forced,
        nonce,
        device,
        scanned,
        recorded,
    ) = row;
    let corrupt = |what: &str| StoreError::Corrupt(format!("check-in {id}: {what}"));
    Ok(CheckIn {
        id,
        event_id,
        ticket_id,
        reference_code,
        holder,
        direction: Direction::from_name(&direction).ok_or_else(|| corrupt("direction"))?,
        refusal: refusal.map(|name| Refusal::from_name(&name).ok_or_else(|| corrupt("refusal"))).transpose()?,
        inside_since: inside_since.map(from_ts),
        forced,
        nonce,
        device,
        scanned_at: from_ts(scanned),
        recorded_at: from_ts(recorded),
    })
}

fn key(row: KeyRow) -> CheckInKey {
    let (kid, private_key, public_jwk, created_at, retired_at) = row;
    CheckInKey { kid, private_key, public_jwk, created_at: from_ts(created_at), retired_at: retired_at.map(from_ts) }
}

#[async_trait::async_trait]
impl<B> crate::CheckInStore for SqlStore<B>
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
    for<'r> CheckInRow: FromRow<'r, Row<B>>,
    for<'r> TicketStateRow: FromRow<'r, Row<B>>,
    for<'r> KeyRow: FromRow<'r, Row<B>>,
    for<'r> TicketRow: FromRow<'r, Row<B>>,
    for<'r> (i64,): FromRow<'r, Row<B>>,
    for<'r> (Option<i64>,): FromRow<'r, Row<B>>,
    for<'r> (i64, i64, i64): FromRow<'r, Row<B>>,
    for<'r> (i64, String, i64): FromRow<'r, Row<B>>,
    for<'r> &'r str: ColumnIndex<Row<B>>,
    usize: ColumnIndex<Row<B>>,
{
    #[tracing::instrument(level = "debug", skip_all)]
    async fn record_scan(&self, scan: Scan) -> StoreResult<ScanOutcome> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        if let Some(first) = by_nonce::<B>(self.sql, &mut tx, scan.event_id, &scan.nonce).await? {
            tx.rollback().await?;
            return replay::<B>(self.sql, &mut conn, first).await;
        }
        let state = match &scan.target {
            ScanTarget::TicketId(id) => {
                let state: Option<TicketStateRow> = self
                    .sql
                    .query_as(&format!("{TICKET_STATE} WHERE t.id = $1"))
                    .bind(*id)
                    .fetch_optional(&mut *tx)
                    .await?;
                match state {
                    Some(state) if state.1 == scan.event_id => Ok(state),
                    Some(_) => Err(Refusal::WrongEvent),
                    None => Err(Refusal::Invalid),
                }
            }
            ScanTarget::ReferenceCode(code) => {
                let state: Option<TicketStateRow> = self
                    .sql
                    .query_as(&format!("{TICKET_STATE} WHERE t.event_id = $1 AND t.reference_code = $2"))
                    .bind(scan.event_id)
                    .bind(code.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                match state {
                    Some(state) => Ok(state),
                    None if reference_of_sibling_event::<B>(self.sql, &mut tx, scan.event_id, code).await? => {
                        Err(Refusal::WrongEvent)
                    }
                    None => Err(Refusal::Invalid),
                }
            }
            ScanTarget::Refused(refusal) => Err(*refusal),
        };
        let now = ts(scan.now);
        let scanned_at = ts(scan.scanned_at);
        let (ticket_id, refusal, admitted, inside_since) = match state {
            Err(refusal) => (None, Some(refusal), false, None),
            Ok((id, _, status, presence, order_status, used_at)) => {
                let status =
                    TicketStatus::from_name(&status).ok_or_else(|| StoreError::Corrupt("ticket status".into()))?;
                let presence = Presence::from_stored(presence.as_deref(), status);
                let mut verdict = decide(status, presence, order_status == "paid", scan.direction).err();
                let mut admitted = verdict.is_none() || scan.force;
                if admitted && !apply::<B>(self.sql, &mut tx, id, scan.direction, scan.force, scanned_at, now).await? {
                    // Another door admitted it first: what the rule says now.
                    verdict = Some(Refusal::AlreadyCheckedIn);
                    admitted = false;
                }
                let inside_since = match verdict {
                    Some(Refusal::AlreadyCheckedIn) => last_entry::<B>(self.sql, &mut tx, id).await?.or(used_at),
                    _ => None,
                };
                (Some(id), verdict, admitted, inside_since)
            }
        };
        let inserted: Option<(i64,)> = self
            .sql
            .query_as(
                "INSERT INTO check_ins (event_id, ticket_id, nonce, direction, refusal, inside_since, forced, device, \
             scanned_at, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (event_id, nonce) DO NOTHING RETURNING id",
            )
            .bind(scan.event_id)
            .bind(ticket_id)
            .bind(scan.nonce.as_str())
            .bind(scan.direction.as_str())
            .bind(refusal.map(|refusal| refusal.as_str().to_owned()))
            .bind(inside_since)
            .bind(scan.force && admitted)
            .bind(scan.device.clone())
            .bind(scanned_at)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((id,)) = inserted else {
            // The same nonce committed meanwhile (a retry racing the first request).
            tx.rollback().await?;
            let first =
                by_nonce::<B>(self.sql, &mut conn, scan.event_id, &scan.nonce).await?.ok_or(StoreError::NotFound)?;
            return replay::<B>(self.sql, &mut conn, first).await;
        };
        let ticket = match ticket_id {
            Some(ticket_id) => Some(ticket_in::<B>(self.sql, &mut tx, ticket_id).await?),
            None => None,
        };
        let announce = admitted
            && scan.direction == Direction::Entry
            && subscribed::<B>(self.sql, &mut tx, scan.event_id, EventType::TicketCheckedIn).await?;
        if let (true, Some(ticket)) = (announce, &ticket) {
            let note = CheckInNote {
                id,
                kind: scan.direction.as_str().to_owned(),
                scanned_at: scan.scanned_at,
                device: scan.device.clone(),
            };
            let subject = Subject::CheckIn(Box::new(ticket.clone()), note);
            emit::<B>(self.sql, &mut tx, scan.event_id, EventType::TicketCheckedIn, &subject, now).await?;
        }
        let row: CheckInRow =
            self.sql.query_as(&format!("{CHECK_IN_SELECT} WHERE c.id = $1")).bind(id).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        conn.commit().await?;
        Ok(ScanOutcome { check_in: check_in(row)?, ticket, replayed: false })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn check_ins(&self, event_id: i64, page: u32, per_page: u32) -> StoreResult<Page<CheckIn>> {
        let mut conn = self.backend.read().await?;
        let (total,): (i64,) = self
            .sql
            .query_as("SELECT COUNT(*) FROM check_ins WHERE event_id = $1")
            .bind(event_id)
            .fetch_one(&mut *conn)
            .await?;
        let rows: Vec<CheckInRow> = self
            .sql
            .query_as(&format!("{CHECK_IN_SELECT} WHERE c.event_id = $1 ORDER BY c.id DESC LIMIT $2 OFFSET $3"))
            .bind(event_id)
            .bind(i64::from(per_page))
            .bind(i64::from(page.saturating_sub(1)) * i64::from(per_page))
            .fetch_all(&mut *conn)
            .await?;
        let items = rows.into_iter().map(check_in).collect::<StoreResult<_>>()?;
        Ok(Page { items, total: u64::try_from(total).unwrap_or(0) })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn check_in_counts(&self, event_id: i64) -> StoreResult<CheckInCounts> {
        let (inside, checked_in, tickets): (i64, i64, i64) = self.sql.query_as(
            "SELECT COALESCE(SUM(CASE WHEN status = 'used' AND (presence IS NULL OR presence = 'in') THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN status = 'used' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN status <> 'revoked' THEN 1 ELSE 0 END), 0) \
             FROM tickets WHERE event_id = $1",
        )
        .bind(event_id)
        .fetch_one(&mut *self.backend.read().await?)
        .await?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(CheckInCounts { inside: count(inside), checked_in: count(checked_in), tickets: count(tickets) })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn revoked_tickets(
        &self,
        event_id: i64,
        since: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<RevokedTicket>> {
        let rows: Vec<(i64, String, i64)> = self
            .sql
            .query_as(
                "SELECT id, reference_code, updated_at FROM tickets WHERE event_id = $1 AND status = 'revoked' \
             AND updated_at >= $2 ORDER BY updated_at, id LIMIT $3",
            )
            .bind(event_id)
            .bind(ts(since))
            .bind(i64::from(limit))
            .fetch_all(&mut *self.backend.read().await?)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, reference_code, at)| RevokedTicket { id, reference_code, revoked_at: from_ts(at) })
            .collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn check_in_keys(&self, event_id: i64) -> StoreResult<Vec<CheckInKey>> {
        let rows: Vec<KeyRow> = self
            .sql
            .query_as(
                "SELECT kid, private_key, public_jwk, created_at, retired_at FROM check_in_keys WHERE event_id = $1 \
             ORDER BY retired_at IS NOT NULL, id DESC",
            )
            .bind(event_id)
            .fetch_all(&mut *self.backend.read().await?)
            .await?;
        Ok(rows.into_iter().map(key).collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn add_check_in_key(
        &self,
        event_id: i64,
        new: NewCheckInKey,
        replace: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<CheckInKey> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        if replace {
            self.sql
                .query("UPDATE check_in_keys SET retired_at = $1 WHERE event_id = $2 AND retired_at IS NULL")
                .bind(ts(now))
                .bind(event_id)
                .execute(&mut *tx)
                .await?;
        }
        self.sql.query(
            "INSERT INTO check_in_keys (event_id, kid, private_key, public_jwk, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (event_id) WHERE retired_at IS NULL DO NOTHING",
        )
        .bind(event_id)
        .bind(new.kid.as_str())
        .bind(new.private_key.as_slice())
        .bind(new.public_jwk.as_str())
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        let active: KeyRow = self
            .sql
            .query_as(
                "SELECT kid, private_key, public_jwk, created_at, retired_at FROM check_in_keys \
             WHERE event_id = $1 AND retired_at IS NULL",
            )
            .bind(event_id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        conn.commit().await?;
        Ok(key(active))
    }
}

/// Changes the ticket as an admitted scan does; false when the guard no longer holds.
async fn apply<B>(
    sql: Statements,
    conn: &mut Conn<B>,
    ticket_id: i64,
    direction: Direction,
    force: bool,
    scanned_at: i64,
    now: i64,
) -> StoreResult<bool>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    i64: Column<B::Db>,
{
    let query = match (direction, force) {
        (Direction::Entry, false) => sql.query(
            "UPDATE tickets SET status = 'used', used_at = COALESCE(used_at, $1), presence = 'in', updated_at = $2 \
             WHERE id = $3 AND (status = 'active' OR (status = 'used' AND presence = 'out'))",
        ),
        // Recorded as the door reports it; a revoked ticket stays revoked.
        (Direction::Entry, true) => sql.query(
            "UPDATE tickets SET status = CASE WHEN status = 'active' THEN 'used' ELSE status END, \
             used_at = COALESCE(used_at, $1), presence = 'in', updated_at = $2 WHERE id = $3",
        ),
        (Direction::Exit, false) => {
            sql.query("UPDATE tickets SET presence = 'out', updated_at = $1 WHERE id = $2 AND status <> 'revoked'")
        }
        (Direction::Exit, true) => sql.query("UPDATE tickets SET presence = 'out', updated_at = $1 WHERE id = $2"),
    };
    let query = match direction {
        Direction::Entry => query.bind(scanned_at),
        Direction::Exit => query,
    };
    let changed = query.bind(now).bind(ticket_id).execute(&mut *conn).await?.rows_affected();
    Ok(changed == 1)
}

/// Since when the holder is inside: their last admitted entry.
async fn last_entry<B>(sql: Statements, conn: &mut Conn<B>, ticket_id: i64) -> StoreResult<Option<i64>>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    i64: Column<B::Db>,
    Option<i64>: Column<B::Db>,
    for<'r> (Option<i64>,): FromRow<'r, Row<B>>,
{
    let (at,): (Option<i64>,) = sql
        .query_as(
            "SELECT MAX(scanned_at) FROM check_ins WHERE ticket_id = $1 AND direction = 'entry' \
         AND (refusal IS NULL OR forced)",
        )
        .bind(ticket_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(at)
}

/// Whether another event of the same organizer has a ticket with this reference code.
async fn reference_of_sibling_event<B>(
    sql: Statements,
    conn: &mut Conn<B>,
    event_id: i64,
    code: &str,
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
            "SELECT t.id FROM tickets t JOIN events ev ON ev.id = t.event_id \
         WHERE t.reference_code = $1 AND t.event_id <> $2 \
           AND ev.organizer_id = (SELECT organizer_id FROM events WHERE id = $2) LIMIT 1",
        )
        .bind(code)
        .bind(event_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

async fn by_nonce<B>(sql: Statements, conn: &mut Conn<B>, event_id: i64, nonce: &str) -> StoreResult<Option<CheckIn>>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    for<'q> &'q str: Encode<'q, B::Db> + Type<B::Db>,
    i64: Column<B::Db>,
    for<'r> CheckInRow: FromRow<'r, Row<B>>,
{
    let row: Option<CheckInRow> = sql
        .query_as(&format!("{CHECK_IN_SELECT} WHERE c.event_id = $1 AND c.nonce = $2"))
        .bind(event_id)
        .bind(nonce)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(check_in).transpose()
}

/// The first answer to a nonce, again.
async fn replay<B>(sql: Statements, conn: &mut Conn<B>, first: CheckIn) -> StoreResult<ScanOutcome>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    i64: Column<B::Db>,
    for<'r> TicketRow: FromRow<'r, Row<B>>,
{
    let ticket = match first.ticket_id {
        Some(id) => Some(ticket_in::<B>(sql, conn, id).await?),
        None => None,
    };
    Ok(ScanOutcome { check_in: first, ticket, replayed: true })
}
