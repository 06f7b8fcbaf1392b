//! `report.html`: one self-contained page (inline CSS and SVG, no scripts, no external files)
//! with four charts: throughput over time, latency percentiles over time, latency
//! distribution, outcomes; and a fifth, worker slots and queues per layer over time, when the
//! simulator answered `/admin/workers`.

use std::fmt::Write;

use hdrhistogram::Histogram;

use super::model::RunReport;

pub(super) const WIDTH: f64 = 960.0;
/// Room at the right of a line chart for its legend, outside the data.
pub(super) const LEGEND_W: f64 = 170.0;
const HEIGHT: f64 = 260.0;
const MARGIN: f64 = 48.0;
/// Okabe–Ito's colour-blind-safe palette, then two of Tol's muted colours: ten distinct
/// series before a colour repeats.
pub(super) const COLORS: [&str; 10] = [
    "#0072B2", "#009E73", "#D55E00", "#E69F00", "#CC79A7", "#56B4E9", "#000000", "#F0E442",
    "#882255", "#44AA99",
];

/// The hover tooltip of `charts.js`, and the crosshair cursor over a chart.
pub(super) const TIP_CSS: &str = ".tip{position:absolute;background:#fff;border:1px solid #999;\
    padding:4px 6px;font-size:12px;pointer-events:none;box-shadow:1px 1px 3px #aaa}\
    svg.chart{cursor:crosshair}";

/// One line of a chart: a name and its points.
pub(super) type Line<'a> = (&'a str, Vec<(f64, f64)>);

/// A shaded stretch of a time chart: start and end (x units) and a label.
type Band = (f64, f64, String);

/// The report's fault windows as bands (a fault still open at the end runs to the last point).
fn fault_bands(report: &RunReport) -> Vec<Band> {
    report
        .faults
        .iter()
        .filter(|fault| fault.applied)
        .map(|fault| {
            let end = fault.end_s.unwrap_or(fault.start_s).max(fault.start_s);
            let label = format!("{} ({})", fault.name, fault.kind);
            (fault.start_s, end, label)
        })
        .collect()
}

