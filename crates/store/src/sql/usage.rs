//! Tokens issued per application and hour, tallied in memory and written at most once a second
//! (and whenever the sweeper runs or an owner looks): one upsert per token batch cost 10–19 % of
//! the token grants' throughput (`docs/benchmarks.md`). The counts are a statistic for the
//! developer portal; a crash loses at most the last second's, never a token.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use ticketbooth_domain::model::AccessToken;

use crate::rows::ts;

/// How often, at most, the flushing writer stores the tally.
const WRITE_EVERY: Duration = Duration::from_secs(1);

/// Tokens issued: per (application, hour), how many and when the last was.
pub(crate) type Counts = BTreeMap<(i64, i64), (i64, i64)>;

/// The tally not yet written.
#[derive(Debug)]
pub(crate) struct UsageTally(Mutex<(Counts, Instant)>);

impl Default for UsageTally {
    fn default() -> Self {
        UsageTally(Mutex::new((Counts::new(), Instant::now())))
    }
}

impl UsageTally {
    fn lock(&self) -> std::sync::MutexGuard<'_, (Counts, Instant)> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts stored tokens.
    pub(crate) fn add<'a>(&self, tokens: impl Iterator<Item = &'a AccessToken>) {
        let mut tally = self.lock();
        add_to(&mut tally.0, tokens.map(|token| (token.application_id, ts(token.created_at))));
    }

    /// Whether [`Self::take`] would give a tally now.
    pub(crate) fn due(&self) -> bool {
        let tally = self.lock();
        !tally.0.is_empty() && tally.1.elapsed() >= WRITE_EVERY
    }

    /// The tally, taken for writing, when a second has passed since the last write (or `all`).
    pub(crate) fn take(&self, all: bool) -> Option<Counts> {
        let mut tally = self.lock();
        if tally.0.is_empty() || !(all || tally.1.elapsed() >= WRITE_EVERY) {
            return None;
        }
        tally.1 = Instant::now();
        Some(std::mem::take(&mut tally.0))
    }

    /// Gives back a tally whose write failed, to be tried again with the next.
    pub(crate) fn restore(&self, counts: Counts) {
        let mut tally = self.lock();
        for (key, (issued, last)) in counts {
            count(&mut tally.0, key, issued, last);
        }
    }
}

/// The hour number (hours since the Unix epoch) of a time in Unix seconds.
pub(crate) fn hour_of(seconds: i64) -> i64 {
    seconds.div_euclid(3600)
}

/// Adds (application id, issued at) pairs to `counts`.
fn add_to(counts: &mut Counts, issued: impl Iterator<Item = (i64, i64)>) {
    for (application_id, at) in issued {
        count(counts, (application_id, hour_of(at)), 1, at);
    }
}

/// Adds `issued` tokens, the last at `last`, to an (application, hour)'s count.
fn count(counts: &mut Counts, key: (i64, i64), issued: i64, last: i64) {
    let entry = counts.entry(key).or_default();
    entry.0 += issued;
    entry.1 = entry.1.max(last);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_counted_per_application_and_hour_and_taken_once() {
        let mut counts = Counts::new();
        add_to(&mut counts, [(1, 3600 + 5), (1, 3600 + 9), (2, 10), (1, 10)].into_iter());
        assert_eq!(counts[&(1, 1)], (2, 3609));
        assert_eq!(counts[&(2, 0)], (1, 10));
        assert_eq!(counts[&(1, 0)], (1, 10));
        let tally = UsageTally::default();
        tally.restore(counts);
        assert!(!tally.due() && tally.take(false).is_none(), "not a second since the last write");
        assert_eq!(tally.take(true).map(|counts| counts.len()), Some(3));
        assert!(tally.take(true).is_none(), "taken once");
    }
}
