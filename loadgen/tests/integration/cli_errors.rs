//! Operator mistakes on the command line get a sentence and a non-zero exit (issue 12, item
//! 8): `--virtual-time` with `--target`, and `fault clear` of a fault that does not exist
//! (which names the faults that do), against a real simulator bound to port 0.

use std::process::Output;

use simulator::config::SimConfig;
use simulator::http::Server;

const SCENARIO: &str = "name = \"cli\"\n[load]\nrate = 10\nduration = \"1s\"\n";

async fn loadgen(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(args)
        .output()
        .await
        .expect("loadgen runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn virtual_time_with_a_target_is_refused() {
    let dir = crate::common::scratch("cli-virtual");
    let path = crate::common::scenario(&dir, SCENARIO);
    let path = path.to_str().expect("UTF-8 path");
    let args = [
        "run",
        path,
        "--virtual-time",
        "--target",
        "http://127.0.0.1:9",
    ];
    let output = loadgen(&args).await;
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clearing_a_fault_that_does_not_exist_fails_and_names_the_ones_that_do() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = Server::start(SimConfig::default(), listener).await.unwrap();
    let target = format!("http://{}", server.local_addr);
    let add = [
        "fault",
        "add",
        "--kind",
        "latency",
        "--name",
        "slow",
        "--on",
        "olt:olt-north-1",
        "--added-ms",
        "50",
        "--target",
        &target,
    ];
    assert!(loadgen(&add).await.status.success());

    let clear = ["fault", "clear", "--name", "nope", "--target", &target];
    let output = loadgen(&clear).await;
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no fault named `nope`; the faults are: slow"),
        "{stderr}"
    );
    let clear = ["fault", "clear", "--name", "slow", "--target", &target];
    let output = loadgen(&clear).await;
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout), "removed slow\n");
    server.shutdown().await.unwrap();
}