/// Renders the report as a self-contained HTML page.
pub fn render(report: &RunReport, histograms: &[(&str, &Histogram<u64>)]) -> String {
    let mut page = String::new();
    let title = format!("loadgen report: {}", escape(&report.scenario.name));
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:sans-serif;max-width:1600px;width:94%;margin:2em auto;color:#222}}\
         svg.chart{{width:100%;height:auto;max-height:60vh}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}\
         .pass{{color:#2ca02c}}.fail{{color:#d62728;font-weight:bold}}svg{{background:#fafafa;margin:8px 0}}\
         {}</style></head><body>\n<h1>{title} — <span class=\"{}\">{}</span></h1>\n<p>{}</p>\n",
        TIP_CSS,
        if report.passed { "pass" } else { "fail" },
        if report.passed { "PASS" } else { "FAIL" },
        escape(&report.scenario.description)
    );
    summary_table(&mut page, report);
    let bands = fault_bands(report);
    let seconds = |f: fn(&super::model::SeriesPoint) -> f64| -> Vec<(f64, f64)> {
        report
            .series
            .iter()
            .map(|p| (p.second as f64, f(p)))
            .collect()
    };
    page.push_str(&line_chart(
        "Throughput over time",
        "second",
        "per second",
        &[
            ("submitted", seconds(|p| p.submitted as f64)),
            ("completed", seconds(|p| p.completed as f64)),
            ("failed", seconds(|p| p.failed as f64)),
            ("partial", seconds(|p| p.partial as f64)),
            ("cancelled", seconds(|p| p.cancelled as f64)),
            ("rejected", seconds(|p| p.rejected as f64)),
            ("errors", seconds(|p| p.errors as f64)),
        ],
        &bands,
    ));
    let percentile = |index: usize| -> Vec<(f64, f64)> {
        report
            .series
            .iter()
            .filter_map(|p| Some((p.second as f64, *p.e2e_ms?.get(index)?)))
            .collect()
    };
    page.push_str(&line_chart(
        "End-to-end latency percentiles over time",
        "second",
        "ms",
        &[
            ("p50", percentile(0)),
            ("p90", percentile(1)),
            ("p99", percentile(2)),
            ("max", percentile(3)),
        ],
        &bands,
    ));
    let distributions: Vec<Line<'_>> = histograms
        .iter()
        .filter(|(_, h)| !h.is_empty())
        .map(|(name, h)| (*name, distribution(h)))
        .collect();
    page.push_str(&distribution_chart("Latency distribution", &distributions));
    page.push_str(&outcome_bars(report));
    super::waterfall::render(&mut page, report);
    fault_table(&mut page, report);
    retry_table(&mut page, report);
    let slots_used = (report.chain.workers.iter())
        .flat_map(|point| point.layers.iter())
        .any(|layer| layer.busy > 0 || layer.waiting > 0);
    if slots_used {
        page.push_str(&worker_chart(
            "Worker slots held and orders waiting, per layer",
            &report.chain.workers,
        ));
    } else if !report.chain.workers.is_empty() {
        // A flat line at zero says nothing a sentence does not (the async chain holds no
        // slot while it waits for a child).
        let _ = writeln!(
            page,
            "<h2>Worker slots</h2>\n<p>No layer held a worker slot and no order waited for one \
             at any of the {} samples.</p>",
            report.chain.workers.len()
        );
    }
    operations_table(&mut page, report);
    findings_list(&mut page, report);
    thresholds_table(&mut page, report);
    every_figure(&mut page, report);
    page.push_str(&script());
    page.push_str("</body></html>\n");
    page
}

pub(super) fn distribution(histogram: &Histogram<u64>) -> Vec<(f64, f64)> {
    let mut points: Vec<(f64, f64)> = histogram
        .iter_quantiles(5)
        .filter(|step| step.quantile_iterated_to() < 1.0)
        .map(|step| {
            let q = step.quantile_iterated_to();
            (
                (1.0 / (1.0 - q)).log10(),
                step.value_iterated_to() as f64 / 1_000.0,
            )
        })
        .collect();
    // The last step is the maximum at percentile 1; draw it just past the last finite one.
    let last_x = points.last().map_or(0.0, |(x, _)| *x);
    points.push((last_x + 0.25, histogram.max() as f64 / 1_000.0));
    points
}

fn summary_table(page: &mut String, r: &RunReport) {
    let row = |page: &mut String, name: &str, value: String| {
        let _ = writeln!(page, "<tr><th>{name}</th><td>{}</td></tr>", escape(&value));
    };
    page.push_str("<table>\n");
    row(page, "target", r.target.url.clone());
    row(page, "seed", r.scenario.seed.to_string());
    row(page, "clock", r.clock.clone());
    if let Some(info) = &r.virtual_time {
        let text = format!(
            "{:.1} simulated s in {:.2} wall s ({:.0}x), event-log hash {}",
            info.simulated_s, info.wall_s, info.speedup, info.event_log_hash
        );
        row(page, "virtual time", text);
    }
    row(
        page,
        "model",
        format!("{} / {}", r.load.model, r.load.track),
    );
    row(
        page,
        "achieved rate",
        format!("{:.1}/s", r.load.achieved_rate_per_s),
    );
    if let Some(target) = r.load.target_rate_per_s {
        row(page, "target rate", format!("{target:.1}/s"));
    }
    row(
        page,
        "late / dropped sends",
        format!("{} / {}", r.load.late_sends, r.load.dropped_sends),
    );
    if r.load.interrupted {
        let text = "yes: Ctrl-C stopped the load early".to_string();
        row(page, "interrupted", text);
    }
    row(
        page,
        "submit p50 / p99",
        format!(
            "{:.1} / {:.1} ms",
            r.latency.submit.p50_ms, r.latency.submit.p99_ms
        ),
    );
    row(
        page,
        "e2e p50 / p99",
        format!(
            "{:.1} / {:.1} ms",
            r.latency.e2e.p50_ms, r.latency.e2e.p99_ms
        ),
    );
    let lag = &r.latency.event_lag;
    if lag.count > 0 {
        let text = format!("{:.1} / {:.1} ms", lag.p50_ms, lag.p99_ms);
        row(page, "event delivery lag p50 / p99", text);
    }
    let audit = match r.verdict.audit.ok {
        Some(true) => "ok".to_string(),
        Some(false) => format!("NOT ok ({} findings)", r.verdict.audit.findings),
        None => "unavailable".to_string(),
    };
    if !r.outcomes.failure_codes.is_empty() {
        let codes: Vec<String> = r
            .outcomes
            .failure_codes
            .iter()
            .map(|(code, count)| format!("{code} {count}"))
            .collect();
        row(page, "why orders failed", codes.join(", "));
    }
    row(page, "audit", audit);
    for note in super::notes::verdict_notes(r) {
        row(page, "verdict", note);
    }
    row(
        page,
        "lost / leaks",
        format!("{} / {}", r.verdict.outside.lost_orders, r.leaks_text()),
    );
    page.push_str("</table>\n");
}

fn findings_list(page: &mut String, r: &RunReport) {
    let lines: Vec<&String> = r
        .verdict
        .audit
        .summary
        .iter()
        .chain(&r.verdict.outside.examples)
        .chain(&r.requests.error_examples)
        .collect();
    if lines.is_empty() {
        return;
    }
    page.push_str("<h2>Findings and errors</h2><ul>\n");
    for line in lines {
        let _ = writeln!(page, "<li><code>{}</code></li>", escape(line));
    }
    page.push_str("</ul>\n");
}

fn thresholds_table(page: &mut String, r: &RunReport) {
    if r.thresholds.is_empty() {
        return;
    }
    page.push_str(
        "<h2>Thresholds</h2><table><tr><th>check</th><th>value</th><th>result</th></tr>\n",
    );
    for t in &r.thresholds {
        let value = match &t.why {
            Some(why) => format!("{}: {why}", t.shown),
            None => t.shown.clone(),
        };
        let text = t.result();
        let class = if t.passed { "pass" } else { "fail" };
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td class=\"{class}\">{text}</td></tr>",
            escape(&t.label()),
            escape(&value)
        );
    }
    page.push_str("</table>\n");
}

