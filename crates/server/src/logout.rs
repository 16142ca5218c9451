//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0): when a person signs out, every
//! application they authorized that registered a `backchannel_logout_uri` is sent a signed
//! `logout_token`, so it can end its own session for them.
//!
//! Notifications are written to the store's outbox before the session ends and delivered by any
//! instance's worker (a lease keeps two instances off one), retried with doubling delays up to an
//! hour, and given up after a day. The token is signed at each attempt (so its `exp` stays short)
//! with the same `jti`, which lets the application drop a repeat.

use crate::mail::delivery::retry_delay;
use crate::{keys, AppState};
use chrono::{Duration as TimeDelta, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use std::time::Duration;
use ticketbooth_domain::oidc::subject;
use ticketbooth_domain::secret::Secret;
use ticketbooth_store::{QueuedLogout, StoreResult};

/// Notifications claimed at a time.
const BATCH: u32 = 20;
/// How long a claim keeps other instances off a notification.
const LEASE: TimeDelta = TimeDelta::seconds(60);
/// One attempt's limit.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// The first retry's delay (scaled like webhook retries, for tests).
const RETRY_BASE: Duration = Duration::from_secs(10);
/// A logout token's lifetime (the specification asks for a short one).
const TOKEN_TTL: TimeDelta = TimeDelta::minutes(2);
/// The event a logout token carries (Back-Channel Logout 1.0 §2.4).
const LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Queues a logout notification to every application the user authorized that listens, and wakes
/// this instance's worker. Called before the session ends, so no sign-out goes untold.
pub(crate) async fn queue(state: &AppState, user_id: i64) -> StoreResult<()> {
    let new_jti = || Secret::generate().expose().to_owned();
    let queued = state.store.queue_logouts(user_id, &subject(user_id), &new_jti, Utc::now()).await?;
    if queued > 0 {
        state.logouts_queued.notify_one();
    }
    Ok(())
}

#[derive(Serialize)]
struct LogoutClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: &'a str,
    sub: &'a str,
    events: Value,
}

/// Runs the delivery loop until the process ends: woken when this instance queues a
/// notification, and every poll interval for ones queued elsewhere or due for a retry.
pub fn spawn_logout_delivery(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // Made at the first notification: building an HTTP client (rustls and its roots) costs
        // megabytes that a server nobody signs out of should not carry.
        let mut client = None;
        loop {
            let claimed = deliver_due(&state, &mut client).await;
            if claimed < BATCH as usize {
                let _ =
                    tokio::time::timeout(state.config.webhooks.poll_interval, state.logouts_queued.notified()).await;
            }
        }
    })
}

fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(SEND_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|err| err.to_string())
}

/// Claims and delivers one batch; returns how many it claimed.
async fn deliver_due(state: &AppState, client: &mut Option<reqwest::Client>) -> usize {
    let now = Utc::now();
    let batch = match state.store.claim_logouts(now, now + LEASE, BATCH).await {
        Ok(batch) => batch,
        Err(err) => {
            tracing::warn!(%err, "could not read the logout outbox");
            return 0;
        }
    };
    for queued in &batch {
        let sent = match client {
            Some(client) => deliver(state, client, queued).await,
            None => match http_client() {
                Ok(made) => deliver(state, client.insert(made), queued).await,
                Err(err) => Err(err),
            },
        };
        let recorded = match sent {
            Ok(()) => state.store.mark_logout_sent(queued.id, Utc::now()).await,
            Err(err) => {
                let base = RETRY_BASE.mul_f64(state.config.webhooks.retry_scale);
                let delay = retry_delay(base, queued.attempts);
                tracing::warn!(id = queued.id, attempts = queued.attempts + 1, %err, ?delay, "back-channel logout failed");
                let retry_at = Utc::now() + TimeDelta::from_std(delay).unwrap_or(LEASE);
                state.store.mark_logout_failed(queued.id, retry_at, &err).await
            }
        };
        if let Err(err) = recorded {
            tracing::warn!(id = queued.id, %err, "could not record a back-channel logout");
        }
    }
    batch.len()
}

async fn deliver(state: &AppState, client: &reqwest::Client, queued: &QueuedLogout) -> Result<(), String> {
    let app = state.store.find_application(queued.application_id).await.map_err(|err| err.to_string())?;
    let app = app.ok_or("the application is gone")?;
    let now = Utc::now();
    let claims = LogoutClaims {
        iss: &state.config.issuer,
        aud: &app.client_id,
        iat: now.timestamp(),
        exp: (now + TOKEN_TTL).timestamp(),
        jti: &queued.jti,
        sub: &queued.subject,
        events: json!({ LOGOUT_EVENT: {} }),
    };
    let token = keys::sign_typed(&state.store, &claims, app.id_token_alg, Some("logout+jwt"))
        .await
        .map_err(|err| err.to_string())?;
    let response =
        client.post(&queued.uri).form(&[("logout_token", token)]).send().await.map_err(|err| err.to_string())?;
    // §2.8: 200 (or any success) means done; anything else is retried.
    match response.status().is_success() {
        true => Ok(()),
        false => Err(format!("the application answered {}", response.status())),
    }
}
