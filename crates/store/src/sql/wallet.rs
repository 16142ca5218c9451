//! A person's own tickets: one statement for the tickets (with their events' start times for
//! the order), one for the events.

use super::built::BuiltStatements;
use super::columns::{event_columns, ticket_columns};
use super::{Args, Backend, Column, Conn, Row, SqlStore};
use crate::rows::{EventRow, TicketRow};
use crate::{EventTickets, StoreResult};
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Type};
use ticketbooth_domain::ticketing::{Event, Ticket};

#[async_trait::async_trait]
impl<B> crate::WalletStore for SqlStore<B>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    for<'q> &'q str: Encode<'q, B::Db> + Type<B::Db>,
    i64: Column<B::Db>,
    for<'r> TicketRow: sqlx::FromRow<'r, Row<B>>,
    for<'r> EventRow: sqlx::FromRow<'r, Row<B>>,
    for<'r> &'r str: ColumnIndex<Row<B>>,
    usize: ColumnIndex<Row<B>>,
{
    #[tracing::instrument(level = "debug", skip_all)]
    async fn own_tickets(&self, user_id: i64, limit: u32) -> StoreResult<Vec<EventTickets>> {
        let mut conn = self.backend.read().await?;
        let rows: Vec<TicketRow> = self
            .sql
            .query_as(concat!(
                "SELECT ",
                ticket_columns!(),
                " FROM tickets t JOIN ticket_types tt ON tt.id = t.ticket_type_id \
             JOIN orders o ON o.id = t.order_id JOIN events e ON e.id = t.event_id \
             WHERE o.user_id = $1 AND o.status = 'paid' ORDER BY e.start_at, e.id, t.id LIMIT $2"
            ))
            .bind(user_id)
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await?;
        let tickets: Vec<Ticket> = rows.into_iter().map(TicketRow::into_domain).collect::<StoreResult<_>>()?;
        let mut event_ids: Vec<i64> = tickets.iter().map(|ticket| ticket.event_id).collect();
        event_ids.dedup();
        if event_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = event_ids.clone();
        let events: Vec<EventRow> = B::Db::fetch_built(self.sql, &mut *conn, move |qb| {
            qb.push(concat!("SELECT ", event_columns!(), " FROM events WHERE id IN ("));
            let mut separated = qb.separated(", ");
            for id in ids {
                separated.push_bind(id);
            }
            qb.push(")");
        })
        .await?;
        let events: Vec<Event> = events.into_iter().map(Into::into).collect();
        // Tickets arrive ordered by event, so each event's tickets are one run.
        let mut grouped: Vec<EventTickets> = Vec::with_capacity(event_ids.len());
        for ticket in tickets {
            match grouped.last_mut() {
                Some(last) if last.event.id == ticket.event_id => last.tickets.push(ticket),
                _ => {
                    let Some(event) = events.iter().find(|event| event.id == ticket.event_id) else { continue };
                    grouped.push(EventTickets { event: event.clone(), tickets: vec![ticket] });
                }
            }
        }
        Ok(grouped)
    }
}