fn operations_table(page: &mut String, r: &RunReport) {
    if r.operations.is_empty() {
        return;
    }
    page.push_str("<h2>Per operation</h2><table><tr>");
    for heading in super::operations::HEADINGS {
        let _ = write!(page, "<th>{}</th>", escape(heading));
    }
    page.push_str("</tr>\n");
    for row in super::operations::rows(&r.operations) {
        page.push_str("<tr>");
        for cell in row {
            let _ = write!(page, "<td>{}</td>", escape(&cell));
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</table>\n");
}

/// Every figure of `report.md` (percentile tables, requests and errors, events, the whole
/// correctness section, faults, retries), so that the page holds all the Markdown holds.
/// Raw HTML in the Markdown (a scenario's description, an error's text) is shown as text.
fn every_figure(page: &mut String, r: &RunReport) {
    use pulldown_cmark::{Event, Options, Parser};
    let markdown = super::markdown::render(r);
    let events = Parser::new_ext(&markdown, Options::ENABLE_TABLES).map(|event| match event {
        Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
        other => other,
    });
    page.push_str("<h2>Every figure</h2>\n<div class=\"figures\">\n");
    pulldown_cmark::html::push_html(page, events);
    page.push_str("</div>\n");
}

fn outcome_bars(r: &RunReport) -> String {
    let o = &r.outcomes;
    let bars = [
        ("completed", o.completed),
        ("partial", o.partial),
        ("failed", o.failed),
        ("cancelled", o.cancelled),
        ("rejected", o.rejected),
        ("open at end", o.open_at_end),
    ];
    let top = bars.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    let mut svg = svg_open("Outcomes", None);
    let slot = (WIDTH - 2.0 * MARGIN) / bars.len() as f64;
    for (index, (name, value)) in bars.iter().enumerate() {
        let height = (HEIGHT - 2.0 * MARGIN) * (*value as f64) / top;
        let x = MARGIN + slot * index as f64 + slot * 0.15;
        let y = HEIGHT - MARGIN - height;
        let _ = write!(
            svg,
            "<rect class=\"bar\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{height:.1}\" fill=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">{value}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">{name}</text>",
            slot * 0.7,
            COLORS[index % COLORS.len()],
            x + slot * 0.35,
            y - 4.0,
            x + slot * 0.35,
            HEIGHT - MARGIN + 16.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// The faults: window, calls affected, and the orders each hit with their final state.
fn fault_table(page: &mut String, r: &RunReport) {
    if r.faults.is_empty() {
        return;
    }
    let hits = simulator::network::faults::set::FAULT_HITS_KEPT_MAX;
    page.push_str(&format!(
        "<h2>Faults</h2>\n<table><tr><th>fault</th><th>target</th><th>kind</th><th>window (s)</th>\
         <th>calls affected</th><th>orders hit (a sample: each fault's last {hits} hits)</th></tr>\n"
    ));
    for fault in &r.faults {
        let window = match (fault.applied, fault.end_s) {
            (false, _) => format!("not applied: {}", fault.error.as_deref().unwrap_or("?")),
            (true, Some(end)) => format!("{:.1} – {end:.1}", fault.start_s),
            (true, None) => format!("{:.1} –", fault.start_s),
        };
        let orders: Vec<String> = fault
            .orders_hit
            .iter()
            .map(|order| format!("{} ({})", order.id, order.state))
            .collect();
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} of {}</td><td style=\"text-align:left\">{}</td></tr>",
            escape(&fault.name),
            escape(&fault.target),
            escape(&fault.kind),
            escape(&window),
            fault.calls_affected,
            fault.calls_matched,
            escape(&orders.join(", "))
        );
    }
    page.push_str("</table>\n");
}

/// Retries per layer (`[chain.retry.<layer>]`); nothing when no layer retried.
fn retry_table(page: &mut String, r: &RunReport) {
    let retries = &r.chain.retries;
    if retries.values().all(|l| l.forward + l.compensation == 0) {
        return;
    }
    page.push_str(
        "<h2>Retries</h2>\n<table><tr><th>layer</th><th>forward retries</th>\
         <th>compensation retries</th><th>forward steps out of tries</th></tr>\n",
    );
    for (layer, l) in retries {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(layer),
            l.forward,
            l.compensation,
            l.forward_exhausted
        );
    }
    page.push_str("</table>\n");
}

fn svg_open(title: &str, data: Option<&ChartData<'_>>) -> String {
    let data = data
        .and_then(|data| serde_json::to_string(data).ok())
        .map(|json| format!(" data-chart=\"{}\"", escape(&json)))
        .unwrap_or_default();
    format!(
        "<h2>{}</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\"{data}><title>{}</title>",
        escape(title),
        escape(title)
    )
}

/// What `charts.js` needs to map a chart's numbers to its SVG: the plot's geometry, its
/// scales and the very numbers the polylines draw.
#[derive(serde::Serialize)]
pub(super) struct ChartData<'a> {
    /// `time` (seconds across, zoomable) or `percentile`.
    kind: &'static str,
    /// The y unit, for the tooltip.
    unit: &'a str,
    m: f64,
    w: f64,
    h: f64,
    ph: f64,
    xmax: f64,
    ylow: f64,
    yspan: f64,
    logy: bool,
    series: Vec<SeriesData<'a>>,
}

/// One series of [`ChartData`].
#[derive(serde::Serialize)]
pub(super) struct SeriesData<'a> {
    name: &'a str,
    color: &'static str,
    points: &'a [(f64, f64)],
}

