//! Events, orders and tickets.

use super::built::BuiltStatements;
use super::columns::{event_columns, order_columns, ticket_columns, ticket_type_columns};
use super::webhook_outbox::{emit, subscribed};
use super::{Args, Backend, Column, Commit, Conn, Row, RowsAffected, SqlStore, Statements};
use crate::rows::{ts, EventRow, OrderRow, TicketRow, TicketTypeRow};
use crate::{EventChange, Invalidation, Page, StoreError, StoreResult, TicketCreation, TicketQuery, TicketRef};
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Connection, Database, Encode, Executor, FromRow, IntoArguments, QueryBuilder, Type};
use ticketbooth_domain::listing::Listing;
use ticketbooth_domain::ticketing::{
    Event, NewEvent, NewExternalTicket, NewOrder, Order, Ticket, TicketStatus, TicketType,
};
use ticketbooth_domain::webhooks::{EventType, Subject};

/// Tickets with their types; a statement adds its `WHERE`.
const TICKET_FROM: &str =
    concat!("SELECT ", ticket_columns!(), " FROM tickets t JOIN ticket_types tt ON tt.id = t.ticket_type_id");
pub(crate) const TICKET_BY_ID: &str = concat!(
    "SELECT ",
    ticket_columns!(),
    " FROM tickets t JOIN ticket_types tt ON tt.id = t.ticket_type_id WHERE t.id = $1"
);
const TICKET_BY_REFERENCE: &str = concat!(
    "SELECT ",
    ticket_columns!(),
    " FROM tickets t JOIN ticket_types tt ON tt.id = t.ticket_type_id WHERE t.event_id = $1 AND t.reference_code = $2"
);
const TICKET_BY_EXTERNAL_ID: &str = concat!(
    "SELECT ",
    ticket_columns!(),
    " FROM tickets t JOIN ticket_types tt ON tt.id = t.ticket_type_id WHERE t.event_id = $1 AND t.external_id = $2"
);

