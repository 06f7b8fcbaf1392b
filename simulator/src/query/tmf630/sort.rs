//! `sort=attr` (ascending) and `sort=-attr` (descending), a comma list of keys compared in
//! turn; entities that compare equal keep their store order (the sort is stable).

use std::cmp::Ordering;

use serde_json::Value;

use super::QueryError;
use super::filter::{leaves_at, split_path};
use super::schema::Resource;
use super::value::sort_order;

/// How many sort keys one request may name at most.
pub const SORT_KEYS_MAX: usize = 8;

/// One sort key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortKey {
    /// The attribute, split at its dots.
    pub path: Vec<String>,
    /// Whether it sorts from the largest down.
    pub descending: bool,
}

/// Adds the keys of one `sort` parameter (`-` before a name: descending; `+` or nothing:
/// ascending), refusing an attribute `resource` does not have.
pub fn add_keys(keys: &mut Vec<SortKey>, resource: Resource, list: &str) -> Result<(), QueryError> {
    for name in list
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        let (descending, name) = match name.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, name.trim_start_matches('+')),
        };
        let path = split_path(name, "sort key")?;
        if !resource.has(&path) {
            return Err(QueryError::unknown(resource, "`sort` names", name));
        }
        keys.push(SortKey { path, descending });
        if keys.len() > SORT_KEYS_MAX {
            return Err(QueryError::new(format!(
                "`sort` names more than {SORT_KEYS_MAX} keys"
            )));
        }
    }
    Ok(())
}

/// The values `rendered` sorts by: the first value at each key's path.
pub fn sort_values(keys: &[SortKey], rendered: &Value) -> Vec<Option<Value>> {
    keys.iter()
        .map(|key| {
            let mut leaves = Vec::new();
            leaves_at(rendered, &key.path, &mut leaves);
            leaves.first().map(|leaf| (*leaf).clone())
        })
        .collect()
}

/// Compares two entities' sort values key by key; an absent value comes last either way.
pub fn compare(keys: &[SortKey], a: &[Option<Value>], b: &[Option<Value>]) -> Ordering {
    for (key, (a, b)) in keys.iter().zip(a.iter().zip(b)) {
        let order = match (a, b, key.descending) {
            (Some(a), Some(b), true) => sort_order(Some(b), Some(a)),
            _ => sort_order(a.as_ref(), b.as_ref()),
        };
        if order.is_ne() {
            return order;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_by_keys_in_turn_both_ways_absent_last() {
        let mut keys = Vec::new();
        add_keys(&mut keys, Resource::ProductOrder, "-state, +orderDate").expect("ok");
        assert_eq!(keys.len(), 2);
        assert!(keys[0].descending && !keys[1].descending);
        let mut rows = [
            json!({"id": "1", "state": "completed", "orderDate": "2026-01-02T00:00:00Z"}),
            json!({"id": "2", "state": "failed", "orderDate": "2026-01-03T00:00:00Z"}),
            json!({"id": "3", "state": "completed", "orderDate": "2026-01-01T00:00:00+00:00"}),
            json!({"id": "4"}),
        ];
        rows.sort_by(|a, b| compare(&keys, &sort_values(&keys, a), &sort_values(&keys, b)));
        let ids: Vec<&str> = rows
            .iter()
            .map(|row| row["id"].as_str().expect("id"))
            .collect();
        assert_eq!(ids, ["2", "3", "1", "4"]);
    }

    #[test]
    fn refuses_unknown_keys() {
        let mut keys = Vec::new();
        for bad in ["foo", "-foo", "state,productOrderItem.nope", "-", "a..b"] {
            assert!(
                add_keys(&mut keys, Resource::ProductOrder, bad).is_err(),
                "{bad}"
            );
        }
        let many = ["state"; SORT_KEYS_MAX + 1].join(",");
        assert!(add_keys(&mut Vec::new(), Resource::ProductOrder, &many).is_err());
    }
}
