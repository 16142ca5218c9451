//! The resource API's JSON models, field for field as eventpop-api.md §4 lists them.

use super::params;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ticketbooth_domain::ticketing::{format_price, Event, Order, Ticket, TicketType};
use utoipa::ToSchema;

/// RFC 3339 with an explicit offset (§0.10).
pub(crate) fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// Stored form answers are a JSON array; anything else reads as empty.
fn forms(stored: &str) -> Value {
    serde_json::from_str::<Value>(stored).ok().filter(Value::is_array).unwrap_or_else(|| Value::Array(Vec::new()))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TicketTypeBody {
    id: i64,
    name: String,
    price: String,
    price_satangs: i64,
    kind: &'static str,
}

impl From<&TicketType> for TicketTypeBody {
    fn from(tt: &TicketType) -> Self {
        TicketTypeBody {
            id: tt.id,
            name: tt.name.clone(),
            price: format_price(tt.price_satangs),
            price_satangs: tt.price_satangs,
            kind: tt.kind(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TicketBody {
    id: i64,
    order_id: Option<i64>,
    event_id: i64,
    status: String,
    firstname: String,
    lastname: String,
    phone: String,
    email: String,
    reference_code: String,
    kind: String,
    external_id: Option<String>,
    revoke_note: Option<String>,
    ticket_type: TicketTypeBody,
    price_label: String,
    #[schema(value_type = Vec<Object>)]
    forms: Value,
    created_at: String,
    updated_at: String,
    used_at: Option<String>,
    registered_at: Option<String>,
}

impl From<Ticket> for TicketBody {
    fn from(t: Ticket) -> Self {
        let price_label = if t.ticket_type.price_satangs == 0 {
            "Free".to_owned()
        } else {
            format_price(t.ticket_type.price_satangs)
        };
        TicketBody {
            id: t.id,
            order_id: t.order_id,
            event_id: t.event_id,
            status: t.status.as_str().to_owned(),
            firstname: t.firstname,
            lastname: t.lastname,
            phone: t.phone,
            email: t.email,
            reference_code: t.reference_code,
            kind: t.kind,
            external_id: t.external_id,
            revoke_note: t.revoke_note,
            ticket_type: TicketTypeBody::from(&t.ticket_type),
            price_label,
            forms: forms(&t.forms),
            created_at: time(t.created_at),
            updated_at: time(t.updated_at),
            used_at: t.used_at.map(time),
            registered_at: t.registered_at.map(time),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct OrderBody {
    id: i64,
    status: String,
    buyer_firstname: String,
    buyer_lastname: String,
    buyer_email: String,
    buyer_phone: String,
    buyer_phone_country: String,
    buyer_phone_country_code: String,
    buyer_phone_local: String,
    event_id: i64,
    #[schema(value_type = Vec<Object>)]
    forms: Value,
    ticket_ids: Vec<i64>,
    created_at: String,
    updated_at: String,
    paid_at: Option<String>,
}

impl From<Order> for OrderBody {
    fn from(o: Order) -> Self {
        OrderBody {
            id: o.id,
            status: o.status,
            buyer_firstname: o.buyer_firstname,
            buyer_lastname: o.buyer_lastname,
            buyer_email: o.buyer_email,
            buyer_phone: o.buyer_phone,
            buyer_phone_country: o.buyer_phone_country,
            buyer_phone_country_code: o.buyer_phone_country_code,
            buyer_phone_local: o.buyer_phone_local,
            event_id: o.event_id,
            forms: forms(&o.forms),
            ticket_ids: o.ticket_ids,
            created_at: time(o.created_at),
            updated_at: time(o.updated_at),
            paid_at: o.paid_at.map(time),
        }
    }
}

#[derive(Serialize, ToSchema)]
struct Images {
    original: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct EventBody {
    id: i64,
    status: String,
    cover: String,
    covers: Images,
    poster: String,
    posters: Images,
    title: String,
    description: String,
    description_en: String,
    location_name: String,
    display_icon: String,
    display_location_name: String,
    created_at: String,
    updated_at: String,
    start_at: String,
    end_at: String,
}

impl EventBody {
    /// The event's body; images it lacks point at our placeholder under `issuer`.
    pub(crate) fn new(e: Event, issuer: &str) -> Self {
        let placeholder = format!("{issuer}/static/event.svg");
        let cover = e.cover_url.unwrap_or_else(|| placeholder.clone());
        let poster = e.poster_url.unwrap_or_else(|| placeholder.clone());
        EventBody {
            id: e.id,
            status: e.status,
            covers: Images { original: cover.clone() },
            cover,
            posters: Images { original: poster.clone() },
            poster,
            title: e.title,
            description: e.description,
            description_en: e.description_en,
            display_location_name: e.location_name.clone(),
            location_name: e.location_name,
            display_icon: placeholder,
            created_at: time(e.created_at),
            updated_at: time(e.updated_at),
            start_at: time(e.start_at),
            end_at: time(e.end_at),
        }
    }
}

/// Declares a list envelope `{"success": true, "<key>": [...], "count", "total", "page", "per_page"}` (§0.2).
macro_rules! list_body {
    ($(#[$doc:meta])* $name:ident, $key:ident, $item:ty) => {
        $(#[$doc])*
        #[derive(Serialize, ToSchema)]
        pub(crate) struct $name {
            success: bool,
            $key: Vec<$item>,
            /// Items on this page.
            count: usize,
            /// Items on all pages.
            total: u64,
            page: u32,
            per_page: u32,
        }

        impl $name {
            pub(crate) fn new($key: Vec<$item>, total: u64, page: u32, per_page: u32) -> Self {
                $name { success: true, count: $key.len(), $key, total, page, per_page }
            }
        }
    };
}

list_body!(
    /// A page of tickets.
    TicketList, tickets, TicketBody
);
list_body!(
    /// A page of orders.
    OrderList, orders, OrderBody
);
list_body!(
    /// A page of events.
    EventList, events, EventBody
);

/// The answer of ticket creation and invalidation (§4.4).
#[derive(Serialize, ToSchema)]
pub(crate) struct TicketResponse {
    success: bool,
    /// True when an existing ticket was returned instead of a new one being made.
    idempotent: bool,
    ticket: TicketBody,
}

impl TicketResponse {
    pub(crate) fn new(idempotent: bool, ticket: TicketBody) -> Self {
        TicketResponse { success: true, idempotent, ticket }
    }
}

/// The fields of a ticket creation (§3.2 #7). Documented as JSON; urlencoded and multipart
/// bodies with the same fields are read into the same type.
#[derive(Deserialize, ToSchema)]
pub(crate) struct CreateTicketRequest {
    #[schema(inline)]
    pub(crate) ticket_type_id: params::Integer,
    #[schema(inline)]
    pub(crate) firstname: params::Required,
    #[schema(inline)]
    pub(crate) lastname: params::Required,
    #[schema(inline)]
    pub(crate) email: params::Required,
    #[schema(inline)]
    pub(crate) phone: params::Required,
    /// The caller's own id: repeating it replays the ticket already made (§0.7).
    #[schema(inline)]
    pub(crate) external_id: Option<params::Text<1, 255>>,
    /// Generated (8 unambiguous upper-case characters) when left out.
    #[schema(inline)]
    pub(crate) reference_code: Option<params::ReferenceCode>,
    /// Accepted (it must be a boolean) and otherwise unused: Ticketbooth sends no notification
    /// emails.
    #[serde(rename = "suppress_notifications")]
    pub(crate) _suppress_notifications: Option<bool>,
}

/// The fields of an invalidation: `ticket_id` or `reference_code` (§3.2 #8). Documented as
/// JSON; urlencoded and multipart bodies are read into the same type.
#[derive(Deserialize)]
pub(crate) struct InvalidateTicketRequest {
    #[serde(default, deserialize_with = "params::present")]
    pub(crate) ticket_id: Option<params::Integer>,
    #[serde(default, deserialize_with = "params::present")]
    pub(crate) reference_code: Option<params::ReferenceCode>,
    /// Kept as the ticket's `revoke_note`.
    #[serde(default, deserialize_with = "params::present")]
    pub(crate) reason: Option<params::Text<0, { usize::MAX }>>,
}

impl utoipa::PartialSchema for InvalidateTicketRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AllOfBuilder, AnyOfBuilder, ObjectBuilder, Type};
        let fields = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property("ticket_id", params::Integer::schema())
            .property("reference_code", params::ReferenceCode::schema())
            .property("reason", params::Text::<0, { usize::MAX }>::schema())
            .description(Some("Kept as the ticket's `revoke_note`: `reason`."));
        // One of the two names the ticket.
        let names_the_ticket = AnyOfBuilder::new()
            .item(ObjectBuilder::new().required("ticket_id"))
            .item(ObjectBuilder::new().required("reference_code"));
        AllOfBuilder::new().item(fields).item(names_the_ticket).into()
    }
}

impl ToSchema for InvalidateTicketRequest {}
