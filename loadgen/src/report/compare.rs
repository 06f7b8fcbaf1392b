//! The comparison report of `loadgen compare`: the variants of one scenario side by side.
//!
//! `report.json` holds a [`CompareReport`] (schema: `loadgen/compare.schema.json`): a summary
//! per variant (the numbers architects compare) and each variant's whole single-run report.
//! `report.md` is one table with a column per variant; `report.html` overlays the variants in
//! each chart (completions per second, end-to-end p99 over time, latency distributions) and
//! draws each variant's worker slots and queues over time.

use std::collections::BTreeMap;
use std::fmt::Write;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::html::{
    Line, Scales, distribution, distribution_chart, escape, line_chart, scaled_chart,
};
use super::model::{Percentiles, RunReport, ScenarioInfo};

/// The schema identifier written in every comparison report.
pub const COMPARE_SCHEMA_ID: &str = "ordersim-loadgen-compare/1";

/// The chain settings a variant ran with (from the merged simulator configuration).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ChainSettings {
    /// `sync` or `async`.
    pub mode: String,
    /// Worker slots per layer.
    pub workers: u32,
    /// Sync mode: how long a layer waits for the layer below, ms.
    pub call_timeout_ms: u64,
    /// How long a layer waits for an element operation, ms.
    pub element_timeout_ms: u64,
}

/// The numbers compared across variants.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct VariantSummary {
    /// Scheduled sends per second over the measured window.
    pub target_rate_per_s: Option<f64>,
    /// Orders sent per second over the measured window.
    pub achieved_rate_per_s: f64,
    /// Orders completed per second, from the end of warm-up to the last completion.
    pub completed_per_s: f64,
    /// The most orders completed in one second.
    pub completed_per_s_max: u64,
    /// POST /productOrder latency from the intended send instant.
    pub submit: Percentiles,
    /// Intended send to terminal state, all outcomes.
    pub e2e: Percentiles,
    /// Outcome counts over tracked orders, as fractions.
    pub rates: BTreeMap<String, f64>,
    /// Orders acknowledged and followed.
    pub tracked: u64,
    /// Failed orders.
    pub failed: u64,
    /// Failed orders that took at least the shortest configured timeout (the simulator does
    /// not expose the failure reason, so a timeout is inferred from the latency).
    pub failed_after_timeout: u64,
    /// The timeout used for that inference, ms.
    pub timeout_ms: u64,
    /// Requests loadgen gave up on (its own request timeout).
    pub client_timeouts: u64,
    /// Sends dropped because the in-flight bound was full.
    pub dropped_sends: u64,
    /// Orders not terminal after the drain wait.
    pub open_at_end: u64,
    /// Per layer: the most worker slots held in any sample.
    pub busy_max: BTreeMap<String, u64>,
    /// Per layer: the most orders waiting for a slot in any sample.
    pub waiting_max: BTreeMap<String, u64>,
    /// Median time in each layer alone for a seeded sample of completed orders, ms.
    pub breakdown_median_ms: BTreeMap<String, f64>,
    /// Orders whose timeline was read for the breakdown.
    pub breakdown_sampled: u64,
    /// The simulator's audit: `Some(true)` clean, `Some(false)` findings, `None` unreachable.
    pub audit_ok: Option<bool>,
    /// Audit findings.
    pub audit_findings: u64,
    /// Leaks (audit and outside checks).
    pub leaks: u64,
    /// Whether the scenario's thresholds held for this variant.
    pub passed: bool,
}

/// One variant's result.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct VariantResult {
    /// Its name.
    pub name: String,
    /// What it changes.
    pub description: String,
    /// Its overrides, `section.key = value`.
    pub overrides: Vec<String>,
    /// The chain settings it ran with.
    pub chain: ChainSettings,
    /// The compared numbers.
    pub summary: VariantSummary,
    /// The whole single-run report (schema `loadgen/report.schema.json`).
    pub run: RunReport,
}

/// The whole comparison.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct CompareReport {
    /// [`COMPARE_SCHEMA_ID`].
    pub schema: String,
    /// The scenario (seed shared by every variant).
    pub scenario: ScenarioInfo,
    /// Start of the comparison, RFC 3339 UTC.
    pub started_at: String,
    /// Wall time of the whole comparison, seconds.
    pub wall_s: f64,
    /// The variants, in the order they ran.
    pub variants: Vec<VariantResult>,
    /// True when every variant passed the scenario's thresholds.
    pub passed: bool,
}

