//! The ticketing statements, shared by both backends. Lists are built with `QueryBuilder`, which
//! writes each backend's placeholders; sort columns come from a closed enum, never from input.

/// Implements [`TicketStore`](crate::TicketStore); see [`impl_store`](super::impl_store).
macro_rules! impl_ticketing {
    ($store:ty, $conn:ty, $db:ty) => {
        const _: () = {
            use $crate::rows::{ts, EventRow, OrderRow, TicketRow, TicketTypeRow};
            use $crate::{Invalidation, Page, StoreError, StoreResult, TicketCreation, TicketQuery, TicketRef};
            use chrono::{DateTime, Utc};
            use sqlx::QueryBuilder;
            use ticketbooth_domain::listing::Listing;
            use ticketbooth_domain::ticketing::{
                Event, NewEvent, NewExternalTicket, NewOrder, Order, Ticket, TicketType,
            };

            const TICKET_FROM: &str =
                concat!("SELECT ", $crate::sql::ticket_columns!(), " FROM tickets t JOIN ticket_types tt ON tt.id = t.ticket_type_id");

            /// `ORDER BY … LIMIT … OFFSET …` for a listing, nulls last on both backends, ids breaking ties.
            fn push_order_and_page(qb: &mut QueryBuilder<'_, $db>, listing: &Listing, prefix: &str) {
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

            fn push_ticket_where(qb: &mut QueryBuilder<'_, $db>, query: &TicketQuery<'_>) {
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

            impl $store {
                async fn ticket_where(&self, condition: &str, a: i64, b: Option<&str>) -> StoreResult<Option<Ticket>> {
                    let sql = format!("{TICKET_FROM} WHERE {condition}");
                    let mut query = sqlx::query_as::<_, TicketRow>(&sql).bind(a);
                    if let Some(b) = b {
                        query = query.bind(b.to_owned());
                    }
                    Ok(query.fetch_optional(&mut *self.write().await?).await?.map(Into::into))
                }

                async fn by_external_id(&self, event_id: i64, external_id: Option<&str>) -> StoreResult<Option<Ticket>> {
                    match external_id {
                        Some(external_id) => {
                            self.ticket_where("t.event_id = $1 AND t.external_id = $2", event_id, Some(external_id)).await
                        }
                        None => Ok(None),
                    }
                }

                async fn ticket_ids_of_orders(&self, order_ids: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
                    if order_ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    let mut qb = QueryBuilder::<$db>::new("SELECT order_id, id FROM tickets WHERE order_id IN (");
                    let mut separated = qb.separated(", ");
                    for id in order_ids {
                        separated.push_bind(*id);
                    }
                    qb.push(") ORDER BY id");
                    Ok(qb.build_query_as::<(i64, i64)>().fetch_all(&mut *self.read().await?).await?)
                }
            }

            #[async_trait::async_trait]
            impl $crate::TicketStore for $store {
                async fn create_event(&self, event: NewEvent) -> StoreResult<(Event, Vec<TicketType>)> {
                    let now = ts(Utc::now());
                    let mut conn = self.write().await?;
                    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                    let row: EventRow = sqlx::query_as(concat!(
                        "INSERT INTO events (organizer_id, title, description, description_en, location_name, cover_url, \
                         poster_url, status, start_at, end_at, api_ticket_quota, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10, $11, $11) RETURNING ",
                        $crate::sql::event_columns!()
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
                        let tt: TicketTypeRow = sqlx::query_as(concat!(
                            "INSERT INTO ticket_types (event_id, name, price_satangs, quota, created_at) \
                             VALUES ($1, $2, $3, $4, $5) RETURNING ",
                            $crate::sql::ticket_type_columns!()
                        ))
                        .bind(row_id(&row))
                        .bind(&ticket_type.name)
                        .bind(ticket_type.price_satangs)
                        .bind(ticket_type.quota)
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await?;
                        ticket_types.push(tt.into());
                    }
                    tx.commit().await?;
                    Ok((row.into(), ticket_types))
                }

                async fn find_event(&self, id: i64) -> StoreResult<Option<Event>> {
                    let row: Option<EventRow> =
                        sqlx::query_as(concat!("SELECT ", $crate::sql::event_columns!(), " FROM events WHERE id = $1"))
                            .bind(id)
                            .fetch_optional(&mut *self.read().await?)
                            .await?;
                    Ok(row.map(Into::into))
                }

                async fn find_ticket_type(&self, id: i64) -> StoreResult<Option<TicketType>> {
                    let row: Option<TicketTypeRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        $crate::sql::ticket_type_columns!(),
                        " FROM ticket_types WHERE id = $1"
                    ))
                    .bind(id)
                    .fetch_optional(&mut *self.read().await?)
                    .await?;
                    Ok(row.map(Into::into))
                }

                async fn is_member(&self, organizer_id: i64, user_id: i64) -> StoreResult<bool> {
                    let found: Option<i64> = sqlx::query_scalar(
                        "SELECT organizer_id FROM organizer_members WHERE organizer_id = $1 AND user_id = $2",
                    )
                    .bind(organizer_id)
                    .bind(user_id)
                    .fetch_optional(&mut *self.read().await?)
                    .await?;
                    Ok(found.is_some())
                }

                async fn create_order(&self, order: NewOrder, reference_codes: Vec<String>) -> StoreResult<Order> {
                    let now = ts(Utc::now());
                    let mut conn = self.write().await?;
                    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                    let quota: Option<(Option<i64>, i64)> = sqlx::query_as(
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
                    let row: OrderRow = sqlx::query_as(concat!(
                        "INSERT INTO orders (event_id, user_id, status, buyer_firstname, buyer_lastname, buyer_email, \
                         buyer_phone, buyer_phone_local, buyer_phone_country, buyer_phone_country_code, paid_at, \
                         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 'TH', '66', $8, $9, $9) RETURNING ",
                        $crate::sql::order_columns!()
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
                    let mut ticket_ids = Vec::with_capacity(reference_codes.len());
                    for code in &reference_codes {
                        let id: i64 = sqlx::query_scalar(
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
                    }
                    tx.commit().await?;
                    Ok(row.into_domain(ticket_ids))
                }

                async fn list_events(&self, organizer_id: i64, listing: &Listing) -> StoreResult<Page<Event>> {
                    let filter = |qb: &mut QueryBuilder<'_, $db>| {
                        qb.push(" WHERE organizer_id = ").push_bind(organizer_id);
                        if let Some(status) = &listing.filter.status {
                            qb.push(" AND status = ").push_bind(status.clone());
                        }
                    };
                    let mut count = QueryBuilder::<$db>::new("SELECT COUNT(*) FROM events");
                    filter(&mut count);
                    let total: i64 = count.build_query_scalar().fetch_one(&mut *self.read().await?).await?;
                    let mut select = QueryBuilder::<$db>::new(concat!("SELECT ", $crate::sql::event_columns!(), " FROM events"));
                    filter(&mut select);
                    push_order_and_page(&mut select, listing, "");
                    let rows: Vec<EventRow> = select.build_query_as().fetch_all(&mut *self.read().await?).await?;
                    Ok(Page { items: rows.into_iter().map(Into::into).collect(), total: total.max(0) as u64 })
                }

                async fn list_orders(
                    &self,
                    organizer_id: i64,
                    user_id: Option<i64>,
                    listing: &Listing,
                ) -> StoreResult<Page<Order>> {
                    let filter = |qb: &mut QueryBuilder<'_, $db>| {
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
                    let mut count = QueryBuilder::<$db>::new("SELECT COUNT(*) FROM orders");
                    filter(&mut count);
                    let total: i64 = count.build_query_scalar().fetch_one(&mut *self.read().await?).await?;
                    let mut select = QueryBuilder::<$db>::new(concat!("SELECT ", $crate::sql::order_columns!(), " FROM orders"));
                    filter(&mut select);
                    push_order_and_page(&mut select, listing, "");
                    let rows: Vec<OrderRow> = select.build_query_as().fetch_all(&mut *self.read().await?).await?;
                    let order_ids: Vec<i64> = rows.iter().map(OrderRow::id).collect();
                    let pairs = self.ticket_ids_of_orders(&order_ids).await?;
                    let items = rows
                        .into_iter()
                        .map(|row| {
                            let id = row.id();
                            let tickets = pairs.iter().filter(|(order_id, _)| *order_id == id).map(|(_, ticket)| *ticket);
                            row.into_domain(tickets.collect())
                        })
                        .collect();
                    Ok(Page { items, total: total.max(0) as u64 })
                }

                async fn list_tickets(&self, query: TicketQuery<'_>) -> StoreResult<Page<Ticket>> {
                    let mut count = QueryBuilder::<$db>::new("SELECT COUNT(*) FROM tickets t");
                    push_ticket_where(&mut count, &query);
                    let total: i64 = count.build_query_scalar().fetch_one(&mut *self.read().await?).await?;
                    let mut select = QueryBuilder::<$db>::new(TICKET_FROM);
                    push_ticket_where(&mut select, &query);
                    push_order_and_page(&mut select, query.listing, "t.");
                    let rows: Vec<TicketRow> = select.build_query_as().fetch_all(&mut *self.read().await?).await?;
                    Ok(Page { items: rows.into_iter().map(Into::into).collect(), total: total.max(0) as u64 })
                }

                async fn create_external_ticket(&self, ticket: NewExternalTicket) -> StoreResult<TicketCreation> {
                    // A replay costs one indexed read and no write.
                    if let Some(found) = self.by_external_id(ticket.event_id, ticket.external_id.as_deref()).await? {
                        return Ok(TicketCreation::Existing(found));
                    }
                    let now = ts(ticket.now);
                    let inserted = {
                        let mut conn = self.write().await?;
                        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                        // Reserving a quota slot locks the event's row, so concurrent creations for
                        // one event queue here and each sees the others' committed tickets.
                        let reserved = sqlx::query(
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
                            let id: Option<i64> = sqlx::query_scalar(
                                "INSERT INTO tickets (event_id, ticket_type_id, status, firstname, lastname, email, \
                                 phone, reference_code, kind, external_id, registered_at, created_at, updated_at) \
                                 VALUES ($1, $2, 'active', $3, $4, $5, $6, $7, 'external', $8, $9, $9, $9) \
                                 ON CONFLICT DO NOTHING RETURNING id",
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
                            .fetch_optional(&mut *tx)
                            .await?;
                            match id {
                                Some(id) => {
                                    tx.commit().await?;
                                    Ok(id)
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
                    let id = match inserted {
                        Ok(id) => id,
                        Err(refusal) => {
                            return Ok(match self.by_external_id(ticket.event_id, ticket.external_id.as_deref()).await? {
                                Some(found) => TicketCreation::Existing(found),
                                None => refusal,
                            })
                        }
                    };
                    let created = self.ticket_where("t.id = $1", id, None).await?.ok_or(StoreError::NotFound)?;
                    Ok(TicketCreation::Created(created))
                }

                async fn invalidate_ticket(
                    &self,
                    event_id: i64,
                    target: TicketRef,
                    reason: Option<String>,
                    now: DateTime<Utc>,
                ) -> StoreResult<Invalidation> {
                    let (condition, reference) = match &target {
                        TicketRef::Id(id) => ("t.event_id = $1 AND t.id = $2", Err(*id)),
                        TicketRef::ReferenceCode(code) => ("t.event_id = $1 AND t.reference_code = $2", Ok(code.clone())),
                    };
                    let update = format!(
                        "UPDATE tickets SET status = 'revoked', revoke_note = $3, updated_at = $4 \
                         WHERE {} AND status = 'active' RETURNING id",
                        condition.replace("t.", "")
                    );
                    let mut query = sqlx::query_scalar::<_, i64>(&update).bind(event_id);
                    query = match &reference {
                        Err(id) => query.bind(*id),
                        Ok(code) => query.bind(code.clone()),
                    };
                    let revoked = query.bind(reason).bind(ts(now)).fetch_optional(&mut *self.write().await?).await?;
                    if let Some(id) = revoked {
                        let ticket = self.ticket_where("t.id = $1", id, None).await?.ok_or(StoreError::NotFound)?;
                        return Ok(Invalidation::Revoked(Box::new(ticket)));
                    }
                    let current = match &reference {
                        Err(id) => self.ticket_where("t.id = $1", *id, None).await.map(|t| t.filter(|t| t.event_id == event_id)),
                        Ok(code) => self.ticket_where(condition, event_id, Some(code)).await,
                    };
                    Ok(match current?.map(|ticket| ticket.status) {
                        None => Invalidation::NotFound,
                        Some(status) if status == "used" => Invalidation::AlreadyUsed,
                        Some(_) => Invalidation::AlreadyRevoked,
                    })
                }

                async fn mark_ticket_used(&self, ticket_id: i64, now: DateTime<Utc>) -> StoreResult<bool> {
                    let updated = sqlx::query(
                        "UPDATE tickets SET status = 'used', used_at = $1, updated_at = $1 WHERE id = $2 AND status = 'active'",
                    )
                    .bind(ts(now))
                    .bind(ticket_id)
                    .execute(&mut *self.write().await?)
                    .await?
                    .rows_affected();
                    Ok(updated == 1)
                }

                async fn find_ticket_by_reference(&self, event_id: i64, reference_code: &str) -> StoreResult<Option<Ticket>> {
                    let sql = format!("{TICKET_FROM} WHERE t.event_id = $1 AND t.reference_code = $2");
                    let row: Option<TicketRow> =
                        sqlx::query_as(&sql).bind(event_id).bind(reference_code).fetch_optional(&mut *self.read().await?).await?;
                    Ok(row.map(Into::into))
                }

                async fn take_rate_limits(&self, keys: [&str; 2], window_start: DateTime<Utc>) -> StoreResult<[u32; 2]> {
                    // Parameters in order of first use: SQLite numbers `$n` by appearance.
                    let rows: Vec<(String, i64)> = sqlx::query_as(
                        "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1), ($3, $2, 1) \
                         ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING key, hits",
                    )
                    .bind(keys[0])
                    .bind(ts(window_start))
                    .bind(keys[1])
                    .fetch_all(&mut *self.write().await?)
                    .await?;
                    let count = |key: &str| {
                        let hits = rows.iter().find(|(found, _)| found == key).map_or(0, |(_, hits)| *hits);
                        u32::try_from(hits).unwrap_or(u32::MAX)
                    };
                    Ok([count(keys[0]), count(keys[1])])
                }

                async fn refund_rate_limits(&self, keys: [&str; 2], window_start: DateTime<Utc>) -> StoreResult<()> {
                    sqlx::query(
                        "UPDATE rate_limits SET hits = hits - 1 WHERE window_start = $1 AND key IN ($2, $3) AND hits > 0",
                    )
                    .bind(ts(window_start))
                    .bind(keys[0])
                    .bind(keys[1])
                    .execute(&mut *self.write().await?)
                    .await?;
                    Ok(())
                }

                async fn hit_rate_limit(&self, key: &str, window_start: DateTime<Utc>) -> StoreResult<u32> {
                    let hits: i64 = sqlx::query_scalar(
                        "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1) \
                         ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits",
                    )
                    .bind(key)
                    .bind(ts(window_start))
                    .fetch_one(&mut *self.write().await?)
                    .await?;
                    Ok(u32::try_from(hits).unwrap_or(u32::MAX))
                }
            }

            fn row_id(row: &EventRow) -> i64 {
                row.id()
            }
        };
    };
}

pub(crate) use impl_ticketing;
