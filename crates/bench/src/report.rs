//! The results: a table on stdout, a JSON file and an SVG bar chart.

use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// One scenario's measurements on one backend.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Measurement {
    pub(crate) backend: String,
    pub(crate) scenario: String,
    pub(crate) requests: u64,
    pub(crate) requests_per_second: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) errors: u64,
    pub(crate) rss_idle_mb: f64,
    pub(crate) rss_peak_mb: f64,
    /// Requests per second as a fraction of `healthz` on the same backend.
    pub(crate) ratio_to_healthz: f64,
    /// PostgreSQL's commits, rows written and WAL bytes per request (write scenarios).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) postgres_costs: Option<crate::pg_costs::Costs>,
}

/// What the whole run measured, and on what.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) date: String,
    pub(crate) machine: String,
    pub(crate) connections: u32,
    pub(crate) duration_seconds: u32,
    pub(crate) data_set: String,
    pub(crate) measurements: Vec<Measurement>,
}

impl Report {
    /// The table as Markdown.
    pub(crate) fn table(&self) -> String {
        let mut out = String::from(
            "| backend | scenario | req/s | × healthz | p50 ms | p99 ms | errors | RSS idle MB | RSS peak MB |\n\
             |---|---|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for m in &self.measurements {
            let _ = writeln!(
                out,
                "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {:.1} | {:.1} |",
                m.backend,
                m.scenario,
                m.requests_per_second,
                m.ratio_to_healthz,
                m.p50_ms,
                m.p99_ms,
                m.errors,
                m.rss_idle_mb,
                m.rss_peak_mb
            );
        }
        out
    }

    /// A horizontal bar chart of requests per second.
    pub(crate) fn svg(&self) -> String {
        let (bar_height, label_width, chart_width) = (22.0, 260.0, 520.0);
        let max = self.measurements.iter().map(|m| m.requests_per_second).fold(1.0, f64::max);
        let height = 40.0 + bar_height * self.measurements.len() as f64;
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
             <text x=\"8\" y=\"18\" font-weight=\"bold\">Requests per second ({} connections, {} s per scenario, {})</text>\n",
            label_width + chart_width + 90.0,
            self.connections,
            self.duration_seconds,
            self.data_set
        );
        for (i, m) in self.measurements.iter().enumerate() {
            let y = 30.0 + bar_height * i as f64;
            let width = chart_width * m.requests_per_second / max;
            let colour = if m.backend == "postgres" { "#1b7f5f" } else { "#5b3df5" };
            let _ = writeln!(
                svg,
                "<text x=\"8\" y=\"{:.1}\">{} / {}</text><rect x=\"{label_width}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{:.1}\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{:.1}\">{:.0}</text>",
                y + 15.0,
                m.backend,
                m.scenario,
                bar_height - 4.0,
                label_width + width + 6.0,
                y + 15.0,
                m.requests_per_second
            );
        }
        svg.push_str("</svg>\n");
        svg
    }

    /// Writes `results.json`, `results.md` and `results.svg` into `dir`.
    pub(crate) fn write(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("results.json"), serde_json::to_string_pretty(self)?)?;
        std::fs::write(dir.join("results.md"), self.table())?;
        std::fs::write(dir.join("results.svg"), self.svg())?;
        Ok(())
    }
}
