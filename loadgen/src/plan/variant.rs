//! Scenario variants: `[[variants]]` tables that override some simulator keys, so that
//! `loadgen compare` can run the same load, seed and network against each of them in turn.
//!
//! ```toml
//! [[variants]]
//! name = "sync"
//! description = "COM → SOM → ROM → activation, each call waiting"
//! chain = { mode = "sync", workers = 16, call_timeout_ms = 2000 }
//! profiles.activate = { latency = { distribution = "fixed", ms = 50.0 } }
//! ```
//!
//! A variant may override `[chain]`, `[limits]` and `[profiles]`; tables are merged key by key
//! into the scenario's own sections (a value replaces, a table merges). Each variant is
//! checked against the simulator's own configuration rules while the scenario is read, so a
//! misspelt key or a bad value is an error naming the file and the line of the section.

use serde::Deserialize;
use toml::Spanned;

/// Most variants in one scenario.
pub const VARIANTS_MAX: usize = 8;

/// One variant as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VariantSection {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    chain: Option<Spanned<toml::Table>>,
    limits: Option<Spanned<toml::Table>>,
    profiles: Option<Spanned<toml::Table>>,
}

/// A validated variant.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    /// Short name (`async`, `sync`), unique in the scenario; used in file names.
    pub name: String,
    /// What it changes, for people.
    pub description: String,
    /// The overriding sections (`chain`, `limits`, `profiles`), as written.
    pub overrides: toml::Table,
    /// 1-based line of the variant's `name` in the scenario file.
    pub line: usize,
}

impl Variant {
    /// A variant that only sets `chain.mode` (used when a scenario declares none).
    pub fn chain_mode(mode: &str) -> Variant {
        let mut chain = toml::Table::new();
        chain.insert("mode".into(), toml::Value::String(mode.into()));
        let mut overrides = toml::Table::new();
        overrides.insert("chain".into(), toml::Value::Table(chain));
        Variant {
            name: mode.to_string(),
            description: format!("chain.mode = \"{mode}\""),
            overrides,
            line: 0,
        }
    }

    /// The simulator's sections with this variant's overrides merged in.
    pub fn apply(&self, base: &toml::Table) -> toml::Table {
        let mut merged = base.clone();
        merge(&mut merged, &self.overrides);
        merged
    }

    /// The overrides as `section.key = value` lines, for reports.
    pub fn override_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        flatten("", &self.overrides, &mut lines);
        lines
    }
}

fn flatten(prefix: &str, table: &toml::Table, lines: &mut Vec<String>) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&path, inner, lines),
            other => lines.push(format!("{path} = {other}")),
        }
    }
}

/// Merges `overrides` into `target`: tables merge key by key, anything else replaces.
pub fn merge(target: &mut toml::Table, overrides: &toml::Table) {
    for (key, value) in overrides {
        match (target.get_mut(key), value) {
            (Some(toml::Value::Table(existing)), toml::Value::Table(inner)) => {
                merge(existing, inner);
            }
            _ => {
                target.insert(key.clone(), value.clone());
            }
        }
    }
}

/// The simulator configuration text for `table` (what the embedded simulator parses).
pub fn simulator_text(table: &toml::Table) -> String {
    toml::to_string(table).unwrap_or_default()
}

/// Why a variant is not valid: the byte span it concerns and what is wrong.
pub(crate) type VariantError = (Option<std::ops::Range<usize>>, String);

/// Validates the written variants against `base` (the scenario's simulator sections).
pub(crate) fn validate(
    sections: Vec<VariantSection>,
    base: &toml::Table,
    line_of: &dyn Fn(usize) -> usize,
) -> Result<Vec<Variant>, VariantError> {
    if sections.len() > VARIANTS_MAX {
        let span = sections.get(VARIANTS_MAX).map(|s| s.name.span());
        return Err((span, format!("at most {VARIANTS_MAX} variants")));
    }
    let mut variants: Vec<Variant> = Vec::new();
    for section in sections {
        let name_span = section.name.span();
        let name = section.name.get_ref().clone();
        let name_ok = !name.is_empty()
            && name.len() <= 32
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            return Err((
                Some(name_span),
                format!("variant name `{name}` must be 1-32 characters of a-z, 0-9, - and _"),
            ));
        }
        if variants.iter().any(|v| v.name == name) {
            return Err((Some(name_span), format!("variant `{name}` declared twice")));
        }
        let mut overrides = toml::Table::new();
        let parts = [
            ("chain", section.chain),
            ("limits", section.limits),
            ("profiles", section.profiles),
        ];
        for (key, part) in parts {
            let Some(part) = part else { continue };
            let span = part.span();
            let mut alone = toml::Table::new();
            alone.insert(key.into(), toml::Value::Table(part.into_inner()));
            let mut merged = base.clone();
            merge(&mut merged, &alone);
            check_simulator(&merged).map_err(|m| {
                (
                    Some(span.clone()),
                    format!("variant `{name}`, [{key}]: {m}"),
                )
            })?;
            merge(&mut overrides, &alone);
        }
        variants.push(Variant {
            name,
            description: section.description,
            overrides,
            line: line_of(name_span.start),
        });
    }
    Ok(variants)
}

/// Checks a whole simulator configuration the way the simulator will read it.
fn check_simulator(table: &toml::Table) -> Result<(), String> {
    let text = simulator_text(table);
    match simulator::config::SimConfig::from_toml_str(&text, "variant") {
        Ok(_) => Ok(()),
        Err(simulator::config::ConfigError::Syntax { message, .. }) => Err(message),
        Err(other) => Err(other
            .to_string()
            .trim_start_matches("variant: ")
            .to_string()),
    }
}

/// `text` with every `[[variants]]` table blanked out (lines kept, so the simulator's own
/// errors still name the right line of the file).
pub fn blank_variants(text: &str) -> String {
    let mut inside = false;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if is_header(trimmed) {
            let name = trimmed.trim_start_matches('[').trim_start();
            inside = name.starts_with("variants]")
                || name.starts_with("variants.")
                || name.starts_with("\"variants\"");
        }
        if inside {
            if line.ends_with('\n') {
                out.push('\n');
            }
        } else {
            out.push_str(line);
        }
    }
    out
}

fn is_header(trimmed: &str) -> bool {
    let Some(rest) = trimmed.strip_prefix('[') else {
        return false;
    };
    let rest = rest.strip_prefix('[').unwrap_or(rest).trim_start();
    rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '"')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_replaces_values_and_merges_tables() {
        let mut base: toml::Table =
            toml::from_str("[chain]\nworkers = 4\nmode = \"async\"\n[limits]\nx = 1\n").unwrap();
        let overrides: toml::Table = toml::from_str("[chain]\nmode = \"sync\"\n").unwrap();
        merge(&mut base, &overrides);
        assert_eq!(base["chain"]["mode"].as_str(), Some("sync"));
        assert_eq!(base["chain"]["workers"].as_integer(), Some(4));
        assert_eq!(base["limits"]["x"].as_integer(), Some(1));
    }

    #[test]
    fn blanking_keeps_lines_and_other_sections() {
        let text = "a = 1\n[[variants]]\nname = \"x\"\nchain = { mode = \"sync\" }\n[load]\nrate = 1\n[[variants]]\nname = \"y\"\n[variants.profiles]\n";
        let blanked = blank_variants(text);
        assert_eq!(blanked.lines().count(), text.lines().count());
        assert!(!blanked.contains("variants") && !blanked.contains("sync"));
        assert!(blanked.contains("[load]\nrate = 1\n"));
    }
}
