//! Shared helpers of the HTTP tests: validating JSON against the official TMF Swagger 2
//! definitions copied in `tests/tmf/`, and sample domain entities to render.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use serde_json::{Value, json};

/// TMF622 product ordering.
pub const TMF622: &str = "TMF622-ProductOrder-v4.0.0.swagger.json";
/// TMF641 service ordering.
pub const TMF641: &str = "TMF641-ServiceOrdering-v4.1.0.swagger.json";
/// TMF652 resource ordering.
pub const TMF652: &str = "TMF652-ResourceOrder-v4.0.0.swagger.json";
/// TMF640 service activation.
pub const TMF640: &str = "TMF640-ServiceActivation-v4.0.0.swagger.json";

/// Loads a copied spec file.
pub fn spec(file: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/tmf")
        .join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{file} is not JSON: {error}"))
}

/// TMF hrefs are often relative (`/tmf-api/...`) although the specs say `format: uri`; this
/// accepts a URI reference: non-empty, no whitespace, absolute or starting with `/`.
fn uri_reference(text: &str) -> bool {
    !text.is_empty()
        && !text.chars().any(char::is_whitespace)
        && (text.starts_with('/') || text.contains("://"))
}

/// Validates `instance` against `#/definitions/{definition}` of `file` (draft 4, formats
/// checked), panicking with every violation.
pub fn validate(file: &str, definition: &str, instance: &Value) {
    let spec = spec(file);
    let definitions = spec
        .get("definitions")
        .cloned()
        .unwrap_or_else(|| panic!("{file} has no definitions"));
    assert!(
        definitions.get(definition).is_some(),
        "{file} has no definition {definition}"
    );
    let schema = json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "$ref": format!("#/definitions/{definition}"),
        "definitions": definitions,
    });
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .with_format("uri", uri_reference)
        .build(&schema)
        .unwrap_or_else(|error| panic!("{file}#{definition} does not compile: {error}"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{definition} ({file}) violated:\n{}\ninstance: {}",
        errors.join("\n"),
        serde_json::to_string_pretty(instance).unwrap_or_default()
    );
}

/// Validates a TMF Error body and its status.
pub fn validate_error(body: &Value, status: u16) {
    validate(TMF622, "Error", body);
    assert_eq!(body["code"], status.to_string(), "{body}");
    assert_eq!(body["status"], status.to_string(), "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}
