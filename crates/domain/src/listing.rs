//! List parameters of the resource API (eventpop-api.md §0.6 and §3.2): page-number pagination,
//! `order_by`/`order`, the JSON `q` filter and the event-ticket filters. Every refusal is a
//! sentence for a 400 `invalid_request`.

use chrono::{DateTime, Utc};

/// Default and largest page sizes (§0.6).
pub const DEFAULT_PER_PAGE: u32 = 10;
pub const MAX_PER_PAGE: u32 = 100;

/// Which list is being asked for: each allows its own sort fields and `q` keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// `/organizers/{id}/tickets` (#3).
    UserTickets,
    /// `/organizers/{id}/orders` (#4).
    UserOrders,
    /// `/organizers/{id}/events` (#5).
    Events,
    /// `/organizers/{id}/events/{id}/tickets` (#6).
    EventTickets,
}

/// A field a list can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    Id,
    CreatedAt,
    UpdatedAt,
    UsedAt,
    PaidAt,
    StartAt,
    EndAt,
    ReferenceCode,
}

impl SortField {
    fn parse(name: &str) -> Option<SortField> {
        Some(match name {
            "id" => SortField::Id,
            "created_at" => SortField::CreatedAt,
            "updated_at" => SortField::UpdatedAt,
            "used_at" => SortField::UsedAt,
            "paid_at" => SortField::PaidAt,
            "start_at" => SortField::StartAt,
            "end_at" => SortField::EndAt,
            "reference_code" => SortField::ReferenceCode,
            _ => return None,
        })
    }

    /// The column it sorts on (identical in every table that has it).
    pub fn column(self) -> &'static str {
        match self {
            SortField::Id => "id",
            SortField::CreatedAt => "created_at",
            SortField::UpdatedAt => "updated_at",
            SortField::UsedAt => "used_at",
            SortField::PaidAt => "paid_at",
            SortField::StartAt => "start_at",
            SortField::EndAt => "end_at",
            SortField::ReferenceCode => "reference_code",
        }
    }
}

impl ListKind {
    /// The `order_by` values the list accepts (the OpenAPI document's enum is this list).
    pub fn sort_fields(self) -> &'static [&'static str] {
        match self {
            ListKind::UserTickets => &["id", "created_at", "updated_at", "used_at"],
            ListKind::UserOrders => &["id", "created_at", "paid_at", "updated_at"],
            ListKind::Events => &["id", "created_at", "updated_at", "start_at", "end_at"],
            ListKind::EventTickets => &["id", "created_at", "updated_at", "used_at", "reference_code"],
        }
    }

    /// The keys its `q` filter accepts (the document's `q` schema is built from this list).
    pub fn q_keys(self) -> &'static [&'static str] {
        match self {
            ListKind::UserTickets => &["event_id", "status", "ticket_type_id"],
            ListKind::UserOrders => &["event_id", "status"],
            ListKind::Events => &["status"],
            ListKind::EventTickets => &[],
        }
    }
}

/// Equality filters from `q` (§0.6).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QFilter {
    pub event_id: Option<i64>,
    pub status: Option<String>,
    pub ticket_type_id: Option<i64>,
}

/// Page, order and `q` of a list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub page: u32,
    pub per_page: u32,
    pub sort: SortField,
    pub descending: bool,
    pub filter: QFilter,
}

impl Listing {
    /// Rows to skip.
    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.per_page)
    }
}

/// The raw list parameters, as sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListParams<'a> {
    pub page: Option<&'a str>,
    pub per_page: Option<&'a str>,
    pub order_by: Option<&'a str>,
    pub order: Option<&'a str>,
    pub q: Option<&'a str>,
}

/// Parses and checks list parameters for `kind`.
pub fn parse_listing(kind: ListKind, params: ListParams<'_>) -> Result<Listing, String> {
    let page = match params.page {
        None => 1,
        Some(text) => text.parse::<u32>().ok().filter(|p| *p >= 1).ok_or("page must be a whole number from 1")?,
    };
    let per_page = match params.per_page {
        None => DEFAULT_PER_PAGE,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| *n >= 1)
            .map(|n| n.min(MAX_PER_PAGE))
            .ok_or("per_page must be a whole number from 1 (above 100 counts as 100)")?,
    };
    let sort = match params.order_by {
        None => SortField::Id,
        Some(name) if kind.sort_fields().contains(&name) => SortField::parse(name).ok_or("unknown order_by")?,
        Some(_) => return Err(format!("order_by must be one of: {}", kind.sort_fields().join(", "))),
    };
    let descending = match params.order {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err("order must be asc or desc".into()),
    };
    let filter = match params.q {
        None => QFilter::default(),
        Some(text) => parse_q(kind, text)?,
    };
    Ok(Listing { page, per_page, sort, descending, filter })
}

