//! `junit.xml`: the thresholds as JUnit test cases, for CI systems that show test reports
//! (GitLab, Jenkins, GitHub actions that read JUnit). One `<testsuite>` per run, one
//! `<testcase>` per threshold: a failed threshold is a `<failure>`, an optional one that was
//! not measured is `<skipped>`, with the reason.

use std::fmt::Write;

use super::model::RunReport;

/// Renders the report's thresholds as JUnit XML.
pub fn render(report: &RunReport) -> String {
    let failures = report.thresholds.iter().filter(|t| !t.passed).count();
    let skipped = report
        .thresholds
        .iter()
        .filter(|t| t.result() == "skip")
        .count();
    let suite = escape(&format!("loadgen {}", report.scenario.name));
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites><testsuite name=\"{suite}\" tests=\"{}\" failures=\"{failures}\" \
         skipped=\"{skipped}\" errors=\"0\" time=\"{:.3}\" timestamp=\"{}\">",
        report.thresholds.len(),
        report.wall_s,
        escape(&report.started_at)
    );
    for threshold in &report.thresholds {
        let name = escape(&threshold.label());
        let _ = write!(
            xml,
            "  <testcase classname=\"{suite}\" name=\"{name}\" time=\"0\""
        );
        let why = threshold.why.as_deref().unwrap_or("");
        match threshold.result() {
            "pass" => xml.push_str("/>\n"),
            "skip" => {
                let _ = writeln!(
                    xml,
                    "><skipped message=\"not measured: {}\"/></testcase>",
                    escape(why)
                );
            }
            _ => {
                let message = match &threshold.why {
                    Some(why) => format!("not measured: {why}"),
                    None => format!("measured {}", threshold.shown),
                };
                let _ = writeln!(
                    xml,
                    "><failure message=\"{}\" type=\"threshold\">{}: {}</failure></testcase>",
                    escape(&message),
                    name,
                    escape(&message)
                );
            }
        }
    }
    xml.push_str("</testsuite></testsuites>\n");
    xml
}

/// `s` with the five XML special characters escaped.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::thresholds::Threshold;

    #[test]
    fn each_threshold_is_a_test_case_and_a_failure_says_its_value() {
        let mut report = RunReport::default();
        report.scenario.name = "ci <smoke>".into();
        report.verdict.outside.lost_orders = 2;
        let checks: Vec<Threshold> = ["lost_orders == 0", "open_at_end == 0"]
            .iter()
            .map(|t| t.parse().expect("threshold"))
            .collect();
        report.evaluate(&checks);
        let xml = render(&report);
        assert!(xml.contains("name=\"loadgen ci &lt;smoke&gt;\""), "{xml}");
        let cases = xml.matches("<testcase").count();
        assert_eq!(cases, report.thresholds.len());
        assert!(xml.contains("failures=\"1\""), "{xml}");
        assert!(xml.contains("<failure message=\"measured 2\""), "{xml}");
        // The implicit audit check: no audit answered, so it is skipped, with why.
        assert!(
            xml.contains("<skipped message=\"not measured: the target has no audit"),
            "{xml}"
        );
    }
}
