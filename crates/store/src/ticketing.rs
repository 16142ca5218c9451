//! The ticketing half of the store: events, ticket types, orders and tickets.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ticketbooth_domain::listing::{EventTicketFilter, Listing};
use ticketbooth_domain::ticketing::{Event, NewEvent, NewExternalTicket, NewOrder, Order, Ticket, TicketType};

/// One page of a list and the number of items on all pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

/// Which tickets a list covers. Organizer- or event-wide, optionally only one user's own.
#[derive(Debug, Clone, Copy)]
pub struct TicketQuery<'a> {
    /// Tickets of this organizer's events.
    pub organizer_id: i64,
    /// Only this event's tickets.
    pub event_id: Option<i64>,
    /// Only tickets held by this user.
    pub user_id: Option<i64>,
    pub listing: &'a Listing,
    pub filter: &'a EventTicketFilter,
}

/// The outcome of an idempotent ticket creation (eventpop-api.md §0.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketCreation {
    /// A new ticket.
    Created(Ticket),
    /// The event already has a ticket with this `external_id`: a replay, nothing created.
    Existing(Ticket),
    /// Another ticket of the event has the requested reference code.
    ReferenceTaken,
    /// The event's API ticket quota is used up.
    QuotaExceeded,
}

/// How an invalidation names its ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketRef {
    Id(i64),
    ReferenceCode(String),
}

/// The outcome of an invalidation (eventpop-api.md §0.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalidation {
    Revoked(Box<Ticket>),
    NotFound,
    AlreadyRevoked,
    AlreadyUsed,
}

/// Changes to an event; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct EventChange {
    pub title: Option<String>,
    pub description: Option<String>,
    pub description_en: Option<String>,
    pub location_name: Option<String>,
    pub start_at: Option<DateTime<Utc>>,
    pub end_at: Option<DateTime<Utc>>,
    /// `active`, `draft` or `ended`.
    pub status: Option<String>,
}

/// Events, orders and tickets.
#[async_trait]
pub trait TicketStore: Send + Sync + 'static {
    /// Creates an event with its ticket types.
    async fn create_event(&self, event: NewEvent) -> StoreResult<(Event, Vec<TicketType>)>;
    /// Changes an event and queues `event.updated`, in one transaction; `None` when there is none.
    async fn update_event(&self, id: i64, change: EventChange, now: DateTime<Utc>) -> StoreResult<Option<Event>>;
    /// Finds an event by id.
    async fn find_event(&self, id: i64) -> StoreResult<Option<Event>>;
    /// Finds a ticket type by id.
    async fn find_ticket_type(&self, id: i64) -> StoreResult<Option<TicketType>>;
    /// Whether the user is a member of the organizer.
    async fn is_member(&self, organizer_id: i64, user_id: i64) -> StoreResult<bool>;
    /// Records a paid or pending order with one ticket per reference code; `Conflict` when a
    /// code is taken or the ticket type's quota would be exceeded.
    async fn create_order(&self, order: NewOrder, reference_codes: Vec<String>) -> StoreResult<Order>;
    /// A page of an organizer's events.
    async fn list_events(&self, organizer_id: i64, listing: &Listing) -> StoreResult<Page<Event>>;
    /// A page of orders for an organizer's events, optionally only one user's.
    async fn list_orders(&self, organizer_id: i64, user_id: Option<i64>, listing: &Listing)
        -> StoreResult<Page<Order>>;
    /// A page of tickets.
    async fn list_tickets(&self, query: TicketQuery<'_>) -> StoreResult<Page<Ticket>>;
    /// Creates an API ticket unless its `external_id` was seen in the event, within the quota.
    async fn create_external_ticket(&self, ticket: NewExternalTicket) -> StoreResult<TicketCreation>;
    /// Revokes an active ticket of an event.
    async fn invalidate_ticket(
        &self,
        event_id: i64,
        target: TicketRef,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> StoreResult<Invalidation>;
    /// Checks an active ticket in (door scanning, demo data); false when it was not active.
    async fn mark_ticket_used(&self, ticket_id: i64, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Finds a ticket by id.
    async fn find_ticket(&self, id: i64) -> StoreResult<Option<Ticket>>;
    /// Finds a ticket of an event by reference code.
    async fn find_ticket_by_reference(&self, event_id: i64, reference_code: &str) -> StoreResult<Option<Ticket>>;
}