/// An id written as a string in `q`: an optional minus and 1 to 18 digits (so it always fits an
/// i64). The OpenAPI document states this same pattern.
pub const Q_ID_TEXT_PATTERN: &str = "^-?[0-9]{1,18}$";

fn q_id_text(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let well_formed = (1..=18).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    if well_formed {
        text.parse().ok()
    } else {
        None
    }
}

fn parse_q(kind: ListKind, text: &str) -> Result<QFilter, String> {
    let allowed = kind.q_keys();
    let error = || format!("q must be a JSON object with only these keys: {}", allowed.join(", "));
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text).map_err(|_| error())?;
    let mut filter = QFilter::default();
    for (key, value) in object {
        if !allowed.contains(&key.as_str()) {
            return Err(error());
        }
        // Numbers may arrive as JSON numbers or as strings of digits.
        let as_id = || match &value {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) => q_id_text(s),
            _ => None,
        };
        match key.as_str() {
            "event_id" => filter.event_id = Some(as_id().ok_or("q.event_id must be an integer")?),
            "ticket_type_id" => filter.ticket_type_id = Some(as_id().ok_or("q.ticket_type_id must be an integer")?),
            "status" => {
                let status = value.as_str().filter(|s| !s.contains('\0')).ok_or("q.status must be a string")?;
                filter.status = Some(status.to_owned());
            }
            _ => return Err(error()),
        }
    }
    Ok(filter)
}

/// The extra filters of `/organizers/{id}/events/{id}/tickets` (§3.2 #6).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventTicketFilter {
    pub statuses: Vec<String>,
    pub ticket_type_id: Option<i64>,
    /// Case-insensitive substring.
    pub email: Option<String>,
    /// Substring.
    pub phone: Option<String>,
    pub updated_before: Option<DateTime<Utc>>,
    pub updated_after: Option<DateTime<Utc>>,
    /// Only ids strictly greater.
    pub min_id: Option<i64>,
    /// Only ids strictly smaller.
    pub max_id: Option<i64>,
}

/// The raw event-ticket filters, as sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct EventTicketParams<'a> {
    pub status: Option<&'a str>,
    pub ticket_type_id: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub updated_before: Option<&'a str>,
    pub updated_after: Option<&'a str>,
    pub min_id: Option<&'a str>,
    pub max_id: Option<&'a str>,
}

/// Ticket statuses, as the API names them.
pub const TICKET_STATUSES: [&str; 3] = [
    crate::ticketing::TicketStatus::Active.as_str(),
    crate::ticketing::TicketStatus::Used.as_str(),
    crate::ticketing::TicketStatus::Revoked.as_str(),
];

