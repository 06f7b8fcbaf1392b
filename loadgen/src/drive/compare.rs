//! `loadgen compare`: the same load, seed and network against each variant of a scenario in
//! turn (a fresh embedded simulator per variant), then one report with the variants side by
//! side in `<out>/<scenario>-compare-<timestamp>/`.
//!
//! A scenario without `[[variants]]` is compared as `async` against `sync` (only
//! `chain.mode` differs).

use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::{Context, bail};
use hdrhistogram::Histogram;
use tokio::time::Instant;

use crate::drive::runner::{self, RunOptions};
use crate::plan::variant::{self, Variant};
use crate::report::compare::{
    COMPARE_SCHEMA_ID, ChainSettings, CompareReport, VariantResult, VariantSummary,
};
use crate::report::model::{RunReport, ScenarioInfo};

/// The result of a comparison.
#[derive(Clone, Debug)]
pub struct CompareOutcome {
    /// The report.
    pub report: CompareReport,
    /// The report folder.
    pub report_dir: PathBuf,
    /// Files written into it.
    pub files: Vec<PathBuf>,
}

impl CompareOutcome {
    /// 0 when every variant passed every threshold, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.report.passed { 0 } else { 1 }
    }
}

/// Runs every variant of the scenario and writes the comparison report. `options.target`
/// must be `None`: each variant needs its own freshly configured simulator.
pub async fn compare(options: RunOptions) -> anyhow::Result<CompareOutcome> {
    if options.target.is_some() {
        bail!("compare starts a fresh embedded simulator per variant; --target is not supported");
    }
    if options.virtual_time {
        bail!("compare runs in wall-clock time; --virtual-time is not supported");
    }
    let started_at = SystemTime::now();
    let wall = Instant::now();
    let mut scenario = runner::prepare(&options)?;
    // Every send leaves on its intended instant or is dropped and counted: none waits.
    scenario.load.waiting_max = 0;
    let variants = if scenario.variants.is_empty() {
        vec![Variant::chain_mode("async"), Variant::chain_mode("sync")]
    } else {
        scenario.variants.clone()
    };
    let folder = format!("{}-compare", scenario.name);
    let report_dir = crate::report::create_dir(&options.out, &folder, started_at)?;
    let mut results = Vec::new();
    let mut distributions: Vec<(String, Histogram<u64>)> = Vec::new();
    let mut files = Vec::new();
    for (index, variant) in variants.iter().enumerate() {
        if !options.quiet {
            println!(
                "variant {}/{}: {} — {}",
                index + 1,
                variants.len(),
                variant.name,
                variant.override_lines().join("; ")
            );
        }
        let text = variant::simulator_text(&variant.apply(&scenario.simulator));
        let origin = format!("{} (variant {})", scenario.file, variant.name);
        let config = simulator::config::SimConfig::from_toml_str(&text, &origin)?;
        let executed = runner::execute(&scenario, &options, &text)
            .await
            .with_context(|| format!("variant {}", variant.name))?;
        for (name, histogram) in &executed.histograms {
            let path = report_dir.join(format!("{}-{name}.hgrm", variant.name));
            std::fs::write(&path, crate::report::hgrm::render(histogram))
                .with_context(|| format!("cannot write {}", path.display()))?;
            files.push(path);
        }
        if let Some((_, e2e)) = executed.histograms.iter().find(|(n, _)| n == "e2e") {
            distributions.push((variant.name.clone(), e2e.clone()));
        }
        results.push(variant_result(variant, &config, executed));
    }
    let report = CompareReport {
        schema: COMPARE_SCHEMA_ID.into(),
        scenario: ScenarioInfo {
            name: scenario.name.clone(),
            description: scenario.description.clone(),
            file: scenario.file.clone(),
            seed: scenario.seed,
        },
        started_at: humantime::format_rfc3339_seconds(started_at).to_string(),
        wall_s: wall.elapsed().as_secs_f64(),
        passed: results.iter().all(|r| r.summary.passed),
        variants: results,
    };
    files.extend(write_reports(&report_dir, &report, &distributions)?);
    if !options.quiet {
        print!("{}", crate::report::compare::render_markdown(&report));
        println!("\nreport: {}", report_dir.join("report.html").display());
    }
    Ok(CompareOutcome {
        report,
        report_dir,
        files,
    })
}

