//! HdrHistogram percentile-distribution files (`.hgrm`), values in milliseconds, in the
//! format of HdrHistogram's `outputPercentileDistribution` so the usual plotters read them.

use std::fmt::Write;

use hdrhistogram::Histogram;

/// Renders a microsecond histogram as a percentile distribution in milliseconds.
pub fn render(histogram: &Histogram<u64>) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    if !histogram.is_empty() {
        let mut total = 0_u64;
        for step in histogram.iter_quantiles(5) {
            total += step.count_since_last_iteration();
            let quantile = step.quantile_iterated_to();
            let inverse = if quantile < 1.0 {
                1.0 / (1.0 - quantile)
            } else {
                f64::INFINITY
            };
            let _ = writeln!(
                text,
                "{:>12.3} {:>14.12} {:>10} {:>14.2}",
                step.value_iterated_to() as f64 / 1_000.0,
                quantile,
                total,
                inverse
            );
        }
    }
    let _ = writeln!(
        text,
        "#[Mean    = {:>12.3}, StdDeviation   = {:>12.3}]",
        histogram.mean() / 1_000.0,
        histogram.stdev() / 1_000.0
    );
    let _ = writeln!(
        text,
        "#[Max     = {:>12.3}, Total count    = {:>12}]",
        histogram.max() as f64 / 1_000.0,
        histogram.len()
    );
    let _ = writeln!(
        text,
        "#[Buckets = {:>12}, SubBuckets     = {:>12}]",
        histogram.buckets(),
        histogram.distinct_values()
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distribution_ends_at_the_max_with_the_total_count() {
        let mut histogram = crate::observe::metrics::latency_histogram();
        for us in 1..=1_000 {
            histogram.saturating_record(us * 1_000);
        }
        let text = render(&histogram);
        assert!(text.starts_with("       Value"));
        assert!(text.contains("Total count    =         1000"));
        let last_row = text
            .lines()
            .rfind(|l| !l.starts_with('#') && !l.is_empty())
            .unwrap();
        assert!(last_row.contains("1.000000000000"), "{last_row}");
    }
}
