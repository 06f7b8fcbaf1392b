//! The report's "Time per layer" waterfall: where an order spends its time, each layer's median
//! and p99 (from the sampled order timelines) laid end to end in chain order, or a sentence
//! saying it was not measured when the target gave no timelines.

use std::fmt::Write;

use super::html::{COLORS, LEGEND_W, WIDTH};
use super::model::{Percentiles, RunReport};

/// Which figure of a layer's percentiles a row shows.
type Pick = fn(&Percentiles) -> f64;

/// Where an order spends its time: each layer's median and p99 (from the sampled order
/// timelines) laid end to end in chain order, or a sentence when the target gave none.
pub(super) fn render(page: &mut String, r: &RunReport) {
    page.push_str("<h2>Time per layer</h2>\n");
    let layers: Vec<(&str, &Percentiles)> = crate::observe::timeline::LAYERS
        .iter()
        .filter_map(|layer| Some((*layer, r.latency.layers.get(*layer)?)))
        .collect();
    if layers.is_empty() {
        page.push_str(
            "<p>Not measured: the target answered no order timelines \
             (<code>/admin/timeline</code>: ordersim over HTTP only).</p>\n",
        );
        return;
    }
    let sampled = layers.iter().map(|(_, p)| p.count).max().unwrap_or(0);
    let rows: [(&str, Pick); 2] = [("median", |p| p.p50_ms), ("p99", |p| p.p99_ms)];
    let total = |pick: Pick| -> f64 { layers.iter().map(|(_, p)| pick(p)).sum() };
    let scale = rows
        .iter()
        .map(|(_, pick)| total(*pick))
        .fold(1e-9, f64::max);
    let (left, row_h) = (70.0, 34.0);
    let width = WIDTH - left - LEGEND_W;
    let height = 30.0 + row_h * rows.len() as f64;
    let _ = write!(
        page,
        "<p>Each layer's own time (its order's lifetime minus its children's), medians and p99s of \
         {sampled} sampled completed orders laid end to end in chain order. A sum of medians is not \
         the median of the sum; the end-to-end figures above are measured whole.</p>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart waterfall\" \
         viewBox=\"0 0 {WIDTH} {height}\" role=\"img\"><title>Time per layer</title>"
    );
    for (row, (name, pick)) in rows.iter().enumerate() {
        let y = 10.0 + row_h * row as f64;
        let _ = write!(
            page,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{name}</text>",
            left - 6.0,
            y + 15.0
        );
        let mut start = 0.0;
        for (index, (layer, p)) in layers.iter().enumerate() {
            let ms = pick(p);
            let (x, w) = (left + width * start / scale, (width * ms / scale).max(1.0));
            let _ = write!(
                page,
                "<rect class=\"layer\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"22\" \
                 fill=\"{}\"><title>{layer} {name}: {ms:.1} ms</title></rect>",
                COLORS[index % COLORS.len()]
            );
            if w > 60.0 {
                let _ = write!(
                    page,
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#fff\">{layer} {ms:.1} ms</text>",
                    x + 4.0,
                    y + 15.0
                );
            }
            start += ms;
        }
        let _ = write!(
            page,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{start:.1} ms</text>",
            left + width * start / scale + 6.0,
            y + 15.0
        );
    }
    for (index, (layer, _)) in layers.iter().enumerate() {
        let x = left + 110.0 * index as f64;
        let _ = write!(
            page,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{layer}</text>",
            height - 18.0,
            COLORS[index % COLORS.len()],
            x + 14.0,
            height - 9.0
        );
    }
    page.push_str("</svg>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_waterfall_lays_layers_end_to_end_or_says_not_measured() {
        let mut report = RunReport::default();
        let page = super::super::html::render(&report, &[]);
        assert!(
            page.contains("<h2>Time per layer</h2>\n<p>Not measured"),
            "{page}"
        );
        for (layer, median) in [
            ("com", 1.0),
            ("som", 2.0),
            ("rom", 3.0),
            ("activation", 40.0),
        ] {
            let p = Percentiles {
                count: 12,
                p50_ms: median,
                p99_ms: 2.0 * median,
                ..Default::default()
            };
            report.latency.layers.insert(layer.into(), p);
        }
        let page = super::super::html::render(&report, &[]);
        assert_eq!(page.matches("class=\"layer\"").count(), 8, "{page}");
        assert!(page.contains("<title>activation p99: 80.0 ms</title>"));
        // The medians end at their sum, the p99s at theirs.
        assert!(page.contains(">46.0 ms</text>") && page.contains(">92.0 ms</text>"));
        assert!(page.contains("12 sampled completed orders"));
    }
}
