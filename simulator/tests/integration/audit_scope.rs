//! A `--role` process holds one layer, so its `/admin/audit` cannot compare layers: those checks
//! are listed as not checked rather than run against empty stores (issue 12: a ROM process's
//! audit reported ghost resources and the network process's leaked ones after a clean order).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

#[tokio::test]
async fn a_single_layer_process_lists_the_cross_layer_checks_as_not_checked() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_simulator"))
        .args(["--listen", "127.0.0.1:0", "--role", "network"])
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("simulator starts");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout piped");
    let mut reader = BufReader::new(stdout);
    reader.read_line(&mut line).expect("address line");
    let address = line
        .trim()
        .rsplit("http://")
        .next()
        .unwrap_or_default()
        .to_string();
    let audit: Result<Value, _> = async {
        reqwest::get(format!("http://{address}/admin/audit"))
            .await?
            .json()
            .await
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    let audit = audit.expect("audit answered");
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
