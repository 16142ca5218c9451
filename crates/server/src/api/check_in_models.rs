//! The check-in API's request and response models.

use super::models::time;
use super::models::TicketBody;
use super::params::{self, ReferenceCode, Text};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ticketbooth_domain::check_in::{CheckIn, CheckInCounts, Direction};
use ticketbooth_store::RevokedTicket;
use utoipa::ToSchema;

/// A scan at the door: the ticket by `reference_code` or by its pass (`secret`), one of the two.
#[derive(Deserialize)]
pub(crate) struct CheckInRequest {
    #[serde(default, deserialize_with = "params::present")]
    pub(crate) reference_code: Option<ReferenceCode>,
    /// The ticket's signed pass, as its QR code holds it.
    #[serde(default, deserialize_with = "params::present")]
    pub(crate) secret: Option<Text<1, 2048>>,
    /// `entry` (default) or `exit`.
    #[serde(rename = "type", default, deserialize_with = "params::present")]
    pub(crate) direction: Option<Direction>,
    /// The scanner's id for this scan: a retry with the same nonce gets the first answer.
    pub(crate) nonce: Text<1, 128>,
    /// When the door scanned it (RFC 3339), for scans uploaded later; default now.
    #[serde(default, deserialize_with = "params::present")]
    pub(crate) datetime: Option<params::DateTimeText>,
    /// Record the scan as admitted whatever the ticket's state: the door already let the holder
    /// in (an offline scan). The answer still says what an online scan would have answered.
    #[serde(default, deserialize_with = "params::present")]
    pub(crate) force: Option<bool>,
    /// The door or scanner, for the check-in list.
    #[serde(default, deserialize_with = "params::present")]
    pub(crate) device: Option<Text<0, 100>>,
}

impl utoipa::PartialSchema for CheckInRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, OneOfBuilder, Type};
        let fields = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property("reference_code", ReferenceCode::schema())
            .property("secret", Text::<1, 2048>::schema())
            .property("type", Direction::schema())
            .property("nonce", Text::<1, 128>::schema())
            .required("nonce")
            .property("datetime", params::DateTimeText::schema())
            .property("force", bool::schema())
            .property("device", Text::<0, 100>::schema())
            .description(Some(
                "`reference_code` or `secret` (the ticket's signed pass) names the ticket; `type` is `entry` \
                 (default) or `exit`; `nonce` is the scanner's id for this scan (a retry with the same nonce \
                 gets the first answer); `datetime` (RFC 3339) is when the door scanned it, for scans uploaded \
                 later (default now; a time ahead of the server's clock counts as now); `force` records it as \
                 admitted whatever the ticket's state (the door already let the holder in), still saying what an \
                 online scan would have answered; `device` names the door or scanner.",
            ));
        // Exactly one of the two names the ticket.
        let names_the_ticket = OneOfBuilder::new()
            .item(ObjectBuilder::new().required("reference_code"))
            .item(ObjectBuilder::new().required("secret"));
        AllOfBuilder::new().item(fields).item(names_the_ticket).into()
    }
}

impl utoipa::ToSchema for CheckInRequest {}

/// A recorded scan.
#[derive(Serialize, ToSchema)]
pub(crate) struct CheckInBody {
    id: i64,
    ticket_id: Option<i64>,
    reference_code: Option<String>,
    /// The ticket holder's name.
    holder: Option<String>,
    /// `entry` or `exit`.
    #[serde(rename = "type")]
    direction: &'static str,
    /// `ok`, or why the scan was refused: `invalid`, `unpaid`, `already_checked_in`, `revoked`,
    /// `wrong_event`.
    result: &'static str,
    /// Admitted by `force` although `reason` would have refused it.
    forced: bool,
    /// With `forced`: what an online scan would have answered.
    reason: Option<&'static str>,
    /// With `already_checked_in`: since when the holder is inside.
    checked_in_at: Option<String>,
    nonce: String,
    device: Option<String>,
    datetime: String,
    recorded_at: String,
}