#[async_trait::async_trait]
impl<B> crate::TicketStore for SqlStore<B>
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
    for<'r> (i64,): FromRow<'r, Row<B>>,
    usize: ColumnIndex<Row<B>>,
{
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_event(&self, event: NewEvent) -> StoreResult<(Event, Vec<TicketType>)> {
        let now = ts(Utc::now());
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        let row: EventRow = self
            .sql
            .query_as(concat!(
                "INSERT INTO events (organizer_id, title, description, description_en, location_name, cover_url, \
             poster_url, status, start_at, end_at, api_ticket_quota, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10, $11, $11) RETURNING ",
                event_columns!()
            ))
            .bind(event.organizer_id)
            .bind(&event.title)
            .bind(&event.description)
            .bind(&event.description_en)
            .bind(&event.location_name)
            .bind(&event.cover_url)
            .bind(&event.poster_url)
            .bind(ts(event.start_at))
            .bind(ts(event.end_at))
            .bind(event.api_ticket_quota)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        let mut ticket_types = Vec::with_capacity(event.ticket_types.len());
        for ticket_type in &event.ticket_types {
            let tt: TicketTypeRow = self
                .sql
                .query_as(concat!(
                    "INSERT INTO ticket_types (event_id, name, price_satangs, quota, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING ",
                    ticket_type_columns!()
                ))
                .bind(row.id())
                .bind(&ticket_type.name)
                .bind(ticket_type.price_satangs)
                .bind(ticket_type.quota)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            ticket_types.push(tt.into());
        }
        tx.commit().await?;
        conn.commit().await?;
        Ok((row.into(), ticket_types))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn update_event(&self, id: i64, change: EventChange, now: DateTime<Utc>) -> StoreResult<Option<Event>> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        let row: Option<EventRow> = self
            .sql
            .query_as(concat!(
                "UPDATE events SET title = COALESCE($1, title), description = COALESCE($2, description), \
             description_en = COALESCE($3, description_en), location_name = COALESCE($4, location_name), \
             start_at = COALESCE($5, start_at), end_at = COALESCE($6, end_at), status = COALESCE($7, status), \
             updated_at = $8 WHERE id = $9 RETURNING ",
                event_columns!()
            ))
            .bind(change.title)
            .bind(change.description)
            .bind(change.description_en)
            .bind(change.location_name)
            .bind(change.start_at.map(ts))
            .bind(change.end_at.map(ts))
            .bind(change.status)
            .bind(ts(now))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let event: Event = row.into();
        if subscribed::<B>(self.sql, &mut tx, id, EventType::EventUpdated).await? {
            emit::<B>(
                self.sql,
                &mut tx,
                id,
                EventType::EventUpdated,
                &Subject::Event(Box::new(event.clone())),
                ts(now),
            )
            .await?;
        }
        tx.commit().await?;
        conn.commit().await?;
        Ok(Some(event))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_event(&self, id: i64) -> StoreResult<Option<Event>> {
        let row: Option<EventRow> = self
            .sql
            .query_as(concat!("SELECT ", event_columns!(), " FROM events WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.backend.read().await?)
            .await?;
        Ok(row.map(Into::into))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_ticket_type(&self, id: i64) -> StoreResult<Option<TicketType>> {
        let row: Option<TicketTypeRow> = self
            .sql
            .query_as(concat!("SELECT ", ticket_type_columns!(), " FROM ticket_types WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.backend.read().await?)
            .await?;
        Ok(row.map(Into::into))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn is_member(&self, organizer_id: i64, user_id: i64) -> StoreResult<bool> {
        let found: Option<i64> = self
            .sql
            .query_scalar("SELECT organizer_id FROM organizer_members WHERE organizer_id = $1 AND user_id = $2")
            .bind(organizer_id)
            .bind(user_id)
            .fetch_optional(&mut *self.backend.read().await?)
            .await?;
        Ok(found.is_some())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_order(&self, order: NewOrder, reference_codes: Vec<String>) -> StoreResult<Order> {
        let now = ts(Utc::now());
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        let quota: Option<(Option<i64>, i64)> = self
            .sql
            .query_as(
                "SELECT quota, (SELECT COUNT(*) FROM tickets WHERE ticket_type_id = $1) \
             FROM ticket_types WHERE id = $1 AND event_id = $2",
            )
            .bind(order.ticket_type_id)
            .bind(order.event_id)
            .fetch_optional(&mut *tx)
            .await?;
        match quota {
            None => return Err(StoreError::NotFound),
            Some((Some(quota), sold)) if sold + reference_codes.len() as i64 > quota => {
                return Err(StoreError::Conflict("ticket_types_quota".into()))
            }
            Some(_) => {}
        }
        let row: OrderRow = self
            .sql
            .query_as(concat!(
                "INSERT INTO orders (event_id, user_id, status, buyer_firstname, buyer_lastname, buyer_email, \
             buyer_phone, buyer_phone_local, buyer_phone_country, buyer_phone_country_code, paid_at, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 'TH', '66', $8, $9, $9) RETURNING ",
                order_columns!()
            ))
            .bind(order.event_id)
            .bind(order.user_id)
            .bind(if order.paid { "paid" } else { "pending" })
            .bind(&order.buyer_firstname)
            .bind(&order.buyer_lastname)
            .bind(&order.buyer_email)
            .bind(&order.buyer_phone)
            .bind(order.paid.then_some(now))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        let announce_tickets = subscribed::<B>(self.sql, &mut tx, order.event_id, EventType::TicketCreated).await?;
        let mut ticket_ids = Vec::with_capacity(reference_codes.len());
        for code in &reference_codes {
            let id: i64 = self
                .sql
                .query_scalar(
                    "INSERT INTO tickets (order_id, event_id, ticket_type_id, user_id, status, firstname, lastname, \
                 email, phone, reference_code, kind, registered_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'active', $5, $6, $7, $8, $9, 'normal', $10, $10, $10) RETURNING id",
                )
                .bind(row.id())
                .bind(order.event_id)
                .bind(order.ticket_type_id)
                .bind(order.user_id)
                .bind(&order.buyer_firstname)
                .bind(&order.buyer_lastname)
                .bind(&order.buyer_email)
                .bind(&order.buyer_phone)
                .bind(code)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            ticket_ids.push(id);
            if announce_tickets {
                let subject = Subject::Ticket(Box::new(ticket_in::<B>(self.sql, &mut tx, id).await?));
                emit::<B>(self.sql, &mut tx, order.event_id, EventType::TicketCreated, &subject, now).await?;
            }
        }
        let created = row.into_domain(ticket_ids);
        if order.paid && subscribed::<B>(self.sql, &mut tx, order.event_id, EventType::OrderPaid).await? {
            let subject = Subject::Order(Box::new(created.clone()));
            emit::<B>(self.sql, &mut tx, order.event_id, EventType::OrderPaid, &subject, now).await?;
        }
        tx.commit().await?;
        conn.commit().await?;
        Ok(created)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_events(&self, organizer_id: i64, listing: &Listing) -> StoreResult<Page<Event>> {
        let filter = |qb: &mut QueryBuilder<'_, B::Db>| {
            qb.push(" WHERE organizer_id = ").push_bind(organizer_id);
            if let Some(status) = &listing.filter.status {
                qb.push(" AND status = ").push_bind(status.clone());
            }
        };
        let select = concat!("SELECT ", event_columns!(), " FROM events");
        let (rows, total) = self.page::<EventRow>("SELECT COUNT(*) FROM events", select, filter, listing, "").await?;
        Ok(Page { items: rows.into_iter().map(Into::into).collect(), total })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_orders(
        &self,
        organizer_id: i64,
        user_id: Option<i64>,
        listing: &Listing,
    ) -> StoreResult<Page<Order>> {
        let filter = |qb: &mut QueryBuilder<'_, B::Db>| {
            qb.push(" WHERE event_id IN (SELECT id FROM events WHERE organizer_id = ").push_bind(organizer_id);
            qb.push(")");
            if let Some(user_id) = user_id {
                qb.push(" AND user_id = ").push_bind(user_id);
            }
            if let Some(event_id) = listing.filter.event_id {
                qb.push(" AND event_id = ").push_bind(event_id);
            }
            if let Some(status) = &listing.filter.status {
                qb.push(" AND status = ").push_bind(status.clone());
            }
        };
        let select = concat!("SELECT ", order_columns!(), " FROM orders");
        let (rows, total) = self.page::<OrderRow>("SELECT COUNT(*) FROM orders", select, filter, listing, "").await?;
        let order_ids: Vec<i64> = rows.iter().map(OrderRow::id).collect();
        let pairs = self.ticket_ids_of_orders(order_ids).await?;
        let items = rows
            .into_iter()
            .map(|row| {
                let id = row.id();
                let tickets = pairs.iter().filter(|(order_id, _)| *order_id == id).map(|(_, ticket)| *ticket);
                row.into_domain(tickets.collect())
            })
            .collect();
        Ok(Page { items, total })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_tickets(&self, query: TicketQuery<'_>) -> StoreResult<Page<Ticket>> {
        let filter = |qb: &mut QueryBuilder<'_, B::Db>| push_ticket_where(qb, &query);
        let count = "SELECT COUNT(*) FROM tickets t";
        let (rows, total) = self.page::<TicketRow>(count, TICKET_FROM, filter, query.listing, "t.").await?;
        let items = rows.into_iter().map(TicketRow::into_domain).collect::<StoreResult<_>>()?;
        Ok(Page { items, total })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_external_ticket(&self, ticket: NewExternalTicket) -> StoreResult<TicketCreation> {
        // A replay costs one indexed read and no write.
        if let Some(found) = self.by_external_id(ticket.event_id, ticket.external_id.as_deref()).await? {
            return Ok(TicketCreation::Existing(found));
        }
        // The type is read first, off the writer, so the insert can return the whole ticket.
        let ticket_type = self.find_ticket_type(ticket.ticket_type_id).await?.ok_or(StoreError::NotFound)?;
        let now = ts(ticket.now);
        let inserted = {
            let mut conn = self.backend.write().await?;
            let mut tx = conn.begin().await?;
            // Reserving a quota slot locks the event's row, so concurrent creations for
            // one event queue here and each sees the others' committed tickets.
            let reserved = self
                .sql
                .query(
                    "UPDATE events SET api_tickets_issued = api_tickets_issued + 1 \
                 WHERE id = $1 AND api_tickets_issued < api_ticket_quota",
                )
                .bind(ticket.event_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if reserved != 1 {
                tx.rollback().await?;
                Err(TicketCreation::QuotaExceeded)
            } else {
                let row: Option<TicketRow> = self
                    .sql
                    .query_as(
                        "INSERT INTO tickets (event_id, ticket_type_id, status, firstname, lastname, email, \
                     phone, reference_code, kind, external_id, registered_at, created_at, updated_at) \
                     VALUES ($1, $2, 'active', $3, $4, $5, $6, $7, 'external', $8, $9, $9, $9) \
                     ON CONFLICT DO NOTHING RETURNING id, order_id, event_id, user_id, status, firstname, lastname, \
                     phone, email, reference_code, kind, external_id, revoke_note, forms, used_at, registered_at, \
                     created_at, updated_at, $10 AS tt_id, $11 AS tt_name, $12 AS tt_price_satangs, $13 AS tt_quota",
                    )
                    .bind(ticket.event_id)
                    .bind(ticket.ticket_type_id)
                    .bind(&ticket.firstname)
                    .bind(&ticket.lastname)
                    .bind(&ticket.email)
                    .bind(&ticket.phone)
                    .bind(&ticket.reference_code)
                    .bind(&ticket.external_id)
                    .bind(now)
                    .bind(ticket_type.id)
                    .bind(ticket_type.name.as_str())
                    .bind(ticket_type.price_satangs)
                    .bind(ticket_type.quota)
                    .fetch_optional(&mut *tx)
                    .await?;
                match row {
                    Some(row) => {
                        let created = row.into_domain()?;
                        if subscribed::<B>(self.sql, &mut tx, ticket.event_id, EventType::TicketCreated).await? {
                            let subject = Subject::Ticket(Box::new(created.clone()));
                            emit::<B>(self.sql, &mut tx, ticket.event_id, EventType::TicketCreated, &subject, now)
                                .await?;
                        }
                        tx.commit().await?;
                        conn.commit().await?;
                        Ok(created)
                    }
                    // A unique key was taken: the external id (a replay) or the reference code.
                    None => {
                        tx.rollback().await?;
                        Err(TicketCreation::ReferenceTaken)
                    }
                }
            }
        };
        // The writer is released here: what follows may read through it.
        let created = match inserted {
            Ok(created) => created,
            Err(refusal) => {
                return Ok(match self.by_external_id(ticket.event_id, ticket.external_id.as_deref()).await? {
                    Some(found) => TicketCreation::Existing(found),
                    None => refusal,
                })
            }
        };
        Ok(TicketCreation::Created(created))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn invalidate_ticket(
        &self,
        event_id: i64,
        target: TicketRef,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> StoreResult<Invalidation> {
        let revoke = match target {
            TicketRef::Id(_) => {
                "UPDATE tickets SET status = $1, revoke_note = $2, updated_at = $3 \
                 WHERE event_id = $4 AND id = $5 AND status = $6 RETURNING id"
            }
            TicketRef::ReferenceCode(_) => {
                "UPDATE tickets SET status = $1, revoke_note = $2, updated_at = $3 \
                 WHERE event_id = $4 AND reference_code = $5 AND status = $6 RETURNING id"
            }
        };
        let query = self
            .sql
            .query_scalar::<_, i64>(revoke)
            .bind(TicketStatus::Revoked.as_str())
            .bind(reason)
            .bind(ts(now))
            .bind(event_id);
        let query = match &target {
            TicketRef::Id(id) => query.bind(*id),
            TicketRef::ReferenceCode(code) => query.bind(code.as_str()),
        };
        let revoked = {
            let mut conn = self.backend.write().await?;
            let mut tx = conn.begin().await?;
            match query.bind(TicketStatus::Active.as_str()).fetch_optional(&mut *tx).await? {
                Some(id) => {
                    let snapshot =
                        match subscribed::<B>(self.sql, &mut tx, event_id, EventType::TicketInvalidated).await? {
                            true => {
                                let ticket = ticket_in::<B>(self.sql, &mut tx, id).await?;
                                let subject = Subject::Ticket(Box::new(ticket.clone()));
                                emit::<B>(self.sql, &mut tx, event_id, EventType::TicketInvalidated, &subject, ts(now))
                                    .await?;
                                Some(ticket)
                            }
                            false => None,
                        };
                    tx.commit().await?;
                    conn.commit().await?;
                    Some((id, snapshot))
                }
                None => None,
            }
        };
        if let Some((id, snapshot)) = revoked {
            let ticket = match snapshot {
                Some(ticket) => ticket,
                None => self.ticket_by_id(id).await?.ok_or(StoreError::NotFound)?,
            };
            return Ok(Invalidation::Revoked(Box::new(ticket)));
        }
        let current = match &target {
            TicketRef::Id(id) => self.ticket_by_id(*id).await?.filter(|ticket| ticket.event_id == event_id),
            TicketRef::ReferenceCode(code) => self.find_ticket_by_reference(event_id, code).await?,
        };
        Ok(match current.map(|ticket| ticket.status) {
            None => Invalidation::NotFound,
            Some(TicketStatus::Used) => Invalidation::AlreadyUsed,
            Some(TicketStatus::Active | TicketStatus::Revoked) => Invalidation::AlreadyRevoked,
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn mark_ticket_used(&self, ticket_id: i64, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut conn = self.backend.write().await?;
        let updated = self
            .sql
            .query("UPDATE tickets SET status = $1, used_at = $2, updated_at = $2 WHERE id = $3 AND status = $4")
            .bind(TicketStatus::Used.as_str())
            .bind(ts(now))
            .bind(ticket_id)
            .bind(TicketStatus::Active.as_str())
            .execute(&mut *conn)
            .await?
            .rows_affected();
        conn.commit().await?;
        Ok(updated == 1)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_ticket(&self, id: i64) -> StoreResult<Option<Ticket>> {
        let row: Option<TicketRow> = self
            .sql
            .query_as::<B::Db, _>(TICKET_BY_ID)
            .bind(id)
            .fetch_optional(&mut *self.backend.read().await?)
            .await?;
        row.map(TicketRow::into_domain).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_ticket_by_reference(&self, event_id: i64, reference_code: &str) -> StoreResult<Option<Ticket>> {
        let row: Option<TicketRow> = self
            .sql
            .query_as::<B::Db, _>(TICKET_BY_REFERENCE)
            .bind(event_id)
            .bind(reference_code)
            .fetch_optional(&mut *self.backend.read().await?)
            .await?;
        row.map(TicketRow::into_domain).transpose()
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
    /// A ticket by id, read on the writer so it sees the write just made.
    async fn ticket_by_id(&self, id: i64) -> StoreResult<Option<Ticket>> {
        let mut conn = self.backend.write().await?;
        let row: Option<TicketRow> =
            self.sql.query_as::<B::Db, _>(TICKET_BY_ID).bind(id).fetch_optional(&mut *conn).await?;
        conn.commit().await?;
        row.map(TicketRow::into_domain).transpose()
    }

    /// An event's ticket by the external id its creator gave, read on the writer.
    async fn by_external_id(&self, event_id: i64, external_id: Option<&str>) -> StoreResult<Option<Ticket>> {
        let Some(external_id) = external_id else { return Ok(None) };
        let mut conn = self.backend.write().await?;
        let row: Option<TicketRow> = self
            .sql
            .query_as::<B::Db, _>(TICKET_BY_EXTERNAL_ID)
            .bind(event_id)
            .bind(external_id)
            .fetch_optional(&mut *conn)
            .await?;
        conn.commit().await?;
        row.map(TicketRow::into_domain).transpose()
    }

    /// `(order id, ticket id)` of the orders' tickets.
    async fn ticket_ids_of_orders(&self, order_ids: Vec<i64>) -> StoreResult<Vec<(i64, i64)>> {
        if order_ids.is_empty() {
            return Ok(Vec::new());
        }
        B::Db::fetch_built(self.sql, &mut *self.backend.read().await?, move |qb| {
            qb.push("SELECT order_id, id FROM tickets WHERE order_id IN (");
            let mut separated = qb.separated(", ");
            for id in order_ids {
                separated.push_bind(id);
            }
            qb.push(") ORDER BY id");
        })
        .await
    }

    /// One page of a list: the rows of `select` that `filter` keeps, sorted and cut as `listing`
    /// asks (sort columns prefixed with `prefix`), and how many rows `count` counts with the same
    /// filter.
    async fn page<R>(
        &self,
        count: &'static str,
        select: &'static str,
        filter: impl for<'a> Fn(&mut QueryBuilder<'a, B::Db>) + Send + Sync,
        listing: &Listing,
        prefix: &'static str,
    ) -> StoreResult<(Vec<R>, u64)>
    where
        R: for<'r> FromRow<'r, Row<B>> + Send + Unpin,
    {
        let counted: Vec<(i64,)> = B::Db::fetch_built(self.sql, &mut *self.backend.read().await?, |qb| {
            qb.push(count);
            filter(qb);
        })
        .await?;
        let rows = B::Db::fetch_built(self.sql, &mut *self.backend.read().await?, |qb| {
            qb.push(select);
            filter(qb);
            push_order_and_page(qb, listing, prefix);
        })
        .await?;
        let total = counted.first().map_or(0, |(total,)| u64::try_from(*total).unwrap_or(0));
        Ok((rows, total))
    }
}

/// `ORDER BY … LIMIT … OFFSET …` for a listing, nulls last on both backends, ids breaking ties.
fn push_order_and_page<Db: Database>(qb: &mut QueryBuilder<'_, Db>, listing: &Listing, prefix: &str)
where
    i64: Column<Db>,
{
    let direction = if listing.descending { "DESC" } else { "ASC" };
    let column = listing.sort.column();
    qb.push(format_args!(" ORDER BY {prefix}{column} {direction} NULLS LAST"));
    if column != "id" {
        qb.push(format_args!(", {prefix}id {direction}"));
    }
    qb.push(" LIMIT ").push_bind(i64::from(listing.per_page));
    qb.push(" OFFSET ").push_bind(i64::try_from(listing.offset()).unwrap_or(i64::MAX));
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` substring pattern.
fn contains_pattern(needle: &str) -> String {
    let escaped = needle.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// The `WHERE` of a ticket list.
fn push_ticket_where<Db: Database>(qb: &mut QueryBuilder<'_, Db>, query: &TicketQuery<'_>)
where
    i64: Column<Db>,
    String: Column<Db>,
{
    qb.push(" WHERE t.event_id IN (SELECT id FROM events WHERE organizer_id = ").push_bind(query.organizer_id);
    qb.push(")");
    let q = &query.listing.filter;
    if let Some(event_id) = query.event_id.or(q.event_id) {
        qb.push(" AND t.event_id = ").push_bind(event_id);
    }
    if let Some(user_id) = query.user_id {
        qb.push(" AND t.user_id = ").push_bind(user_id);
    }
    if let Some(status) = &q.status {
        qb.push(" AND t.status = ").push_bind(status.clone());
    }
    let f = query.filter;
    if let Some(ticket_type_id) = f.ticket_type_id.or(q.ticket_type_id) {
        qb.push(" AND t.ticket_type_id = ").push_bind(ticket_type_id);
    }
    if !f.statuses.is_empty() {
        qb.push(" AND t.status IN (");
        let mut separated = qb.separated(", ");
        for status in &f.statuses {
            separated.push_bind(status.clone());
        }
        qb.push(")");
    }
    if let Some(email) = &f.email {
        qb.push(" AND LOWER(t.email) LIKE ").push_bind(contains_pattern(email)).push(" ESCAPE '\\'");
    }
    if let Some(phone) = &f.phone {
        qb.push(" AND t.phone LIKE ").push_bind(contains_pattern(phone)).push(" ESCAPE '\\'");
    }
    if let Some(before) = f.updated_before {
        qb.push(" AND t.updated_at < ").push_bind(ts(before));
    }
    if let Some(after) = f.updated_after {
        qb.push(" AND t.updated_at > ").push_bind(ts(after));
    }
    if let Some(min_id) = f.min_id {
        qb.push(" AND t.id > ").push_bind(min_id);
    }
    if let Some(max_id) = f.max_id {
        qb.push(" AND t.id < ").push_bind(max_id);
    }
}

/// A ticket by id, read inside the caller's transaction (an event's snapshot of it).
pub(crate) async fn ticket_in<B>(sql: Statements, conn: &mut Conn<B>, ticket_id: i64) -> StoreResult<Ticket>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    i64: Column<B::Db>,
    for<'r> TicketRow: FromRow<'r, Row<B>>,
{
    let row: TicketRow = sql.query_as::<B::Db, _>(TICKET_BY_ID).bind(ticket_id).fetch_one(&mut *conn).await?;
    row.into_domain()
}
