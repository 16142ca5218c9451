//! Door check-in: what a scan of a ticket means, and the signed pass a ticket carries for scanners
//! that work offline.

use crate::ticketing::{Ticket, TicketStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Which way a person passes the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Entry,
    Exit,
}

impl Direction {
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::Entry => "entry",
            Direction::Exit => "exit",
        }
    }

    pub fn from_name(name: &str) -> Option<Direction> {
        [Direction::Entry, Direction::Exit].into_iter().find(|direction| direction.as_str() == name)
    }
}

/// Where a ticket's holder is, as the door has seen them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Never scanned in (or only out).
    Never,
    Inside,
    Outside,
}

impl Presence {
    pub fn from_stored(stored: Option<&str>, status: TicketStatus) -> Presence {
        match stored {
            Some("in") => Presence::Inside,
            Some("out") => Presence::Outside,
            // A ticket marked used before check-ins were recorded counts as inside.
            _ if status == TicketStatus::Used => Presence::Inside,
            _ => Presence::Never,
        }
    }
}

/// Why a scan was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such ticket, or a pass whose signature or validity does not hold.
    Invalid,
    /// The ticket's order is not paid.
    Unpaid,
    /// The holder is inside already.
    AlreadyCheckedIn,
    Revoked,
    /// A valid pass or reference of another event.
    WrongEvent,
}

impl Refusal {
    pub const fn as_str(self) -> &'static str {
        match self {
            Refusal::Invalid => "invalid",
            Refusal::Unpaid => "unpaid",
            Refusal::AlreadyCheckedIn => "already_checked_in",
            Refusal::Revoked => "revoked",
            Refusal::WrongEvent => "wrong_event",
        }
    }

    pub fn from_name(name: &str) -> Option<Refusal> {
        [Refusal::Invalid, Refusal::Unpaid, Refusal::AlreadyCheckedIn, Refusal::Revoked, Refusal::WrongEvent]
            .into_iter()
            .find(|refusal| refusal.as_str() == name)
    }
}

/// What a scan of a ticket of this event decides, before it is applied (the store applies it
/// with a guarded update, so of two doors scanning one ticket at once only one is admitted).
pub fn decide(status: TicketStatus, presence: Presence, paid: bool, direction: Direction) -> Result<(), Refusal> {
    if status == TicketStatus::Revoked {
        return Err(Refusal::Revoked);
    }
    if !paid {
        return Err(Refusal::Unpaid);
    }
    match (direction, presence) {
        (Direction::Entry, Presence::Inside) => Err(Refusal::AlreadyCheckedIn),
        _ => Ok(()),
    }
}

/// The claims of a ticket's signed pass: small, so the compact JWS fits a QR code. `e`, `t` and
/// `tt` are the event, ticket and ticket type ids; `nbf`/`exp` bound when the pass is good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassClaims {
    pub e: i64,
    pub t: i64,
    pub tt: i64,
    pub nbf: i64,
    pub exp: i64,
}

/// How long before the event's start a pass is good, and how long after its end.
pub const PASS_EARLY: chrono::TimeDelta = chrono::TimeDelta::days(2);
pub const PASS_LATE: chrono::TimeDelta = chrono::TimeDelta::days(1);

impl PassClaims {
    /// The pass of `ticket` for an event running from `start_at` to `end_at`.
    pub fn for_ticket(ticket: &Ticket, start_at: DateTime<Utc>, end_at: DateTime<Utc>) -> PassClaims {
        PassClaims {
            e: ticket.event_id,
            t: ticket.id,
            tt: ticket.ticket_type.id,
            nbf: (start_at.min(ticket.created_at) - PASS_EARLY).timestamp(),
            exp: (end_at + PASS_LATE).timestamp(),
        }
    }
}

/// A recorded scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckIn {
    pub id: i64,
    pub event_id: i64,
    pub ticket_id: Option<i64>,
    /// The ticket's reference code and holder's name, when a ticket was found.
    pub reference_code: Option<String>,
    pub holder: Option<String>,
    pub direction: Direction,
    /// `None` when the scan was admitted.
    pub refusal: Option<Refusal>,
    /// With `already_checked_in`: since when the holder is inside.
    pub inside_since: Option<DateTime<Utc>>,
    /// Recorded as the door reported it, whatever the ticket's state (an offline scan uploaded
    /// later); `refusal` then says what an online scan would have answered.
    pub forced: bool,
    pub nonce: String,
    /// The door or scanner, as the client names it.
    pub device: Option<String>,
    /// When the door scanned it.
    pub scanned_at: DateTime<Utc>,
    /// When the server recorded it.
    pub recorded_at: DateTime<Utc>,
}

/// An event's live figures for the door dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CheckInCounts {
    /// Holders inside now.
    pub inside: u64,
    /// Tickets checked in at least once.
    pub checked_in: u64,
    /// Tickets that are not revoked.
    pub tickets: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_is_refused_while_inside_and_allowed_after_exit() {
        use Direction::*;
        assert_eq!(decide(TicketStatus::Active, Presence::Never, true, Entry), Ok(()));
        assert_eq!(decide(TicketStatus::Used, Presence::Inside, true, Entry), Err(Refusal::AlreadyCheckedIn));
        assert_eq!(decide(TicketStatus::Used, Presence::Outside, true, Entry), Ok(()));
        assert_eq!(decide(TicketStatus::Used, Presence::Inside, true, Exit), Ok(()));
        assert_eq!(decide(TicketStatus::Revoked, Presence::Never, true, Entry), Err(Refusal::Revoked));
        assert_eq!(decide(TicketStatus::Active, Presence::Never, false, Entry), Err(Refusal::Unpaid));
    }

    #[test]
    fn a_used_ticket_without_a_recorded_presence_is_inside() {
        assert_eq!(Presence::from_stored(None, TicketStatus::Used), Presence::Inside);
        assert_eq!(Presence::from_stored(None, TicketStatus::Active), Presence::Never);
        assert_eq!(Presence::from_stored(Some("out"), TicketStatus::Used), Presence::Outside);
    }

    #[test]
    fn names_round_trip() {
        for refusal in ["invalid", "unpaid", "already_checked_in", "revoked", "wrong_event"] {
            assert_eq!(Refusal::from_name(refusal).map(Refusal::as_str), Some(refusal));
        }
        assert_eq!(Direction::from_name("exit"), Some(Direction::Exit));
        assert_eq!(Direction::from_name("sideways"), None);
    }
}