impl From<&CheckIn> for CheckInBody {
    fn from(c: &CheckIn) -> Self {
        let refusal = c.refusal.map(|refusal| refusal.as_str());
        CheckInBody {
            id: c.id,
            ticket_id: c.ticket_id,
            reference_code: c.reference_code.clone(),
            holder: c.holder.clone(),
            direction: c.direction.as_str(),
            result: if c.forced { "ok" } else { refusal.unwrap_or("ok") },
            forced: c.forced,
            reason: if c.forced { refusal } else { None },
            checked_in_at: c.inside_since.map(time),
            nonce: c.nonce.clone(),
            device: c.device.clone(),
            datetime: time(c.scanned_at),
            recorded_at: time(c.recorded_at),
        }
    }
}

/// The answer to a scan.
#[derive(Serialize, ToSchema)]
pub(crate) struct CheckInResponse {
    success: bool,
    /// As `check_in.result`.
    result: &'static str,
    /// True when the nonce was seen before: this is the first answer again.
    replayed: bool,
    check_in: CheckInBody,
    /// The ticket as it is now, when the scan named one.
    ticket: Option<TicketBody>,
}

impl CheckInResponse {
    pub(crate) fn new(check_in: &CheckIn, ticket: Option<TicketBody>, replayed: bool) -> Self {
        let body = CheckInBody::from(check_in);
        CheckInResponse { success: true, result: body.result, replayed, check_in: body, ticket }
    }
}

/// An event's live figures.
#[derive(Serialize, ToSchema)]
pub(crate) struct CheckInCountsBody {
    /// Holders inside now.
    inside: u64,
    /// Tickets checked in at least once.
    checked_in: u64,
    /// Tickets that are not revoked.
    total: u64,
}

impl From<CheckInCounts> for CheckInCountsBody {
    fn from(c: CheckInCounts) -> Self {
        CheckInCountsBody { inside: c.inside, checked_in: c.checked_in, total: c.tickets }
    }
}

/// A page of an event's scans, newest first, and its live counts.
#[derive(Serialize, ToSchema)]
pub(crate) struct CheckInList {
    success: bool,
    counts: CheckInCountsBody,
    check_ins: Vec<CheckInBody>,
    count: usize,
    total: u64,
    page: u32,
    per_page: u32,
}

impl CheckInList {
    pub(crate) fn new(counts: CheckInCounts, check_ins: &[CheckIn], total: u64, page: u32, per_page: u32) -> Self {
        CheckInList {
            success: true,
            counts: counts.into(),
            count: check_ins.len(),
            check_ins: check_ins.iter().map(CheckInBody::from).collect(),
            total,
            page,
            per_page,
        }
    }
}

/// A JWK Set of an event's Ed25519 pass keys.
#[derive(Serialize, ToSchema)]
pub(crate) struct CheckInKeys {
    #[schema(value_type = Vec<Object>)]
    keys: Value,
}

impl CheckInKeys {
    pub(crate) fn new(jwks: Value) -> Self {
        CheckInKeys { keys: jwks.get("keys").cloned().unwrap_or(Value::Array(Vec::new())) }
    }
}

/// A revoked ticket for an offline scanner's list.
#[derive(Serialize, ToSchema)]
pub(crate) struct RevokedTicketBody {
    id: i64,
    reference_code: String,
    revoked_at: String,
}

/// Tickets revoked since a time, oldest first; ask again from the last `revoked_at`.
#[derive(Serialize, ToSchema)]
pub(crate) struct RevokedTicketList {
    success: bool,
    tickets: Vec<RevokedTicketBody>,
    /// More than this page were revoked: ask again with `updated_since` = the last `revoked_at`.
    has_more: bool,
}

impl RevokedTicketList {
    pub(crate) fn new(revoked: &[RevokedTicket], has_more: bool) -> Self {
        let tickets = revoked
            .iter()
            .map(|t| RevokedTicketBody {
                id: t.id,
                reference_code: t.reference_code.clone(),
                revoked_at: time(t.revoked_at),
            })
            .collect();
        RevokedTicketList { success: true, tickets, has_more }
    }
}

/// A ticket's pass.
#[derive(Serialize, ToSchema)]
pub(crate) struct TicketSecretResponse {
    success: bool,
    ticket_id: i64,
    /// A compact JWS (EdDSA): verify with the event's `check_in_keys`.
    secret: String,
}

impl TicketSecretResponse {
    pub(crate) fn new(ticket_id: i64, secret: String) -> Self {
        TicketSecretResponse { success: true, ticket_id, secret }
    }
}
