//! Reports: the model, its one assembly from a run's measurements ([`assemble`]), the
//! thresholds that decide the exit code ([`thresholds`]), one writer per format, the report
//! folder, and what the user sees on the terminal while and after it runs ([`progress`],
//! [`summary`]).
//!
//! The folder `<out>/<scenario>-<timestamp>/` is created before the run starts, so a bad
//! path fails in the first second. It receives `report.json`, `report.md`, `report.html`,
//! `junit.xml` (the thresholds as JUnit test cases, for CI), `series.csv` (the per-second
//! series) and one HdrHistogram
//! percentile-distribution file (`*.hgrm`) per latency metric.

pub mod assemble;
pub mod compare;
pub mod csv;
pub mod hgrm;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod notes;
pub mod operations;
pub mod progress;
pub mod summary;
pub mod thresholds;
pub mod waterfall;

use std::path::{Path, PathBuf};

use anyhow::Context;

/// Creates a fresh report folder for `scenario` under `out` (adding `-2`, `-3`... if taken).
pub fn create_dir(
    out: &Path,
    scenario: &str,
    started: std::time::SystemTime,
) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create report folder {}", out.display()))?;
    let stamp: String = humantime::format_rfc3339_seconds(started)
        .to_string()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let safe: String = scenario
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    for attempt in 1..=100 {
        let name = match attempt {
            1 => format!("{safe}-{stamp}"),
            n => format!("{safe}-{stamp}-{n}"),
        };
        let dir = out.join(name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e).with_context(|| format!("cannot create {}", dir.display()));
            }
        }
    }
    anyhow::bail!(
        "too many report folders for {safe}-{stamp} in {}",
        out.display()
    )
}

/// Writes a run's report in every format, and its named histograms, into `dir`, then prints
/// its summary unless `quiet`; answers the files written.
pub fn write_run(
    dir: &Path,
    report: &model::RunReport,
    histograms: &assemble::Histograms,
    quiet: bool,
) -> anyhow::Result<Vec<PathBuf>> {
    let named: Vec<(&str, &hdrhistogram::Histogram<u64>)> =
        histograms.iter().map(|(n, h)| (n.as_str(), h)).collect();
    let files = write_all(dir, report, &named)?;
    if !quiet {
        print!("{}", summary::render(report, dir));
    }
    Ok(files)
}

/// Writes every format into `dir`; answers the files written.
pub fn write_all(
    dir: &Path,
    report: &model::RunReport,
    histograms: &[(&str, &hdrhistogram::Histogram<u64>)],
) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let mut write = |name: &str, text: String| -> anyhow::Result<()> {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
        Ok(())
    };
    write("report.json", json::render(report)?)?;
    write("report.md", markdown::render(report))?;
    write("report.html", html::render(report, histograms))?;
    write("junit.xml", junit::render(report))?;
    write("series.csv", csv::render(report))?;
    for (name, histogram) in histograms {
        write(&format!("{name}.hgrm"), hgrm::render(histogram))?;
    }
    Ok(written)
}
