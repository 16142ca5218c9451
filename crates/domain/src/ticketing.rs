//! Events, ticket types, orders and tickets (eventpop-api.md §4), and the small rules that belong
//! to them: prices in satangs, generated reference codes.

use chrono::{DateTime, Utc};
use rand::rngs::OsRng;
use rand::Rng;

/// An event of an organizer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    pub id: i64,
    pub organizer_id: i64,
    pub title: String,
    /// Thai description.
    pub description: String,
    pub description_en: String,
    pub location_name: String,
    pub cover_url: Option<String>,
    pub poster_url: Option<String>,
    /// `active`, `draft` or `ended`.
    pub status: String,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    /// How many tickets the API may create for this event (§0.7).
    pub api_ticket_quota: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What is needed to create an event.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub organizer_id: i64,
    pub title: String,
    pub description: String,
    pub description_en: String,
    pub location_name: String,
    pub cover_url: Option<String>,
    pub poster_url: Option<String>,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub api_ticket_quota: i64,
    pub ticket_types: Vec<NewTicketType>,
}

/// A kind of ticket an event sells.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TicketType {
    pub id: i64,
    pub event_id: i64,
    pub name: String,
    pub price_satangs: i64,
    pub quota: Option<i64>,
}

impl TicketType {
    /// `free` when the price is 0, else `paid` (§0.10).
    pub fn kind(&self) -> &'static str {
        if self.price_satangs == 0 {
            "free"
        } else {
            "paid"
        }
    }
}

/// A ticket type to create with its event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicketType {
    pub name: String,
    pub price_satangs: i64,
    pub quota: Option<i64>,
}

impl NewTicketType {
    /// Parses the CLI's `NAME:PRICE_SATANGS[:QUOTA]`.
    pub fn parse(spec: &str) -> Result<NewTicketType, String> {
        let mut parts = spec.rsplitn(3, ':').collect::<Vec<_>>();
        parts.reverse();
        let (name, price, quota) = match parts.as_slice() {
            [name, price] => (*name, *price, None),
            [name, price, quota] => match price.parse::<i64>() {
                Ok(_) => (*name, *price, Some(*quota)),
                // A colon inside the name: `Zone A: Front:150000`.
                Err(_) => return NewTicketType::parse_two(spec),
            },
            _ => return Err(format!("`{spec}` is not NAME:PRICE_SATANGS[:QUOTA]")),
        };
        let price_satangs = price
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 0)
            .ok_or_else(|| format!("`{price}` is not a price in satangs"))?;
        let quota = quota
            .map(|q| q.parse::<i64>().ok().filter(|q| *q >= 0).ok_or_else(|| format!("`{q}` is not a quota")))
            .transpose()?;
        if name.trim().is_empty() {
            return Err("a ticket type needs a name".into());
        }
        Ok(NewTicketType { name: name.trim().to_owned(), price_satangs, quota })
    }

    fn parse_two(spec: &str) -> Result<NewTicketType, String> {
        let (name, price) = spec.rsplit_once(':').ok_or_else(|| format!("`{spec}` is not NAME:PRICE_SATANGS"))?;
        let price_satangs = price
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 0)
            .ok_or_else(|| format!("`{price}` is not a price in satangs"))?;
        Ok(NewTicketType { name: name.trim().to_owned(), price_satangs, quota: None })
    }
}

/// Formats satangs as Thai baht the way Eventpop shows prices: `฿1,500.00`.
pub fn format_price(satangs: i64) -> String {
    let sign = if satangs < 0 { "-" } else { "" };
    let satangs = satangs.unsigned_abs();
    let baht = (satangs / 100).to_string();
    let mut grouped = String::with_capacity(baht.len() + baht.len() / 3);
    for (index, digit) in baht.chars().enumerate() {
        if index > 0 && (baht.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}฿{grouped}.{:02}", satangs % 100)
}

/// An order (a purchase) of one user for one event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Order {
    pub id: i64,
    pub event_id: i64,
    pub user_id: Option<i64>,
    /// `pending`, `paid` or `cancelled`.
    pub status: String,
    pub buyer_firstname: String,
    pub buyer_lastname: String,
    pub buyer_email: String,
    pub buyer_phone: String,
    pub buyer_phone_country: String,
    pub buyer_phone_country_code: String,
    pub buyer_phone_local: String,
    /// Custom form answers, a JSON array.
    pub forms: String,
    pub ticket_ids: Vec<i64>,
    pub paid_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What is needed to record an order with its tickets.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub event_id: i64,
    pub user_id: i64,
    pub ticket_type_id: i64,
    pub quantity: u32,
    pub paid: bool,
    pub buyer_firstname: String,
    pub buyer_lastname: String,
    pub buyer_email: String,
    pub buyer_phone: String,
}

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TicketStatus {
    /// Valid for entry.
    Active,
    /// Checked in at the door.
    Used,
    /// Invalidated by its organizer.
    Revoked,
}