fn write_reports(
    dir: &std::path::Path,
    report: &CompareReport,
    distributions: &[(String, Histogram<u64>)],
) -> anyhow::Result<Vec<PathBuf>> {
    use crate::report::compare::{render_html, render_json, render_markdown};
    let pages = [
        ("report.json", render_json(report)?),
        ("report.md", render_markdown(report)),
        ("report.html", render_html(report, distributions)),
    ];
    let mut written = Vec::new();
    for (name, text) in pages {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

fn variant_result(
    variant: &Variant,
    config: &simulator::config::SimConfig,
    executed: runner::Executed,
) -> VariantResult {
    let chain = &config.chain;
    let sync = chain.mode == simulator::config::ChainMode::Sync;
    let timeout_ms = if sync {
        chain.call_timeout_ms.min(chain.element_timeout_ms)
    } else {
        chain.element_timeout_ms
    };
    let failed_after_timeout = executed
        .histograms
        .iter()
        .find(|(name, _)| name == "e2e-failed")
        .map_or(0, |(_, h)| {
            h.count_between(
                timeout_ms.saturating_mul(1_000),
                crate::observe::metrics::LATENCY_US_MAX,
            )
        });
    let mut summary = summarize(&executed.report);
    summary.failed_after_timeout = failed_after_timeout;
    summary.timeout_ms = timeout_ms;
    VariantResult {
        name: variant.name.clone(),
        description: variant.description.clone(),
        overrides: variant.override_lines(),
        chain: ChainSettings {
            mode: if sync { "sync" } else { "async" }.into(),
            workers: chain.workers,
            call_timeout_ms: chain.call_timeout_ms,
            element_timeout_ms: chain.element_timeout_ms,
        },
        summary,
        run: executed.report,
    }
}

/// The compared numbers of one run (the timeout inference is filled in by the caller).
pub fn summarize(run: &RunReport) -> VariantSummary {
    let last_completion = run
        .series
        .iter()
        .rev()
        .find(|p| p.completed > 0)
        .map_or(0.0, |p| p.second as f64 + 1.0);
    let window = (last_completion - run.load.warmup_s).max(1.0);
    VariantSummary {
        target_rate_per_s: run.load.target_rate_per_s,
        achieved_rate_per_s: run.load.achieved_rate_per_s,
        completed_per_s: run.outcomes.completed as f64 / window,
        completed_per_s_max: run.series.iter().map(|p| p.completed).max().unwrap_or(0),
        submit: run.latency.submit.clone(),
        e2e: run.latency.e2e.clone(),
        rates: run.outcomes.rates.clone(),
        tracked: run.outcomes.tracked,
        failed: run.outcomes.failed,
        failed_after_timeout: 0,
        timeout_ms: 0,
        client_timeouts: run
            .requests
            .transport_errors
            .get("timeout")
            .copied()
            .unwrap_or(0),
        dropped_sends: run.load.dropped_sends,
        open_at_end: run.outcomes.open_at_end,
        busy_max: run.chain.busy_max.clone(),
        waiting_max: run.chain.waiting_max.clone(),
        breakdown_median_ms: run
            .latency
            .layers
            .iter()
            .map(|(layer, p)| (layer.clone(), p.p50_ms))
            .collect(),
        breakdown_sampled: run
            .latency
            .layers
            .values()
            .map(|p| p.count)
            .max()
            .unwrap_or(0),
        audit_ok: run.verdict.audit.ok,
        audit_findings: run.verdict.audit.findings,
        leaks: run.verdict.audit.leaks + run.verdict.outside.leaks,
        passed: run.passed,
    }
}
