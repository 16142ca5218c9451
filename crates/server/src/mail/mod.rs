//! Mail to people: messages composed in the person's language (plain text and HTML), written
//! to the outbox table with the request that caused them, and delivered by [`delivery`].

pub(crate) mod delivery;

use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use chrono::Utc;
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;
use std::path::PathBuf;
use std::time::Duration;
use ticketbooth_store::{OutgoingMail, StoreResult};

/// Where mail goes.
#[derive(Debug, Clone)]
pub enum MailTransport {
    /// Through an SMTP server: `smtp://user:pass@host:port` (STARTTLS with `?tls=required`) or
    /// `smtps://…` (TLS from the first byte).
    Smtp(String),
    /// As one RFC 5322 `.eml` file per message in a directory (no mail server needed).
    Outbox(PathBuf),
}

/// How mail is sent.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The `From` mailbox, e.g. `Ticketbooth <no-reply@tickets.example>`.
    pub from: String,
    pub transport: MailTransport,
    /// The first retry's delay after a failed delivery; each next one doubles, up to an hour.
    pub retry_base: Duration,
    /// How often an instance looks for mail queued by another instance.
    pub poll_interval: Duration,
}

impl MailConfig {
    /// Files in `mail-outbox/`, from `Ticketbooth <no-reply@localhost>`.
    pub fn outbox(dir: impl Into<PathBuf>) -> MailConfig {
        MailConfig {
            from: "Ticketbooth <no-reply@localhost>".to_owned(),
            transport: MailTransport::Outbox(dir.into()),
            retry_base: Duration::from_secs(30),
            poll_interval: Duration::from_secs(5),
        }
    }
}