/// Renders the comparison as JSON.
pub fn render_json(report: &CompareReport) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(report)? + "\n")
}

type Row = (&'static str, fn(&VariantResult) -> String);

fn ms(value: f64) -> String {
    format!("{value:.1} ms")
}

fn percent(value: Option<&f64>) -> String {
    format!("{:.1}%", value.copied().unwrap_or(0.0) * 100.0)
}

fn per_layer(map: &BTreeMap<String, u64>) -> String {
    let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k} {v}")).collect();
    if parts.is_empty() {
        "n/a".into()
    } else {
        parts.join(", ")
    }
}

fn breakdown(v: &VariantResult) -> String {
    let parts: Vec<String> = crate::observe::timeline::LAYERS
        .iter()
        .filter_map(|layer| {
            let value = v.summary.breakdown_median_ms.get(*layer)?;
            Some(format!("{layer} {value:.1}"))
        })
        .collect();
    if parts.is_empty() {
        "n/a".into()
    } else {
        format!(
            "{} ms (n={})",
            parts.join(", "),
            v.summary.breakdown_sampled
        )
    }
}

const ROWS: [Row; 21] = [
    ("chain mode / workers", |v| {
        format!("{} / {}", v.chain.mode, v.chain.workers)
    }),
    ("call / element timeout", |v| {
        format!(
            "{} / {} ms",
            v.chain.call_timeout_ms, v.chain.element_timeout_ms
        )
    }),
    ("target rate", |v| {
        v.summary
            .target_rate_per_s
            .map_or_else(|| "closed".into(), |t| format!("{t:.1}/s"))
    }),
    ("achieved send rate", |v| {
        format!("{:.1}/s", v.summary.achieved_rate_per_s)
    }),
    ("completed per second (mean / peak)", |v| {
        format!(
            "{:.1} / {}",
            v.summary.completed_per_s, v.summary.completed_per_s_max
        )
    }),
    ("submit p50 / p99", |v| {
        format!(
            "{} / {}",
            ms(v.summary.submit.p50_ms),
            ms(v.summary.submit.p99_ms)
        )
    }),
    ("end-to-end p50 / p99", |v| {
        format!(
            "{} / {}",
            ms(v.summary.e2e.p50_ms),
            ms(v.summary.e2e.p99_ms)
        )
    }),
    ("end-to-end max", |v| ms(v.summary.e2e.max_ms)),
    ("orders tracked", |v| v.summary.tracked.to_string()),
    ("completed", |v| percent(v.summary.rates.get("completed"))),
    ("failed", |v| percent(v.summary.rates.get("failed"))),
    ("failed, taking ≥ the shortest timeout", |v| {
        format!(
            "{} (≥ {} ms)",
            v.summary.failed_after_timeout, v.summary.timeout_ms
        )
    }),
    ("why orders failed", |v| {
        let codes = &v.run.outcomes.failure_codes;
        if codes.is_empty() {
            return "–".into();
        }
        let rows: Vec<String> = codes.iter().map(|(c, n)| format!("{c} {n}")).collect();
        rows.join(", ")
    }),
    ("loadgen request timeouts / dropped sends", |v| {
        format!(
            "{} / {}",
            v.summary.client_timeouts, v.summary.dropped_sends
        )
    }),
    ("open at end", |v| v.summary.open_at_end.to_string()),
    ("worker slots held, peak", |v| {
        per_layer(&v.summary.busy_max)
    }),
    ("orders waiting for a slot, peak", |v| {
        per_layer(&v.summary.waiting_max)
    }),
    ("median time per layer", breakdown),
    ("retries forward / compensation, per layer", |v| {
        let retries = &v.run.chain.retries;
        if retries.is_empty() {
            return "–".into();
        }
        let rows: Vec<String> = retries
            .iter()
            .map(|(layer, l)| format!("{layer} {} / {}", l.forward, l.compensation))
            .collect();
        rows.join(", ")
    }),
    ("audit / leaks", |v| {
        let audit = match v.summary.audit_ok {
            Some(true) => "ok".to_string(),
            Some(false) => format!("NOT ok ({} findings)", v.summary.audit_findings),
            None => "unavailable".into(),
        };
        format!("{audit} / {}", v.summary.leaks)
    }),
    ("thresholds", |v| {
        if v.summary.passed { "pass" } else { "FAIL" }.into()
    }),
];

