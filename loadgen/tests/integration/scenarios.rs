//! Every shipped scenario parses with loadgen's parser and with the simulator's
//! `SimConfig::from_toml_str` (which also validates it), each variant too, and the README lists
//! each one.

use std::path::PathBuf;

fn scenario_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_shipped_scenario_parses_for_loadgen_and_the_simulator() {
    let files = scenario_files();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "quickstart",
        "baseline",
        "ramp-to-saturation",
        "cancellation-storm",
        "pool-exhaustion",
        "voltha-scale-2x16x32",
        "sync-vs-async",
        "activation-slowdown",
        "hung-element",
        "layer-crash",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected}.toml missing"
        );
    }
    let readme = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/README.md"
    ))
    .unwrap();
    for file in &files {
        let scenario = loadgen::plan::scenario::load(file).unwrap_or_else(|e| panic!("{e}"));
        if file.ends_with("layer-crash.toml") {
            let layers: Vec<&str> = scenario.crashes.iter().map(|c| c.layer()).collect();
            assert_eq!(
                layers,
                ["rom", "activation"],
                "layer-crash crashes ROM, then activation"
            );
        }
        let text = std::fs::read_to_string(file).unwrap();
        // The simulator reads the file with `[[variants]]` blanked out, and each variant merged.
        simulator::config::SimConfig::from_toml_str(&scenario.text, &file.display().to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        for variant in &scenario.variants {
            let merged =
                loadgen::plan::variant::simulator_text(&variant.apply(&scenario.simulator));
            simulator::config::SimConfig::from_toml_str(&merged, &variant.name)
                .unwrap_or_else(|e| panic!("{}: variant {}: {e}", file.display(), variant.name));
        }
        assert!(
            text.starts_with('#'),
            "{}: needs a header comment",
            file.display()
        );
        assert!(
            !scenario.thresholds.is_empty(),
            "{}: needs thresholds",
            file.display()
        );
        let name = file.file_name().unwrap().to_string_lossy();
        assert!(
            readme.contains(name.as_ref()),
            "README does not describe {name}"
        );
    }
}

#[test]
fn the_voltha_scenario_has_the_voltha_topology() {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/voltha-scale-2x16x32.toml"
    ));
    let text = std::fs::read_to_string(path).unwrap();
    let config = simulator::config::SimConfig::from_toml_str(&text, "voltha").unwrap();
    let olts: Vec<_> = config
        .network
        .regions
        .iter()
        .flat_map(|r| r.olts.iter())
        .collect();
    assert_eq!(olts.len(), 2);
    assert!(
        olts.iter()
            .all(|o| o.pon_ports == 16 && o.onus_per_port == 32)
    );
}
