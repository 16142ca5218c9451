//! The background sweeper: deletes expired codes, tokens and sessions in bounded batches, so no
//! single statement holds locks for long. Running it on every instance is safe: the deletes are
//! idempotent.

use chrono::Utc;
use std::time::Duration;
use ticketbooth_store::DynStore;
use tokio::task::JoinHandle;

/// Rows deleted per statement.
const BATCH: u32 = 1000;

/// Starts the sweeper, running once every `every`.
pub fn spawn_sweeper(store: DynStore, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            sweep(&store).await;
        }
    })
}

async fn sweep(store: &DynStore) {
    let mut total = 0;
    loop {
        match store.delete_expired(Utc::now(), BATCH).await {
            Ok(deleted) => {
                total += deleted;
                if deleted < u64::from(BATCH) {
                    break;
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "sweeper failed; will retry next round");
                break;
            }
        }
    }
    if total > 0 {
        tracing::info!(deleted = total, "swept expired codes, tokens and sessions");
    }
}