/// The charts' script (hover values, zoom of the time charts), inline so that nothing is
/// fetched when the page is viewed.
pub(super) fn script() -> String {
    format!("<script>\n{}</script>\n", include_str!("charts.js"))
}

pub(super) fn line_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    lines: &[Line<'_>],
    bands: &[Band],
) -> String {
    scaled_chart(title, x_label, y_label, lines, bands, Scales::default())
}

/// How a chart's axes map values: linear by default; a percentile x axis (values are
/// log10(1/(1-q)), labelled p50, p90, p99 …) and a log10 y axis for latencies whose range
/// spans decades.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Scales {
    /// x is log10(1/(1-q)), labelled as percentiles.
    pub(super) percentile_x: bool,
    /// y is drawn on a log10 scale.
    pub(super) log_y: bool,
}

/// Smallest value a log y axis shows (ms): below it a point sits on the axis.
const LOG_Y_MIN: f64 = 0.01;

/// A latency distribution chart: percentiles across, log milliseconds up.
pub(super) fn distribution_chart(title: &str, lines: &[Line<'_>]) -> String {
    let scales = Scales {
        percentile_x: true,
        log_y: true,
    };
    scaled_chart(title, "percentile", "ms (log)", lines, &[], scales)
}

fn percentile_ticks(x_max: f64) -> Vec<(f64, String)> {
    let marks = [
        (0.0, "p0"),
        (0.301, "p50"),
        (1.0, "p90"),
        (2.0, "p99"),
        (3.0, "p99.9"),
        (4.0, "p99.99"),
        (5.0, "p99.999"),
    ];
    let end = marks
        .iter()
        .position(|(x, _)| *x >= x_max)
        .unwrap_or(marks.len() - 1);
    marks
        .iter()
        .take(end + 1)
        .map(|(x, l)| (*x, l.to_string()))
        .collect()
}

fn log_ticks(y_min: f64, y_max: f64) -> Vec<(f64, String)> {
    let low = y_min.max(LOG_Y_MIN).log10().floor() as i32;
    let high = (y_max.max(LOG_Y_MIN).log10().ceil() as i32).max(low + 1);
    (low..=high)
        .map(|k| (f64::from(k), tick_label(10_f64.powi(k))))
        .collect()
}

fn linear_ticks(max: f64) -> Vec<(f64, String)> {
    ticks(max.max(1.0))
        .into_iter()
        .map(|v| (v, tick_label(v)))
        .collect()
}

pub(super) fn scaled_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    lines: &[Line<'_>],
    bands: &[Band],
    scales: Scales,
) -> String {
    let ty = |y: f64| match scales.log_y {
        true => y.max(LOG_Y_MIN).log10(),
        false => y,
    };
    let points = lines.iter().flat_map(|(_, p)| p.iter());
    let (mut x_max, mut y_min, mut y_max) = (0.0_f64, f64::MAX, 0.0_f64);
    for (x, y) in points {
        x_max = x_max.max(*x);
        y_min = y_min.min(*y);
        y_max = y_max.max(*y);
    }
    for (_, end, _) in bands {
        x_max = x_max.max(*end);
    }
    let x_ticks = match scales.percentile_x {
        true => percentile_ticks(x_max),
        false => linear_ticks(x_max),
    };
    let y_ticks = match scales.log_y {
        true => log_ticks(y_min, y_max),
        false => linear_ticks(y_max),
    };
    let x_max = x_ticks.last().map_or(1.0, |t| t.0).max(1e-9);
    let y_low = y_ticks.first().map_or(0.0, |t| t.0);
    let y_span = (y_ticks.last().map_or(1.0, |t| t.0) - y_low).max(1e-9);
    let right = WIDTH - LEGEND_W;
    let plot_w = right - MARGIN;
    let plot_h = HEIGHT - 2.0 * MARGIN;
    let sx = |x: f64| MARGIN + plot_w * x / x_max;
    let sy = |y: f64| HEIGHT - MARGIN - plot_h * (ty(y) - y_low) / y_span;
    let sy_tick = |t: f64| HEIGHT - MARGIN - plot_h * (t - y_low) / y_span;
    let data = ChartData {
        kind: if scales.percentile_x {
            "percentile"
        } else {
            "time"
        },
        unit: y_label.trim_end_matches(" (log)"),
        m: MARGIN,
        w: plot_w,
        h: HEIGHT,
        ph: plot_h,
        xmax: x_max,
        ylow: y_low,
        yspan: y_span,
        logy: scales.log_y,
        series: lines
            .iter()
            .enumerate()
            .map(|(index, (name, points))| SeriesData {
                name,
                color: COLORS[index % COLORS.len()],
                points,
            })
            .collect(),
    };
    let mut svg = svg_open(title, Some(&data));
    for (y, label) in &y_ticks {
        let _ = write!(
            svg,
            "<line x1=\"{MARGIN}\" y1=\"{0:.1}\" x2=\"{right}\" y2=\"{0:.1}\" stroke=\"#e4e4e4\"/>\
             <text x=\"{1}\" y=\"{2:.1}\" font-size=\"10\" text-anchor=\"end\">{3}</text>",
            sy_tick(*y),
            MARGIN - 4.0,
            sy_tick(*y) + 3.0,
            escape(label)
        );
    }
    for (x, label) in &x_ticks {
        let _ = write!(
            svg,
            "<line class=\"xtick\" x1=\"{0:.1}\" y1=\"{MARGIN}\" x2=\"{0:.1}\" y2=\"{1}\" stroke=\"#f0f0f0\"/>\
             <text class=\"xtick\" x=\"{0:.1}\" y=\"{2}\" font-size=\"10\" text-anchor=\"middle\">{3}</text>",
            sx(*x),
            HEIGHT - MARGIN,
            HEIGHT - MARGIN + 12.0,
            escape(label)
        );
    }
    let _ = write!(
        svg,
        "<line x1=\"{MARGIN}\" y1=\"{0}\" x2=\"{right}\" y2=\"{0}\" stroke=\"#888\"/>\
         <line x1=\"{MARGIN}\" y1=\"{MARGIN}\" x2=\"{MARGIN}\" y2=\"{0}\" stroke=\"#888\"/>\
         <text x=\"{1}\" y=\"{2}\" font-size=\"11\" text-anchor=\"middle\">{3}</text>\
         <text x=\"4\" y=\"{4}\" font-size=\"11\">{5}</text>",
        HEIGHT - MARGIN,
        MARGIN + plot_w / 2.0,
        HEIGHT - 8.0,
        escape(x_label),
        MARGIN - 16.0,
        escape(y_label),
    );
    for (index, (start, end, label)) in bands.iter().enumerate() {
        let (left, right) = (sx(start.max(0.0)), sx(*end));
        let _ = write!(
            svg,
            "<rect class=\"fault\" data-start=\"{start}\" data-end=\"{end}\" x=\"{left:.1}\" y=\"{MARGIN}\" \
             width=\"{:.1}\" height=\"{plot_h:.1}\" \
             fill=\"#d62728\" fill-opacity=\"0.12\"><title>{}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#d62728\">{}</text>",
            (right - left).max(1.0),
            escape(label),
            left + 2.0,
            MARGIN + 10.0 + 11.0 * index as f64,
            escape(label)
        );
    }
    for (index, (name, points)) in lines.iter().enumerate() {
        let color = COLORS[index % COLORS.len()];
        let path: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y)))
            .collect();
        if let [(x, y)] = points.as_slice() {
            // One point makes no line: a dot shows it.
            let _ = write!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{color}\"><title>{}</title></circle>",
                sx(*x),
                sy(*y),
                escape(name)
            );
        }
        if !path.is_empty() {
            let _ = write!(
                svg,
                "<polyline class=\"series\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{}\"><title>{}</title></polyline>",
                path.join(" "),
                escape(name)
            );
        }
        let legend_y = MARGIN + 14.0 * index as f64;
        let _ = write!(
            svg,
            "<rect x=\"{0:.1}\" y=\"{1:.1}\" width=\"10\" height=\"3\" fill=\"{color}\"/>\
             <text x=\"{2:.1}\" y=\"{3:.1}\" font-size=\"11\">{4}</text>",
            right + 12.0,
            legend_y - 4.0,
            right + 26.0,
            legend_y,
            escape(name)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Round tick values from 0 to at least `max`: steps of 1, 2 or 5 times a power of ten,
/// about five of them, the last one the axis' end (so the axis ends on a labelled value,
/// not at `max` plus an odd headroom).
fn ticks(max: f64) -> Vec<f64> {
    let rough = max / 5.0;
    let power = 10_f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|step| *step >= rough)
        .unwrap_or(10.0 * power);
    let count = (max / step).ceil().max(1.0) as usize;
    // Rounded to nine decimals: 3 × 0.2 is 0.6, not 0.6000000000000001.
    let round = |value: f64| (value * 1e9).round() / 1e9;
    (0..=count).map(|i| round(i as f64 * step)).collect()
}

