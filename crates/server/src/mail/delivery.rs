//! Delivers the outbox: any instance claims due messages for a lease, sends them, and records
//! the outcome. A message whose delivery fails is retried with doubling delays, so a mail server
//! that is down delays mail but loses none.

use super::{MailConfig, MailTransport};
use chrono::{TimeDelta, Utc};
use lettre::address::Envelope;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;
use ticketbooth_store::{DynStore, QueuedMail};
use tokio::sync::Notify;

/// Messages claimed at a time.
const BATCH: u32 = 20;
/// How long a claim keeps other instances off a message; longer than one delivery may take.
const LEASE: TimeDelta = TimeDelta::seconds(120);
/// One delivery's limit, so a mail server that accepts the connection and then stalls cannot
/// hold the lease forever.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest wait between retries.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(3600);

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

impl Transport {
    fn open(transport: &MailTransport) -> Result<Transport, String> {
        match transport {
            MailTransport::Smtp(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|builder| Transport::Smtp(builder.timeout(Some(SEND_TIMEOUT)).build()))
                .map_err(|err| format!("the SMTP URL is not usable: {err}")),
            MailTransport::Outbox(dir) => {
                std::fs::create_dir_all(dir).map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
                Ok(Transport::Files(AsyncFileTransport::new(dir)))
            }
        }
    }

    async fn deliver(&self, queued: &QueuedMail) -> Result<(), String> {
        let mail = &queued.mail;
        let envelope = Envelope::new(
            Some(mail.sender.parse().map_err(|err| format!("sender: {err}"))?),
            vec![mail.recipient.parse().map_err(|err| format!("recipient: {err}"))?],
        )
        .map_err(|err| err.to_string())?;
        let sent = match self {
            Transport::Smtp(smtp) => smtp.send_raw(&envelope, &mail.message).await.map(drop).map_err(|e| e.to_string()),
            Transport::Files(files) => {
                files.send_raw(&envelope, &mail.message).await.map(drop).map_err(|e| e.to_string())
            }
        };
        sent
    }
}

/// Checks that mail can be sent as configured (the sender is a mailbox, the SMTP URL parses, the
/// outbox directory can be made), so `serve` fails at start rather than at the first message.
pub fn check(config: &MailConfig) -> Result<(), String> {
    config
        .from
        .parse::<lettre::message::Mailbox>()
        .map_err(|err| format!("the sender {:?} is not a mailbox: {err}", config.from))?;
    Transport::open(&config.transport).map(drop)
}

/// Delivers what is due now, once (the CLI's commands that send mail, which do not wait for a
/// server's delivery task). Returns how many messages it tried.
pub async fn deliver_now(store: &DynStore, config: &MailConfig) -> Result<usize, String> {
    let transport = Transport::open(&config.transport)?;
    Ok(deliver_due(store, &transport, config).await)
}

/// The delay before retry number `attempts + 1`.
pub(crate) fn retry_delay(base: Duration, attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    base.saturating_mul(2u32.saturating_pow(doublings)).min(MAX_RETRY_DELAY)
}

/// Runs the delivery loop until the process ends: woken when this instance queues a message,
/// and every `poll_interval` for messages queued elsewhere or due for a retry.
pub fn spawn_delivery(store: DynStore, config: MailConfig, queued: Arc<Notify>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let transport = match Transport::open(&config.transport) {
            Ok(transport) => transport,
            Err(err) => {
                tracing::error!(%err, "mail delivery is off");
                return;
            }
        };
        loop {
            let delivered = deliver_due(&store, &transport, &config).await;
            // A full batch means more may be waiting: go on at once.
            if delivered < BATCH as usize {
                let _ = tokio::time::timeout(config.poll_interval, queued.notified()).await;
            }
        }
    })
}

/// Claims and delivers one batch; returns how many messages it claimed.
async fn deliver_due(store: &DynStore, transport: &Transport, config: &MailConfig) -> usize {
    let now = Utc::now();
    let batch = match store.claim_mail(now, now + LEASE, BATCH).await {
        Ok(batch) => batch,
        Err(err) => {
            tracing::warn!(%err, "could not read the mail outbox");
            return 0;
        }
    };
    for queued in &batch {
        let outcome = transport.deliver(queued).await;
        let recorded = match &outcome {
            Ok(()) => store.mark_mail_sent(queued.id, Utc::now()).await,
            Err(err) => {
                let delay = retry_delay(config.retry_base, queued.attempts);
                tracing::warn!(id = queued.id, attempts = queued.attempts + 1, %err, ?delay, "mail delivery failed");
                let retry_at = Utc::now() + TimeDelta::from_std(delay).unwrap_or(LEASE);
                store.mark_mail_failed(queued.id, retry_at, err).await
            }
        };
        if let Err(err) = recorded {
            // The lease runs out and the message is tried again: delivered at least once.
            tracing::warn!(id = queued.id, %err, "could not record a delivery");
        }
    }
    batch.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_sender_or_smtp_url_is_refused_at_start() {
        let dir = std::env::temp_dir().join("ticketbooth-mail-check");
        assert!(check(&MailConfig::outbox(&dir)).is_ok());
        let bad_from = MailConfig { from: "not a mailbox".into(), ..MailConfig::outbox(&dir) };
        assert!(check(&bad_from).unwrap_err().contains("not a mailbox"));
        let bad_url = MailConfig { transport: MailTransport::Smtp("gopher://x".into()), ..MailConfig::outbox(&dir) };
        assert!(check(&bad_url).is_err());
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        let base = Duration::from_secs(30);
        assert_eq!(retry_delay(base, 0), Duration::from_secs(30));
        assert_eq!(retry_delay(base, 1), Duration::from_secs(60));
        assert_eq!(retry_delay(base, 5), Duration::from_secs(960));
        assert_eq!(retry_delay(base, 7), MAX_RETRY_DELAY);
        assert_eq!(retry_delay(base, i64::MAX), MAX_RETRY_DELAY);
    }
}
