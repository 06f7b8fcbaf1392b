//! `report.json`: the model, pretty-printed (schema: `loadgen/report.schema.json`).

use super::model::RunReport;

/// Renders the report as JSON.
pub fn render(report: &RunReport) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(report)? + "\n")
}
