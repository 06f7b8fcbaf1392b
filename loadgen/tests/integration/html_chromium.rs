//! report.html in headless Chromium: it loads, its four SVG charts, the per-operation table
//! and every figure of report.md are in the DOM, the console logs no errors, and screenshots
//! at 1400 and 900 px are kept under `target/tmp/report-screenshots/`. Runs only when /usr/bin/chromium exists (skips with a note
//! otherwise; CI installs it).

use crate::common;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_html_renders_in_headless_chromium() {
    if !std::path::Path::new(CHROMIUM).exists() {
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
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let profile = dir.join("chromium-profile");
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
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dom = String::from_utf8_lossy(&output.stdout);
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
    // Screenshots at a wide and a narrow window, kept as artefacts of the test run.
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    for width in [1400, 900] {
        let shot = shots.join(format!("report-{width}.png"));
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
    let log = String::from_utf8_lossy(&output.stderr);
    let console_errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(
        console_errors.is_empty(),
        "console errors: {console_errors:#?}"
    );
}
