//! The `simulator` binary's command line: help, and bad scenarios reported with the file, the
//! line and what is wrong, exit code 2.

use std::process::Command;

fn simulator() -> Command {
    Command::new(env!("CARGO_BIN_EXE_simulator"))
}

#[test]
fn help_explains_each_option() {
    let output = simulator().arg("--help").output().expect("runs");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for option in ["--listen", "--scenario"] {
        assert!(text.contains(option), "help mentions {option}:\n{text}");
    }
}

#[test]
fn a_bad_scenario_names_file_and_line_and_exits_2() {
    let directory = std::env::temp_dir().join(format!("ordersim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&directory).expect("temp dir");
    let path = directory.join("bad.toml");
    std::fs::write(&path, "seed = 1\n\n[chain]\nwokers = 4\n").expect("write scenario");
    let output = simulator()
        .arg("--scenario")
        .arg(&path)
        .arg("--listen")
        .arg("127.0.0.1:0")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("bad.toml:4"), "names file and line: {text}");
    assert!(text.contains("wokers"), "names the unknown key: {text}");
}

#[test]
fn a_missing_scenario_file_exits_2() {
    let output = simulator()
        .args(["--scenario", "/nonexistent/scenario.toml"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/scenario.toml"));
}

#[test]
fn a_non_loopback_address_without_a_token_exits_2() {
    let output = simulator()
        .args(["--listen", "0.0.0.0:0"])
        .env_remove("ORDERSIM_ADMIN_TOKEN")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8_lossy(&output.stderr);
    for needle in [
        "0.0.0.0:0",
        "--admin-token",
        "ORDERSIM_ADMIN_TOKEN",
        "--insecure",
    ] {
        assert!(text.contains(needle), "says {needle}: {text}");
    }
}