/// A tick value for people: no decimals on whole numbers.
fn tick_label(value: f64) -> String {
    if value.fract().abs() < 1e-9 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.3}");
        text.trim_end_matches('0').to_string()
    }
}

/// Worker slots held and orders waiting over time, one line each per layer.
pub(super) fn worker_chart(title: &str, samples: &[super::model::WorkerPoint]) -> String {
    let layers: Vec<String> = samples
        .first()
        .map(|p| p.layers.iter().map(|l| l.layer.clone()).collect())
        .unwrap_or_default();
    let mut names: Vec<String> = Vec::new();
    let mut points: Vec<Vec<(f64, f64)>> = Vec::new();
    for layer in &layers {
        for waiting in [false, true] {
            names.push(format!(
                "{layer} {}",
                if waiting { "waiting" } else { "held" }
            ));
            points.push(
                samples
                    .iter()
                    .filter_map(|p| {
                        let row = p.layers.iter().find(|l| &l.layer == layer)?;
                        let value = if waiting { row.waiting } else { row.busy };
                        Some((p.second, value as f64))
                    })
                    .collect(),
            );
        }
    }
    let lines: Vec<Line<'_>> = names.iter().map(String::as_str).zip(points).collect();
    line_chart(title, "second", "orders", &lines, &[])
}

