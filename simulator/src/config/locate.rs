//! Where a key path (`profiles.default.failure_probability`, `faults[2].target`) is written in
//! a scenario's text, as line and column: so that a value the semantic checks refuse is
//! reported at its place in the file, like a syntax error, and not only by its path.

use toml::de::{DeTable, DeValue};

/// The line and column (from 1) of the value at `path` in `text`, or of the deepest part of
/// the path that is written there (a default that was not written has no place: `None`).
pub(super) fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    let root = DeTable::parse(text).ok()?;
    let mut table = root.get_ref();
    let mut found = None;
    for part in path.split('.') {
        let (name, index) = split_index(part);
        let Some(value) = table.get(name) else {
            break;
        };
        found = Some(value.span().start);
        let mut value = value.get_ref();
        if let Some(index) = index {
            let DeValue::Array(items) = value else {
                break;
            };
            let Some(item) = items.get(index) else {
                break;
            };
            found = Some(item.span().start);
            value = item.get_ref();
        }
        match value {
            DeValue::Table(inner) => table = inner,
            _ => break,
        }
    }
    found.map(|offset| super::line_and_column(text, offset))
}

/// `olts[1]` → (`olts`, Some(1)); `name` → (`name`, None).
fn split_index(part: &str) -> (&str, Option<usize>) {
    let Some((name, rest)) = part.split_once('[') else {
        return (part, None);
    };
    let index = rest.strip_suffix(']').and_then(|n| n.parse().ok());
    (name, index)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "name = \"x\"\n[profiles.default]\nfailure_probability = 1.5\n\
        [[faults]]\nname = \"a\"\n[[faults]]\nname = \"b\"\ntarget = \"olt:nowhere\"\n";

    #[test]
    fn nested_keys_and_array_entries_are_found() {
        assert_eq!(
            locate(TEXT, "profiles.default.failure_probability"),
            Some((3, 23))
        );
        assert_eq!(locate(TEXT, "faults[1].target"), Some((8, 10)));
        assert_eq!(locate(TEXT, "name"), Some((1, 8)));
    }

    #[test]
    fn a_path_not_written_gives_its_deepest_written_part_or_nothing() {
        assert_eq!(locate(TEXT, "chain.workers"), None);
        assert!(locate(TEXT, "faults[1].kind").is_some());
        assert_eq!(locate("not toml [", "a"), None);
    }
}
