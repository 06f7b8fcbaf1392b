//! The sample report committed under `reports/samples/quickstart/` (linked from the README)
//! cannot rot silently: its `report.json` validates against the current report schema and
//! has every field the current report model writes, and its page is one `report.html` writes
//! (the charts' data and script included). Regenerate it with the command in
//! `reports/samples/README.md` when this fails.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/samples/quickstart")
}

/// Every key path of `value`'s objects (arrays looked into, map keys of free-form maps
/// included as they are).
fn key_paths(value: &Value, prefix: &str, into: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let path = format!("{prefix}/{key}");
                into.insert(path.clone());
                key_paths(child, &path, into);
            }
        }
        Value::Array(list) => list.iter().for_each(|item| key_paths(item, prefix, into)),
        _ => {}
    }
}

#[test]
fn the_committed_sample_report_matches_the_current_report_model() {
    let folder = sample();
    crate::common::check_schema(&folder.join("report.json"));
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("report.json")).unwrap())
            .unwrap();
    // Every field the model writes for an empty report is in the sample too.
    let current = serde_json::to_value(loadgen::report::model::RunReport::default()).unwrap();
    let (mut wanted, mut have) = (BTreeSet::new(), BTreeSet::new());
    key_paths(&current, "", &mut wanted);
    key_paths(&committed, "", &mut have);
    let missing: Vec<&String> = wanted.difference(&have).collect();
    assert!(
        missing.is_empty(),
        "the sample lacks {missing:#?}: regenerate it"
    );
    let page = std::fs::read_to_string(folder.join("report.html")).unwrap();
    assert!(
        page.contains("data-chart=") && page.contains("<script>"),
        "an old page"
    );
    for file in ["report.md", "series.csv", "junit.xml"] {
        assert!(folder.join(file).exists(), "{file} missing from the sample");
    }
}
