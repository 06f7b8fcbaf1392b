//! The reports in headless Chromium: a fresh report.html, the committed quickstart sample
//! and the compare report load, their SVG charts and tables are in the DOM, the charts' script
//! runs its self-test (hover values and zoom, see `charts.js`) without a console error, and
//! screenshots at 1400 and 900 px are kept under `target/tmp/report-screenshots/`. Runs only
//! when /usr/bin/chromium exists (skips with a note otherwise; CI installs it).

use crate::common;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

const SCENARIO: &str = r#"
name = "html"
[load]
rate = 100
duration = "1s"
[load.mix]
add_fibre = 9
bad_request = 1
[thresholds]
checks = ["open_at_end == 0"]
"#;

const COMPARE: &str = r#"
name = "html-compare"
seed = 3
[profiles.activate]
latency = { distribution = "fixed", ms = 20.0 }
[load]
rate = 20
duration = "1s"
drain_timeout = "30s"
[load.mix]
add_fibre = 1

[[variants]]
name = "async"
chain = { mode = "async" }

[[variants]]
name = "sync"
chain = { mode = "sync", workers = 2 }
"#;

/// The page's DOM after its scripts ran (`#probe` makes `charts.js` test itself), and
/// Chromium's log.
fn dump_dom(page: &Path, profile: &Path) -> (String, String) {
    let url = format!("file://{}#probe", page.canonicalize().unwrap().display());
    let output = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", &url])
        .output()
        .expect("chromium runs");
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "chromium failed: {log}");
    (String::from_utf8_lossy(&output.stdout).into_owned(), log)
}

/// No console message and no uncaught exception in Chromium's log.
fn assert_no_console_errors(log: &str) {
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

/// What `charts.js` wrote into `body[data-probe]`: it ran to the end, hovered `charts`
/// charts and read a value of every series, and zoomed the time charts.
fn assert_probe(dom: &str, charts: usize) {
    let start = dom.find("data-probe=\"").expect("the charts' script ran") + 12;
    let end = start + dom[start..].find('"').unwrap();
    let json = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    let probe: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(probe["charts"], charts, "{probe}");
    let hovered = probe["hovered"].as_array().unwrap();
    assert_eq!(hovered.len(), charts, "{probe}");
    for seen in hovered {
        let seen = seen.as_str().unwrap();
        assert!(
            seen.contains('=') && !seen.contains("=–"),
            "a value per series: {seen}"
        );
    }
    let zoomed = probe["zoomed"].as_array().unwrap();
    assert!(!zoomed.is_empty(), "time charts zoom: {probe}");
    assert!(
        zoomed.iter().all(|z| z.as_str().unwrap().starts_with("0-")),
        "{probe}"
    );
}

/// Screenshots of `page` at a wide and a narrow window, kept as artefacts of the test run.
fn screenshots(page: &Path, profile: &Path, name: &str) {
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    for width in [1400, 900] {
        let shot = shots.join(format!("{name}-{width}.png"));
        let taken = Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("--window-size={width},2000"))
            .arg(format!("--screenshot={}", shot.display()))
            .arg(&url)
            .output()
            .expect("chromium runs");
        assert!(
            taken.status.success(),
            "{}",
            String::from_utf8_lossy(&taken.stderr)
        );
        let size = std::fs::metadata(&shot).map_or(0, |m| m.len());
        assert!(size > 10_000, "{width} px screenshot is {size} bytes");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_html_renders_in_headless_chromium() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("note: {CHROMIUM} not found; skipping the headless-Chromium report test");
        return;
    }
    let fake = common::start(common::FakeOptions::default()).await;
    let dir = common::scratch("html");
    let path = common::scenario(&dir, SCENARIO);
    let outcome = loadgen::run(common::options(path, &fake.url(), &dir))
        .await
        .unwrap();
    fake.stop();
    let page = outcome.report_dir.join("report.html");
    let profile = dir.join("chromium-profile");
    let (dom, log) = dump_dom(&page, &profile);
    assert!(
        dom.contains("loadgen report: html"),
        "page did not load: {dom:.400}"
    );
    assert_eq!(dom.matches("<svg").count(), 4, "four charts expected");
    assert!(dom.contains("polyline"), "line charts have lines");
    assert!(dom.contains("class=\"bar\""), "the outcome chart has bars");
    assert!(
        dom.contains("<h2>Per operation</h2>"),
        "the per-operation table"
    );
    assert!(
        dom.contains("<h2>Every figure</h2>"),
        "every figure of report.md"
    );
    assert!(
        dom.contains("<h2>Time per layer</h2>\n<p>Not measured"),
        "a fake TMF622 server has no timelines"
    );
    // Throughput and latency over time, and the distribution (the outcome bars have no data).
    assert_probe(&dom, 3);
    assert_no_console_errors(&log);
    screenshots(&page, &profile, "report");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_report_renders_in_headless_chromium() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("note: {CHROMIUM} not found; skipping the headless-Chromium compare test");
        return;
    }
    let dir = common::scratch("html-compare");
    let path = common::scenario(&dir, COMPARE);
    let mut options = loadgen::RunOptions::new(path);
    options.out = dir.join("reports");
    options.quiet = true;
    let outcome = loadgen::compare(options)
        .await
        .expect("the comparison runs");
    let page = outcome.report_dir.join("report.html");
    let profile = dir.join("chromium-profile");
    let (dom, log) = dump_dom(&page, &profile);
    assert!(
        dom.contains("html-compare"),
        "page did not load: {dom:.400}"
    );
    assert!(dom.contains("<table"), "the comparison table");
    assert!(
        dom.contains("<td>async</td>") || dom.contains(">async<"),
        "{dom:.2000}"
    );
    let charts = dom.matches("data-chart=").count();
    assert!(charts >= 3, "{charts} interactive charts");
    assert_probe(&dom, charts);
    assert_no_console_errors(&log);
    screenshots(&page, &profile, "compare");
}

#[test]
fn the_committed_quickstart_report_renders_in_headless_chromium() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("note: {CHROMIUM} not found; skipping the headless-Chromium sample test");
        return;
    }
    let page =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/samples/quickstart/report.html");
    let dir = common::scratch("html-sample");
    let profile = dir.join("chromium-profile");
    let (dom, log) = dump_dom(&page, &profile);
    assert!(dom.contains("loadgen report: quickstart"), "{dom:.400}");
    assert!(dom.contains("<h2>Per operation</h2>") && dom.contains("<h2>Every figure</h2>"));
    assert_eq!(
        dom.matches("class=\"layer\"").count(),
        8,
        "the per-layer waterfall"
    );
    let charts = dom.matches("data-chart=").count();
    assert_eq!(charts, 3, "throughput, latency over time, distribution");
    assert_probe(&dom, charts);
    assert_no_console_errors(&log);
    screenshots(&page, &profile, "quickstart");
}
