//! My tickets (`/account/tickets`): the tickets of the person's paid orders, by event, each with
//! a QR code of what the door reads (the ticket's signed pass, verifiable offline).

use super::{frame, Visit};
use crate::error::PageError;
use crate::i18n::Tr;
use crate::pages::page;
use crate::pages::templates::{EventView, TicketView, TicketsPage};
use crate::{passes, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use qrcode::render::svg;
use qrcode::QrCode;
use ticketbooth_domain::ticketing::{Ticket, TicketStatus};

/// The most tickets the page lists.
const MAX_TICKETS: u32 = 500;

/// The tickets page.
#[utoipa::path(
    get,
    path = "/account/tickets",
    operation_id = "show_my_tickets",
    tag = "Pages",
    responses((status = 200, content_type = "text/html"), (status = 303, description = "To the sign-in page"))
)]
pub(crate) async fn show(
    State(state): State<AppState>,
    t: Tr,
    Visit { session, user }: Visit,
) -> Result<Response, PageError> {
    let mut events = Vec::new();
    for entry in state.store.own_tickets(user.id, MAX_TICKETS).await? {
        let signer = passes::PassSigner::of(&state.store, &entry.event).await?;
        let mut tickets = Vec::with_capacity(entry.tickets.len());
        for ticket in &entry.tickets {
            tickets.push(ticket_view(&t, ticket, &signer.sign(ticket)?));
        }
        events.push(EventView {
            id: entry.event.id,
            title: entry.event.title,
            when: t.date_time(entry.event.start_at),
            location: entry.event.location_name,
            tickets,
        });
    }
    page(StatusCode::OK, &TicketsPage { frame: frame(t, "/account/tickets", &session, &user, None), events })
}

/// A ticket's card; its QR code holds the ticket's signed pass, which a door verifies offline.
fn ticket_view(t: &Tr, ticket: &Ticket, pass: &str) -> TicketView {
    let (status_label, status_class) = match ticket.status {
        TicketStatus::Active => ("ticket-status-active", "active"),
        TicketStatus::Used => ("ticket-status-used", "used"),
        TicketStatus::Revoked => ("ticket-status-revoked", "revoked"),
    };
    TicketView {
        reference_code: ticket.reference_code.clone(),
        type_name: ticket.ticket_type.name.clone(),
        price: t.price(ticket.ticket_type.price_satangs),
        status_label,
        status_class,
        qr_svg: qr_svg(pass),
    }
}

/// The QR code of `text` as an inline `<svg>` element (the XML prologue dropped: inside HTML
/// it would be a stray comment).
fn qr_svg(text: &str) -> String {
    let Ok(code) = QrCode::new(text.as_bytes()) else { return String::new() };
    let document = code
        .render::<svg::Color<'_>>()
        .min_dimensions(160, 160)
        .quiet_zone(true)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    document.find("<svg").map_or(document.clone(), |start| document[start..].to_owned())
}

#[cfg(test)]
mod tests {
    use super::qr_svg;

    #[test]
    fn the_qr_code_is_an_inline_svg_of_the_reference() {
        let svg = qr_svg("TB-8F3K2Q");
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("<path") || svg.contains("<rect"), "{svg}");
        assert!(!svg.contains("<?xml"));
        assert_ne!(svg, qr_svg("TB-8F3K2R"), "the code depends on the reference");
    }
}
