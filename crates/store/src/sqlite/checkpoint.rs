//! The WAL checkpointer: a background task that copies the WAL back into the database, so no
//! request's commit pays for it.

use crate::StoreResult;
use sqlx::{Connection, SqliteConnection};
use std::path::{Path, PathBuf};
use std::sync::Weak;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How often the background task checkpoints the WAL (measured: at 1 s the pass that holds writes
/// back took 24 ms under load).
pub(super) const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(250);
/// A checkpoint pass this short leaves so little behind that the last pass may hold writes back.
const QUICK_PASS: Duration = Duration::from_millis(2);
/// Catch-up passes before the last one, should the writer outpace them.
const MAX_CATCH_UP_PASSES: usize = 6;
/// A file-system sync this short leaves little for the last pass to sync while it holds writes back.
const QUICK_SYNC: Duration = Duration::from_millis(2);
/// File-system syncs before the last pass, should the writer outpace them.
const MAX_SYNCS: usize = 4;
/// Checkpoints the WAL every `interval`, until the store is dropped.
///
/// A checkpoint that runs beside a busy writer never catches up with it, and the WAL only starts
/// over after a complete one: it grew by gigabytes in a sustained benchmark, and every read slowed
/// with it. So passes run beside the writer, each copying what was committed during the one
/// before, until one is quick; then a last pass holds writes back while it copies the few frames
/// left. That completes the checkpoint, and the next commit starts the WAL over.
///
/// Only a complete pass syncs the database file, and it syncs every page copied since the previous
/// complete one: under load that is tens of megabytes, and it took 12–29 ms with writes held back.
/// So before the last pass the file system is synced from outside SQLite, while writes go on, and
/// the last pass has little left to sync (see [`sync_file_system`]; measured under code exchange:
/// a median of 3.6 ms and a p90 of 6 ms with writes held back).
pub(super) fn spawn_checkpointer(
    mut connection: SqliteConnection,
    interval: Duration,
    writer: Weak<Mutex<SqliteConnection>>,
    directory: PathBuf,
) {
    tokio::spawn(async move {
        // The first round a period after opening: short-lived commands never need one.
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let Some(writer) = writer.upgrade() else { break };
            if let Err(err) = checkpoint_round(&mut connection, &writer, &directory).await {
                tracing::warn!(error = %err, "WAL checkpoint failed; will retry");
            }
        }
        let _ = connection.close().await;
    });
}

/// One round of checkpoint passes (see [`spawn_checkpointer`]) on the database in `directory`;
/// returns the last pass's `(busy, frames in the WAL, frames checkpointed)`.
pub(super) async fn checkpoint_round(
    connection: &mut SqliteConnection,
    writer: &Mutex<SqliteConnection>,
    directory: &Path,
) -> StoreResult<(i64, i64, i64)> {
    for _ in 0..MAX_CATCH_UP_PASSES {
        let started = Instant::now();
        checkpoint(connection).await?;
        if started.elapsed() < QUICK_PASS {
            break;
        }
    }
    // Each sync takes about as long as the writes it flushes, and writes go on meanwhile; so sync,
    // copy what came in during the sync, and sync again, until a sync is quick.
    for _ in 0..MAX_SYNCS {
        let started = Instant::now();
        sync_file_system(directory).await;
        if started.elapsed() < QUICK_SYNC {
            break;
        }
        checkpoint(connection).await?;
    }
    let _writes_held_back = writer.lock().await;
    checkpoint(connection).await
}

/// Writes the file system's dirty pages to disk (`syncfs`), so that the sync inside the next
/// checkpoint pass finds little left to write. Best effort: a failure only makes that pass longer.
///
/// The file system rather than the database file: SQLite's own descriptor is out of reach, and
/// opening and closing a second one would drop SQLite's POSIX locks on the file (tried: it ended
/// in I/O errors under load). Locks are per file, so the directory's descriptor is safe to close.
async fn sync_file_system(directory: &Path) {
    #[cfg(target_os = "linux")]
    {
        let directory = directory.to_path_buf();
        let synced = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            Ok(rustix::fs::syncfs(std::fs::File::open(directory)?)?)
        })
        .await;
        if let Ok(Err(err)) = synced {
            tracing::debug!(error = %err, "syncfs before a checkpoint failed");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = directory;
}

/// One `PASSIVE` checkpoint: it waits for no one, and copies what readers no longer need.
pub(super) async fn checkpoint(connection: &mut SqliteConnection) -> StoreResult<(i64, i64, i64)> {
    Ok(sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(connection).await?)
}
