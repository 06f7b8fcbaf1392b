//! loadgen against a split chain: the five `--role` servers started in this process on
//! 127.0.0.1:0, bottom-up, loadgen given only the COM process. It finds the others through
//! `/admin/peers`, audits each, makes the checks across them, and one of those finds the
//! configuration this test left on an element behind TMF640's back, while the others,
//! reading real stores full of the run's resources, find nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use simulator::config::SimConfig;
use simulator::http::Server;
use simulator::layers::LayerId;
use simulator::runtime::transport::Role;

use crate::common;

const SCENARIO: &str = r#"
name = "split-audit"
seed = 23
[profiles.default]
latency = { distribution = "fixed", ms = 1.0 }
[load]
rate = 40
duration = "1s"
drain_timeout = "30s"
[load.mix]
add_fibre = 80
add_bundle = 20
[thresholds]
checks = ["open_at_end == 0", "leaks == 0", "audit_findings == 0"]
"#;

async fn start(config: &SimConfig, role: Role, peers: &[(LayerId, &Server)]) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let peers: BTreeMap<LayerId, String> = peers
        .iter()
        .map(|(layer, server)| (*layer, format!("http://{}", server.local_addr)))
        .collect();
    Server::start_role(config.clone(), listener, role, peers)
        .await
        .expect("role server starts")
}

/// Configures service `ACT-999999` on element 0 directly on the network, as no TMF640 service
/// did, and waits (bounded) until the network lists it.
async fn leave_an_orphan_configuration(network: &Server) {
    let base = format!("http://{}", network.local_addr);
    let http = reqwest::Client::new();
    let operation = json!({"operationId": 1, "replyTo": "activation",
        "callback": format!("{base}/nowhere"),
        "operation": {"kind": "configure", "element": 0, "service": 999_999}});
    let answer = http
        .post(format!("{base}/network/v1/operation"))
        .json(&operation)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    for _ in 0..500 {
        let listed: Vec<Value> = http
            .get(format!("{base}/network/v1/configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if listed.iter().any(|c| c["service"] == 999_999) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the network never listed the configuration");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_chain_is_audited_across_its_processes() {
    let dir = common::scratch("split");
    let path = common::scenario(&dir, SCENARIO);
    let config = SimConfig::from_toml_str(SCENARIO, "split-audit").unwrap();
    let network = start(&config, Role::Network, &[]).await;
    let activation = start(&config, Role::Activation, &[(LayerId::Network, &network)]).await;
    let rom = start(
        &config,
        Role::Rom,
        &[
            (LayerId::Activation, &activation),
            (LayerId::Network, &network),
        ],
    )
    .await;
    let som = start(&config, Role::Som, &[(LayerId::Rom, &rom)]).await;
    let com = start(&config, Role::Com, &[(LayerId::Som, &som)]).await;
    leave_an_orphan_configuration(&network).await;

    let target = format!("http://{}", com.local_addr);
    let outcome = loadgen::run(common::options(path, &target, &dir))
        .await
        .unwrap();
    let report = &outcome.report;
    let verdict = &report.verdict;
    let roles: Vec<&str> = verdict.processes.iter().map(|p| p.role.as_str()).collect();
    assert_eq!(roles, ["com", "som", "rom", "activation", "network"]);
    assert!(verdict.processes.iter().all(|p| p.audit.ok == Some(true)));
    let cross = verdict.cross.as_ref().expect("checked across processes");
    assert!(cross.not_checked.is_empty(), "{:?}", cross.not_checked);
    let count = |check: &str| cross.checks.get(check).copied();
    assert_eq!(
        count("orphan_configuration"),
        Some(1),
        "{:?}",
        cross.examples
    );
    assert_eq!(count("leaked_resource"), Some(0), "{:?}", cross.examples);
    assert_eq!(count("ghost_resource"), Some(0));
    assert_eq!(count("activation_disagreement"), Some(0));
    assert!(cross.allocations.unwrap() > 0 && cross.active_services.unwrap() > 0);
    assert_eq!(cross.allocations, cross.resources_in_use);
    // Leaks were measured (across processes and in ROM's inventory), not assumed.
    assert_eq!(report.leaks(), Some(0));
    assert!(verdict.outside.resources_scanned > 0);
    assert!(!verdict.audit.not_checked.iter().any(|c| c.contains("leak")));
    assert!(
        verdict
            .audit
            .not_checked
            .iter()
            .any(|c| c == "parent_child_disagreement")
    );
    // The orphan fails the audit threshold, and says so in every format.
    assert_eq!(verdict.audit.ok, Some(false));
    assert_eq!(outcome.exit_code(), 1);
    let summary = loadgen::report::summary::render(report, &dir);
    assert!(summary.contains("orphan_configuration 1"), "{summary}");
    assert!(summary.contains("5 processes audited"), "{summary}");
    let report_dir = outcome.report_dir.clone();
    let html = std::fs::read_to_string(report_dir.join("report.html")).unwrap();
    assert!(html.contains("orphan_configuration 1"));
    common::check_schema(&report_dir.join("report.json"));
}