/// Escapes text for HTML.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_has_four_charts_and_escapes_text() {
        let mut report = RunReport::default();
        report.scenario.name = "<x>".into();
        let mut histogram = crate::observe::metrics::latency_histogram();
        histogram.saturating_record(1_500);
        let page = render(&report, &[("submit", &histogram)]);
        assert_eq!(page.matches("<svg").count(), 4);
        assert!(page.contains("&lt;x&gt;"));
        // One script, the charts' own, inline: nothing is fetched when the page is viewed.
        assert_eq!(page.matches("<script").count(), 1);
        for fetches in ["src=", "<link", "fetch(", "XMLHttpRequest", "import("] {
            assert!(!page.contains(fetches), "{fetches}");
        }
        assert!(page.contains("data-chart=\"{&quot;kind&quot;:&quot;time&quot;"));
        assert!(!page.contains("class=\"fault\""));
    }

    #[test]
    fn idle_worker_slots_are_a_sentence_and_used_ones_a_chart() {
        use super::super::model::{LayerLoad, WorkerPoint};
        let point = |busy| WorkerPoint {
            second: 1.0,
            layers: vec![LayerLoad {
                layer: "com".into(),
                capacity: 4,
                busy,
                waiting: 0,
                inbox_depth: 0,
            }],
        };
        let mut report = RunReport::default();
        report.chain.workers = vec![point(0), point(0)];
        let page = render(&report, &[]);
        assert!(page.contains("no order waited for one at any of the 2 samples"));
        assert!(!page.contains("Worker slots held"));
        report.chain.workers.push(point(3));
        let page = render(&report, &[]);
        assert!(page.contains("<h2>Worker slots held and orders waiting, per layer</h2>"));
    }

    #[test]
    fn failure_codes_and_retries_are_shown_when_present() {
        let mut report = RunReport::default();
        let page = render(&report, &[]);
        assert!(!page.contains("why orders failed") && !page.contains("<h2>Retries"));
        report
            .outcomes
            .failure_codes
            .insert("elementTimeout".into(), 7);
        let retried = super::super::model::RetryInfo {
            forward: 3,
            ..Default::default()
        };
        report.chain.retries.insert("rom".into(), retried);
        let page = render(&report, &[]);
        assert!(page.contains("elementTimeout 7"), "{page}");
        assert!(page.contains("<h2>Retries</h2>"), "{page}");
        assert!(page.contains("<td>rom</td><td>3</td>"), "{page}");
    }

    #[test]
    fn the_page_holds_every_markdown_figure_and_no_raw_html() {
        let mut report = RunReport::default();
        report.scenario.description = "<script>alert(1)</script> & more".into();
        report.requests.http_error_rate = 0.25;
        report.latency.submit.p999_ms = 123.4;
        let page = render(&report, &[]);
        assert!(page.contains("<h2>Every figure</h2>"));
        assert!(
            page.contains("<th>p99.9</th>") || page.contains("p99.9"),
            "{page}"
        );
        assert!(page.contains("123.4"), "the submit p99.9 from the Markdown");
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(page.contains("&lt;script&gt;"));
    }

    #[test]
    fn axes_end_on_round_ticks() {
        assert_eq!(ticks(736.0), [0.0, 200.0, 400.0, 600.0, 800.0]);
        assert_eq!(ticks(1.0), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(ticks(95.0).last(), Some(&100.0));
        assert_eq!(tick_label(0.25), "0.25");
        assert_eq!(tick_label(800.0), "800");
    }

    #[test]
    fn fault_windows_are_shaded_on_the_time_charts() {
        let mut report = RunReport::default();
        report.faults.push(super::super::model::FaultInfo {
            name: "olt-down".into(),
            kind: "outage".into(),
            start_s: 5.0,
            end_s: Some(15.0),
            applied: true,
            ..Default::default()
        });
        let page = render(&report, &[]);
        assert_eq!(
            page.matches("class=\"fault\"").count(),
            2,
            "throughput and latency"
        );
        assert!(page.contains("olt-down (outage)"));
    }
}
