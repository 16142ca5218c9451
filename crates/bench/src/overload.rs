//! The overload scenario: 2,000 connections on the token endpoint, about ten times the requests
//! the server can work on at once. Past `--max-concurrent-requests` the server answers 503 at
//! once; wrk cannot tell those answers from the admitted ones, so the server's own metrics do:
//! the admitted requests' count and latency histogram (from the request's head to its response,
//! measured in the server), and the count shed.

use crate::report::Measurement;
use crate::scenarios::Scenario;
use crate::{run_wrk, Run};
use anyhow::Context;

/// Connections the scenario opens.
pub(crate) const CONNECTIONS: u32 = 2000;
/// The token `bench` starts the server with, so it can read `/metrics`.
pub(crate) const METRICS_TOKEN: &str = "bench-metrics";
/// The route whose admitted requests are measured.
const ROUTE: &str = r#"method="POST",route="/oauth/token""#;

/// The counters the scenario reads, at one moment.
#[derive(Debug, Default)]
struct Scrape {
    /// Answers of the token endpoint by status.
    answered: Vec<(u16, f64)>,
    /// The token endpoint's cumulative latency buckets: (upper bound in seconds, count).
    buckets: Vec<(f64, f64)>,
    shed: f64,
}

impl Scrape {
    fn answered_with(&self, ok: bool) -> f64 {
        self.answered.iter().filter(|(status, _)| (*status == 200) == ok).map(|(_, n)| n).sum()
    }
}

/// The value of a sample line `name{labels} value`, if `line` is one of `name` with `labels`.
fn sample<'a>(line: &'a str, name: &str, labels: &str) -> Option<(&'a str, f64)> {
    let rest = line.strip_prefix(name)?.strip_prefix('{')?;
    let (line_labels, value) = rest.rsplit_once("} ")?;
    line_labels.contains(labels).then_some(())?;
    Some((line_labels, value.trim().parse().ok()?))
}

fn label<'a>(labels: &'a str, name: &str) -> Option<&'a str> {
    labels.split(',').find_map(|pair| pair.strip_prefix(name)?.strip_prefix("=\"")?.strip_suffix('"'))
}

async fn scrape(base: &str) -> anyhow::Result<Scrape> {
    let text = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let mut scrape = Scrape::default();
    for line in text.lines() {
        if let Some((labels, n)) = sample(line, "ticketbooth_http_requests_total", ROUTE) {
            let status = label(labels, "status").context("status label")?.parse()?;
            scrape.answered.push((status, n));
        } else if let Some((labels, n)) = sample(line, "ticketbooth_http_request_duration_seconds_bucket", ROUTE) {
            let bound = label(labels, "le").context("le label")?;
            scrape.buckets.push((bound.parse().unwrap_or(f64::INFINITY), n));
        } else if let Some(n) = line.strip_prefix("ticketbooth_http_requests_shed_total ") {
            scrape.shed = n.trim().parse()?;
        }
    }
    Ok(scrape)
}

/// The upper bound (ms) of the bucket holding the `fraction` quantile of what was counted
/// between `before` and `after`.
fn quantile_ms(before: &Scrape, after: &Scrape, fraction: f64) -> f64 {
    let counted =
        |bound: f64, scrape: &Scrape| scrape.buckets.iter().find(|(b, _)| *b == bound).map_or(0.0, |(_, n)| *n);
    let total = after.buckets.last().map_or(0.0, |(bound, n)| n - counted(*bound, before));
    after
        .buckets
        .iter()
        .find(|(bound, n)| n - counted(*bound, before) >= fraction * total)
        .map_or(f64::INFINITY, |(bound, _)| bound * 1000.0)
}

/// Runs the token endpoint at [`CONNECTIONS`]: one row for the admitted requests (latency
/// measured in the server, to the histogram's bucket bound), one for those shed (wrk's latency,
/// of every answer).
pub(crate) async fn measure(run: &Run<'_>, backend: &str, tokens: &Scenario) -> anyhow::Result<Vec<Measurement>> {
    let before = scrape(&run.server.base).await?;
    let (summary, rss_peak) = run_wrk(run.server, tokens, run.seconds, CONNECTIONS, run.dir)?;
    let after = scrape(&run.server.base).await?;
    let seconds = summary.duration_us.max(1) as f64 / 1e6;
    let admitted = after.answered_with(true) - before.answered_with(true);
    let refused = after.answered_with(false) - before.answered_with(false);
    let shed = after.shed - before.shed;
    let row = |scenario: &str, requests: f64, p50_ms: f64, p99_ms: f64, errors: f64| Measurement {
        backend: backend.into(),
        scenario: scenario.into(),
        requests: requests as u64,
        requests_per_second: requests / seconds,
        p50_ms,
        p99_ms,
        errors: errors as u64,
        rss_idle_mb: run.rss_idle,
        rss_peak_mb: rss_peak.max(run.rss_idle),
        ratio_to_healthz: requests / seconds / run.healthz,
        postgres_costs: None,
    };
    Ok(vec![
        row(
            "overload-admitted",
            admitted,
            quantile_ms(&before, &after, 0.5),
            quantile_ms(&before, &after, 0.99),
            refused,
        ),
        row("overload-shed", shed, summary.p50_us as f64 / 1000.0, summary.p99_us as f64 / 1000.0, 0.0),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_of_the_route_are_read_and_quantiles_come_from_the_bucket_deltas() {
        let line =
            r#"ticketbooth_http_request_duration_seconds_bucket{method="POST",route="/oauth/token",le="0.0016"} 40"#;
        let (labels, n) = sample(line, "ticketbooth_http_request_duration_seconds_bucket", ROUTE).unwrap();
        assert_eq!((label(labels, "le"), n), (Some("0.0016"), 40.0));
        assert!(sample(line, "ticketbooth_http_request_duration_seconds_bucket", r#"route="/healthz""#).is_none());
        let before = Scrape { buckets: vec![(0.001, 10.0), (0.002, 10.0), (f64::INFINITY, 10.0)], ..Scrape::default() };
        let after =
            Scrape { buckets: vec![(0.001, 60.0), (0.002, 108.0), (f64::INFINITY, 110.0)], ..Scrape::default() };
        assert_eq!(quantile_ms(&before, &after, 0.5), 1.0);
        assert_eq!(quantile_ms(&before, &after, 0.99), f64::INFINITY);
        assert_eq!(quantile_ms(&before, &after, 0.98), 2.0);
    }
}