/// Renders the comparison as Markdown: one column per variant.
pub fn render_markdown(report: &CompareReport) -> String {
    let mut md = String::new();
    let verdict = if report.passed { "PASS" } else { "FAIL" };
    let _ = writeln!(
        md,
        "## loadgen compare: `{}` — {verdict}\n",
        report.scenario.name
    );
    if !report.scenario.description.is_empty() {
        let _ = writeln!(md, "{}\n", report.scenario.description.trim());
    }
    let _ = writeln!(
        md,
        "Same load, seed ({}) and network for every variant; a fresh embedded simulator each.\n",
        report.scenario.seed
    );
    let names: Vec<&str> = report.variants.iter().map(|v| v.name.as_str()).collect();
    let _ = writeln!(md, "| | {} |", names.join(" | "));
    let _ = writeln!(md, "|---|{}", "---:|".repeat(names.len()));
    for (label, cell) in ROWS {
        let cells: Vec<String> = report.variants.iter().map(cell).collect();
        let _ = writeln!(md, "| {label} | {} |", cells.join(" | "));
    }
    let _ = writeln!(md, "\n### Variants\n");
    for v in &report.variants {
        let _ = writeln!(
            md,
            "- `{}`: {} ({})",
            v.name,
            v.description,
            v.overrides.join("; ")
        );
    }
    md
}

/// Renders the comparison as one self-contained HTML page.
pub fn render_html(report: &CompareReport, histograms: &[(String, Histogram<u64>)]) -> String {
    let mut page = String::new();
    let title = format!("loadgen compare: {}", escape(&report.scenario.name));
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:sans-serif;max-width:1600px;width:94%;margin:2em auto;color:#222}}\
         svg.chart{{width:100%;height:auto;max-height:60vh}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}\
         svg{{background:#fafafa;margin:8px 0}}{}</style></head><body>\n<h1>{title}</h1>\n<p>{}</p>\n",
        super::html::TIP_CSS,
        escape(&report.scenario.description)
    );
    page.push_str("<table>\n<tr><th></th>");
    for v in &report.variants {
        let _ = write!(page, "<th>{}</th>", escape(&v.name));
    }
    page.push_str("</tr>\n");
    for (label, cell) in ROWS {
        let _ = write!(page, "<tr><th>{}</th>", escape(label));
        for v in &report.variants {
            let _ = write!(page, "<td>{}</td>", escape(&cell(v)));
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</table>\n");
    overlay_charts(&mut page, report, histograms);
    for v in &report.variants {
        page.push_str(&worker_chart(v));
    }
    page.push_str(&super::html::script());
    page.push_str("</body></html>\n");
    page
}

fn overlay_charts(
    page: &mut String,
    report: &CompareReport,
    histograms: &[(String, Histogram<u64>)],
) {
    let names: Vec<String> = report.variants.iter().map(|v| v.name.clone()).collect();
    let per_second = |v: &VariantResult, f: fn(&super::model::SeriesPoint) -> Option<f64>| {
        v.run
            .series
            .iter()
            .filter_map(|p| Some((p.second as f64, f(p)?)))
            .collect::<Vec<_>>()
    };
    let completed: Vec<Line<'_>> = report
        .variants
        .iter()
        .zip(&names)
        .map(|(v, name)| (name.as_str(), per_second(v, |p| Some(p.completed as f64))))
        .collect();
    page.push_str(&line_chart(
        "Orders completed per second",
        "second",
        "per second",
        &completed,
        &[],
    ));
    let p99: Vec<Line<'_>> = report
        .variants
        .iter()
        .zip(&names)
        .map(|(v, name)| (name.as_str(), per_second(v, |p| p.e2e_ms?.get(2).copied())))
        .collect();
    // Variants' latencies can lie decades apart (sync at seconds, async at milliseconds).
    let log_y = Scales {
        log_y: true,
        ..Scales::default()
    };
    page.push_str(&scaled_chart(
        "End-to-end p99 of orders finishing each second",
        "second",
        "ms (log)",
        &p99,
        &[],
        log_y,
    ));
    let distributions: Vec<Line<'_>> = histograms
        .iter()
        .filter(|(_, h)| !h.is_empty())
        .map(|(name, h)| (name.as_str(), distribution(h)))
        .collect();
    page.push_str(&distribution_chart(
        "End-to-end latency distribution",
        &distributions,
    ));
}

fn worker_chart(v: &VariantResult) -> String {
    super::html::worker_chart(
        &format!(
            "Worker slots held and orders waiting — {} ({} slots per layer)",
            v.name, v.chain.workers
        ),
        &v.run.chain.workers,
    )
}