impl TicketStatus {
    /// Every status, in the order the API documents them.
    pub const ALL: [TicketStatus; 3] = [TicketStatus::Active, TicketStatus::Used, TicketStatus::Revoked];

    /// The status as stored and as the API writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Active => "active",
            TicketStatus::Used => "used",
            TicketStatus::Revoked => "revoked",
        }
    }

    /// The status a stored or requested name stands for.
    pub fn from_name(name: &str) -> Option<TicketStatus> {
        TicketStatus::ALL.into_iter().find(|status| status.as_str() == name)
    }
}

/// A ticket, with its type.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ticket {
    pub id: i64,
    pub order_id: Option<i64>,
    pub event_id: i64,
    pub user_id: Option<i64>,
    pub status: TicketStatus,
    pub firstname: String,
    pub lastname: String,
    pub phone: String,
    pub email: String,
    pub reference_code: String,
    /// `normal` (sold) or `external` (created through the API).
    pub kind: String,
    pub external_id: Option<String>,
    pub revoke_note: Option<String>,
    pub ticket_type: TicketType,
    /// Custom form answers, a JSON array.
    pub forms: String,
    pub used_at: Option<DateTime<Utc>>,
    pub registered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A ticket to create through the API (§3 #7).
#[derive(Debug, Clone)]
pub struct NewExternalTicket {
    pub event_id: i64,
    pub ticket_type_id: i64,
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    pub phone: String,
    pub external_id: Option<String>,
    pub reference_code: String,
    pub now: DateTime<Utc>,
}

/// Upper-case letters and digits without the look-alikes 0/O and 1/I (§0.7).
const REFERENCE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Length of a generated reference code.
pub const REFERENCE_CODE_LENGTH: usize = 8;

/// A fresh random reference code: 8 characters, 40 bits.
pub fn generate_reference_code() -> String {
    let mut rng = OsRng;
    (0..REFERENCE_CODE_LENGTH).map(|_| REFERENCE_ALPHABET[rng.gen_range(0..REFERENCE_ALPHABET.len())] as char).collect()
}

/// Whether a caller-chosen reference code is acceptable: 1 to 64 visible ASCII characters.
pub fn valid_reference_code(code: &str) -> bool {
    (1..=64).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_formatted_like_eventpop() {
        assert_eq!(format_price(0), "฿0.00");
        assert_eq!(format_price(150_000), "฿1,500.00");
        assert_eq!(format_price(123_456_789), "฿1,234,567.89");
        assert_eq!(format_price(5), "฿0.05");
        assert_eq!(format_price(99_900), "฿999.00");
    }

    #[test]
    fn ticket_type_kind_follows_the_price() {
        let mut t = TicketType { id: 1, event_id: 1, name: "x".into(), price_satangs: 0, quota: None };
        assert_eq!(t.kind(), "free");
        t.price_satangs = 1;
        assert_eq!(t.kind(), "paid");
    }

    #[test]
    fn ticket_type_specs_parse() {
        assert_eq!(
            NewTicketType::parse("Early Bird:150000:200"),
            Ok(NewTicketType { name: "Early Bird".into(), price_satangs: 150_000, quota: Some(200) })
        );
        assert_eq!(
            NewTicketType::parse("Free Entry:0"),
            Ok(NewTicketType { name: "Free Entry".into(), price_satangs: 0, quota: None })
        );
        assert_eq!(
            NewTicketType::parse("Zone A: Front:150000"),
            Ok(NewTicketType { name: "Zone A: Front".into(), price_satangs: 150_000, quota: None })
        );
        assert!(NewTicketType::parse("NoPrice").is_err());
        assert!(NewTicketType::parse("Neg:-5").is_err());
        assert!(NewTicketType::parse(":100").is_err());
    }

    #[test]
    fn generated_reference_codes_use_the_unambiguous_alphabet() {
        for _ in 0..100 {
            let code = generate_reference_code();
            assert_eq!(code.len(), 8);
            assert!(code.bytes().all(|b| REFERENCE_ALPHABET.contains(&b)), "{code}");
            assert!(valid_reference_code(&code));
        }
        assert!(!valid_reference_code(""));
        assert!(!valid_reference_code("with space"));
    }
}