/// A message Ticketbooth sends, with the link it carries.
pub(crate) enum Notice<'a> {
    /// After sign-up: confirm the address.
    Welcome { link: &'a str },
    /// Someone signed up with an address that already has an account.
    AccountExists { reset_link: &'a str },
    /// A password reset link.
    ResetPassword { link: &'a str },
    /// The password was changed (by reset or on the account page).
    PasswordChanged { reset_link: &'a str },
    /// Sent to a new address: confirm it.
    ChangeEmail { link: &'a str },
    /// Sent to the old address after a change.
    EmailChanged { new_email: &'a str },
    /// A reset was asked for an address without an account (the same work and answer as for
    /// one with an account, and a useful hint to a person who forgot which address they used).
    NoAccount { sign_up_link: Option<&'a str> },
    /// To a developer: their application request arrived.
    RequestReceived { name: &'a str, link: &'a str },
    /// To the administrators: a request waits for review.
    RequestToReview { name: &'a str, requester: &'a str, link: &'a str },
    /// To a developer: their request was approved.
    RequestApproved { name: &'a str, link: &'a str },
    /// To a developer: their request was rejected, and why.
    RequestRejected { name: &'a str, reason: &'a str },
}

impl Notice<'_> {
    /// Subject, paragraphs, and the button's label and link.
    fn content(&self, t: &Tr) -> (String, Vec<String>, Option<(String, String)>) {
        let button = |label: &str, link: &str| Some((t.t(label), link.to_owned()));
        match self {
            Notice::Welcome { link } => {
                (t.t("mail-welcome-subject"), vec![t.t("mail-welcome-body")], button("mail-welcome-button", link))
            }
            Notice::AccountExists { reset_link } => (
                t.t("mail-exists-subject"),
                vec![t.t("mail-exists-body"), t.t("mail-ignore")],
                button("mail-reset-button", reset_link),
            ),
            Notice::ResetPassword { link } => (
                t.t("mail-reset-subject"),
                vec![t.t("mail-reset-body"), t.t("mail-ignore")],
                button("mail-reset-button", link),
            ),
            Notice::PasswordChanged { reset_link } => (
                t.t("mail-password-changed-subject"),
                vec![t.t("mail-password-changed-body")],
                button("mail-reset-button", reset_link),
            ),
            Notice::ChangeEmail { link } => (
                t.t("mail-change-subject"),
                vec![t.t("mail-change-body"), t.t("mail-ignore")],
                button("mail-change-button", link),
            ),
            Notice::NoAccount { sign_up_link } => (
                t.t("mail-no-account-subject"),
                vec![t.t("mail-no-account-body"), t.t("mail-ignore")],
                sign_up_link.and_then(|link| button("mail-no-account-button", link)),
            ),
            Notice::EmailChanged { new_email } => {
                (t.t("mail-changed-subject"), vec![t.t1("mail-changed-body", "email", new_email)], None)
            }
            Notice::RequestReceived { name, link } => (
                t.t1("mail-request-received-subject", "name", name),
                vec![t.t("mail-request-received-body")],
                button("mail-request-button", link),
            ),
            Notice::RequestToReview { name, requester, link } => (
                t.t1("mail-request-review-subject", "name", name),
                vec![t.t1("mail-request-review-body", "email", requester)],
                button("mail-request-review-button", link),
            ),
            Notice::RequestApproved { name, link } => (
                t.t1("mail-request-approved-subject", "name", name),
                vec![t.t("mail-request-approved-body")],
                button("mail-request-button", link),
            ),
            Notice::RequestRejected { name, reason } => (
                t.t1("mail-request-rejected-subject", "name", name),
                vec![t.t1("mail-request-rejected-body", "reason", reason)],
                None,
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "mail/notice.txt")]
struct PlainNotice<'a> {
    greeting: &'a str,
    paragraphs: &'a [String],
    button: Option<&'a (String, String)>,
    signature: &'a str,
}

#[derive(Template)]
#[template(path = "mail/notice.html")]
struct HtmlNotice<'a> {
    lang: &'a str,
    subject: &'a str,
    greeting: &'a str,
    paragraphs: &'a [String],
    button: Option<&'a (String, String)>,
    signature: &'a str,
}

/// Why a message could not be composed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ComposeError {
    #[error("address: {0}")]
    Address(#[from] lettre::address::AddressError),
    #[error("message: {0}")]
    Message(#[from] lettre::error::Error),
    #[error("template: {0}")]
    Template(#[from] askama::Error),
}

/// Builds the message for `recipient` (an address and a display name) in the language of `t`.
pub(crate) fn compose(
    from: &str,
    recipient: (&str, &str),
    t: &Tr,
    notice: &Notice<'_>,
) -> Result<OutgoingMail, ComposeError> {
    let (email, name) = recipient;
    let (subject, paragraphs, button) = notice.content(t);
    let greeting = t.t1("mail-greeting", "name", if name.trim().is_empty() { email } else { name });
    let signature = t.t("mail-signature");
    let text =
        PlainNotice { greeting: &greeting, paragraphs: &paragraphs, button: button.as_ref(), signature: &signature }
            .render()?;
    let html = HtmlNotice {
        lang: t.lang(),
        subject: &subject,
        greeting: &greeting,
        paragraphs: &paragraphs,
        button: button.as_ref(),
        signature: &signature,
    }
    .render()?;
    let from: Mailbox = from.parse()?;
    let to = Mailbox::new(Some(name.trim().to_owned()).filter(|name| !name.is_empty()), email.parse()?);
    let message = Message::builder()
        .from(from.clone())
        .to(to.clone())
        .subject(subject)
        .multipart(MultiPart::alternative_plain_html(text, html))?;
    Ok(OutgoingMail { sender: from.email.to_string(), recipient: to.email.to_string(), message: message.formatted() })
}

/// Composes a message and queues it for delivery; the delivery task is woken at once.
pub(crate) async fn send(state: &AppState, recipient: (&str, &str), t: &Tr, notice: Notice<'_>) -> StoreResult<()> {
    let mail = match compose(&state.config.mail.from, recipient, t, &notice) {
        Ok(mail) => mail,
        Err(err) => {
            // Addresses are checked before they are stored, so this is a configuration fault
            // (a malformed `--mail-from`); the person's request still goes through.
            tracing::error!(%err, "a message could not be composed");
            return Ok(());
        }
    };
    state.store.enqueue_mail(&mail, Utc::now()).await?;
    state.mail_queued.notify_one();
    Ok(())
}
