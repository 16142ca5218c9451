//! A person's own tickets, for the "My tickets" page.

use crate::StoreResult;
use async_trait::async_trait;
use ticketbooth_domain::ticketing::{Event, Ticket};

/// One event and the person's tickets to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTickets {
    pub event: Event,
    pub tickets: Vec<Ticket>,
}

/// A person's own tickets.
#[async_trait]
pub trait WalletStore: Send + Sync + 'static {
    /// The tickets of the person's paid orders, grouped by event, soonest event first; at most
    /// `limit` tickets.
    async fn own_tickets(&self, user_id: i64, limit: u32) -> StoreResult<Vec<EventTickets>>;
}
