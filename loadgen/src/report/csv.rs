//! `series.csv`: the per-second series as CSV (one row per second of the run, a header row
//! first), for spreadsheets and plotting tools. Same numbers as `report.json`'s `series`.

use std::fmt::Write;

use super::model::RunReport;

/// The CSV header.
pub const HEADER: &str = "second,submitted,completed,failed,partial,cancelled,rejected,\
errors,e2e_p50_ms,e2e_p90_ms,e2e_p99_ms,e2e_max_ms";

/// Renders the report's series; the latency cells are empty in a second without an ending.
pub fn render(report: &RunReport) -> String {
    let mut csv = String::with_capacity(64 * (report.series.len() + 1));
    let _ = writeln!(csv, "{HEADER}");
    for p in &report.series {
        let latency = p.e2e_ms.map_or_else(
            || ",,,".to_string(),
            |[p50, p90, p99, max]| format!("{p50:.3},{p90:.3},{p99:.3},{max:.3}"),
        );
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{latency}",
            p.second,
            p.submitted,
            p.completed,
            p.failed,
            p.partial,
            p.cancelled,
            p.rejected,
            p.errors
        );
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::SeriesPoint;

    #[test]
    fn one_row_per_second_with_empty_latency_when_nothing_ended() {
        let series = vec![
            SeriesPoint {
                second: 0,
                submitted: 5,
                ..SeriesPoint::default()
            },
            SeriesPoint {
                second: 1,
                completed: 4,
                failed: 1,
                e2e_ms: Some([10.0, 20.0, 30.0, 40.5]),
                ..SeriesPoint::default()
            },
        ];
        let report = RunReport {
            series,
            ..RunReport::default()
        };
        let csv = render(&report);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], HEADER);
        assert_eq!(lines[1], "0,5,0,0,0,0,0,0,,,,");
        assert_eq!(lines[2], "1,0,4,1,0,0,0,0,10.000,20.000,30.000,40.500");
        let columns = HEADER.split(',').count();
        assert!(lines.iter().all(|line| line.split(',').count() == columns));
    }
}
