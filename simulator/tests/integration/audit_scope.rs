//! A `--role` process holds one layer, so its `/admin/audit` cannot compare layers: those checks
//! are listed as not checked rather than run against empty stores (issue 12: a ROM process's
//! audit reported ghost resources and the network process's leaked ones after a clean order).

use serde_json::Value;

use crate::process_support;

#[tokio::test]
async fn a_single_layer_process_lists_the_cross_layer_checks_as_not_checked() {
    let process = process_support::start(&["--role", "network"]);
    let audit: Value = reqwest::get(format!("{}/admin/audit", process.base))
        .await
        .expect("audit answered")
        .json()
        .await
        .expect("json");
    let not_checked: Vec<&str> = audit["not_checked"]
        .as_array()
        .expect("not_checked listed")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for check in [
        "leaked_resource",
        "ghost_resource",
        "parent_child_disagreement",
    ] {
        assert!(not_checked.contains(&check), "{check} in {audit}");
    }
    let run: Vec<&str> = audit["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|finding| finding["check"].as_str())
        .collect();
    assert!(run.contains(&"double_allocation"), "{audit}");
    assert!(
        !run.iter().any(|check| not_checked.contains(check)),
        "{audit}"
    );
}