/// Parses and checks the event-ticket filters.
pub fn parse_event_ticket_filter(params: EventTicketParams<'_>) -> Result<EventTicketFilter, String> {
    let int = |name: &str, value: Option<&str>| -> Result<Option<i64>, String> {
        value.map(|v| v.parse::<i64>().map_err(|_| format!("{name} must be an integer"))).transpose()
    };
    let time = |name: &str, value: Option<&str>| -> Result<Option<DateTime<Utc>>, String> {
        value
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| format!("{name} must be an ISO 8601 date-time with offset"))
            })
            .transpose()
    };
    let statuses = match params.status {
        None => Vec::new(),
        Some(list) => {
            list.split(',')
                .map(|status| status.trim_matches(' '))
                .filter(|s| !s.is_empty())
                .map(|s| {
                    TICKET_STATUSES.contains(&s).then(|| s.to_owned()).ok_or_else(|| {
                        format!("status must be a comma-separated list of: {}", TICKET_STATUSES.join(", "))
                    })
                })
                .collect::<Result<_, _>>()?
        }
    };
    Ok(EventTicketFilter {
        statuses,
        ticket_type_id: int("ticket_type_id", params.ticket_type_id)?,
        email: params.email.filter(|e| !e.is_empty()).map(str::to_lowercase),
        phone: params.phone.filter(|p| !p.is_empty()).map(str::to_owned),
        updated_before: time("updated_before", params.updated_before)?,
        updated_after: time("updated_after", params.updated_after)?,
        min_id: int("min_id", params.min_id)?,
        max_id: int("max_id", params.max_id)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn params<'a>(page: Option<&'a str>, per_page: Option<&'a str>) -> ListParams<'a> {
        ListParams { page, per_page, ..Default::default() }
    }

    #[test]
    fn defaults_are_page_one_ten_per_page_id_ascending() {
        let listing = parse_listing(ListKind::UserTickets, ListParams::default()).unwrap();
        assert_eq!((listing.page, listing.per_page, listing.sort, listing.descending), (1, 10, SortField::Id, false));
        assert_eq!(listing.offset(), 0);
    }

    #[test]
    fn per_page_is_clamped_and_bad_numbers_refused() {
        assert_eq!(parse_listing(ListKind::Events, params(Some("3"), Some("1000"))).unwrap().per_page, 100);
        assert_eq!(parse_listing(ListKind::Events, params(Some("3"), Some("25"))).unwrap().offset(), 50);
        for (page, per_page) in
            [(Some("0"), None), (Some("-1"), None), (Some("x"), None), (None, Some("0")), (None, Some("1.5"))]
        {
            assert!(parse_listing(ListKind::Events, params(page, per_page)).is_err(), "{page:?} {per_page:?}");
        }
    }

    #[test]
    fn order_by_takes_only_the_lists_fields() {
        let by = |kind, order_by| parse_listing(kind, ListParams { order_by: Some(order_by), ..Default::default() });
        assert_eq!(by(ListKind::UserOrders, "paid_at").unwrap().sort, SortField::PaidAt);
        assert!(by(ListKind::UserTickets, "paid_at").is_err());
        assert_eq!(by(ListKind::EventTickets, "reference_code").unwrap().sort, SortField::ReferenceCode);
        assert!(by(ListKind::Events, "title").is_err());
        let order = |o| parse_listing(ListKind::Events, ListParams { order: Some(o), ..Default::default() });
        assert!(order("desc").unwrap().descending);
        assert!(order("DESC").is_err());
    }

    #[test]
    fn q_is_a_json_object_of_listed_keys() {
        let q = |kind, text| parse_listing(kind, ListParams { q: Some(text), ..Default::default() }).map(|l| l.filter);
        assert_eq!(
            q(ListKind::UserTickets, r#"{"event_id":7210,"status":"active"}"#).unwrap(),
            QFilter { event_id: Some(7210), status: Some("active".into()), ticket_type_id: None }
        );
        assert_eq!(q(ListKind::UserTickets, r#"{"event_id":"7210"}"#).unwrap().event_id, Some(7210));
        assert!(q(ListKind::UserTickets, r#"{"email":"x"}"#).is_err());
        assert!(q(ListKind::UserOrders, r#"{"ticket_type_id":1}"#).is_err());
        assert!(q(ListKind::UserTickets, "[1]").is_err());
        assert!(q(ListKind::UserTickets, r#"{"event_id":"x"}"#).is_err());
        for outside_the_pattern in [
            r#"{"event_id":"+7"}"#,
            r#"{"event_id":""}"#,
            r#"{"event_id":"-"}"#,
            r#"{"event_id":"1234567890123456789"}"#,
            r#"{"event_id":" 7"}"#,
        ] {
            assert!(q(ListKind::UserTickets, outside_the_pattern).is_err(), "{outside_the_pattern}");
        }
        assert_eq!(q(ListKind::UserTickets, r#"{"event_id":"-12"}"#).unwrap().event_id, Some(-12));
    }

    #[test]
    fn event_ticket_filters() {
        let filter = parse_event_ticket_filter(EventTicketParams {
            status: Some("active,used"),
            email: Some("ANN@"),
            updated_after: Some("2026-01-01T00:00:00+07:00"),
            min_id: Some("5"),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(filter.statuses, ["active", "used"]);
        assert_eq!(filter.email.as_deref(), Some("ann@"));
        assert_eq!(filter.updated_after.unwrap().to_rfc3339(), "2025-12-31T17:00:00+00:00");
        assert_eq!(filter.min_id, Some(5));
        assert!(parse_event_ticket_filter(EventTicketParams { status: Some("lost"), ..Default::default() }).is_err());
        assert!(parse_event_ticket_filter(EventTicketParams {
            updated_before: Some("yesterday"),
            ..Default::default()
        })
        .is_err());
        assert!(parse_event_ticket_filter(EventTicketParams { max_id: Some("x"), ..Default::default() }).is_err());
    }

    proptest! {
        #[test]
        fn parsing_never_panics(page in ".{0,12}", per_page in ".{0,12}", order_by in ".{0,12}", q in ".{0,40}") {
            let _ = parse_listing(ListKind::UserTickets, ListParams {
                page: Some(&page), per_page: Some(&per_page), order_by: Some(&order_by), order: None, q: Some(&q),
            });
        }
    }
}
