//! TMF630 attribute filters: `attr=value`, OR by `attr=a,b` (or `a;b`) or by repeating the
//! attribute, operators `.eq .ne .gt .gte .lt .lte` on dates and numbers, and dotted paths into
//! nested objects and arrays (`productOrderItem.action=add` matches when any item has it).

use serde_json::Value;

use super::QueryError;
use super::schema::Resource;
use super::value::Operand;

/// How many values one filter may OR at most.
pub const OPERANDS_MAX: usize = 64;

/// TMF630 operators this API does not offer; named so the refusal says "operator".
const UNSUPPORTED_OPERATORS: [&str; 8] = [
    "regex",
    "like",
    "in",
    "nin",
    "contains",
    "exists",
    "startsWith",
    "endsWith",
];

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    /// Equal to any of the values (no suffix, or `.eq`).
    Eq,
    /// Equal to none of the values (`.ne`).
    Ne,
    /// Greater than (`.gt`).
    Gt,
    /// Greater than or equal (`.gte`).
    Gte,
    /// Less than (`.lt`).
    Lt,
    /// Less than or equal (`.lte`).
    Lte,
}

impl Operator {
    fn from_suffix(suffix: &str) -> Option<Operator> {
        Some(match suffix {
            "eq" => Operator::Eq,
            "ne" => Operator::Ne,
            "gt" => Operator::Gt,
            "gte" => Operator::Gte,
            "lt" => Operator::Lt,
            "lte" => Operator::Lte,
            _ => return None,
        })
    }
}

/// One filter: a path, an operator and the values it compares with.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    /// The attribute, split at its dots.
    pub path: Vec<String>,
    /// The comparison.
    pub operator: Operator,
    /// The values (several only for `Eq` and `Ne`).
    pub operands: Vec<Operand>,
}

/// `text` cut to 64 characters, to be quoted in an error.
pub fn short(text: &str) -> String {
    text.chars().take(64).collect()
}

/// Splits a dotted name into its segments, refusing empty ones (`a..b`, `.a`).
pub fn split_path(name: &str, what: &str) -> Result<Vec<String>, QueryError> {
    let path: Vec<String> = name.split('.').map(String::from).collect();
    if path.iter().any(String::is_empty) {
        return Err(QueryError::new(format!(
            "{what} `{name}` is not an attribute path"
        )));
    }
    Ok(path)
}

impl Filter {
    /// Reads `name=value` for `resource`: refuses an attribute it does not have, an
    /// unsupported operator, and `.gt`-like operators on anything but one date or number.
    pub fn parse(resource: Resource, name: &str, value: &str) -> Result<Filter, QueryError> {
        let mut path = split_path(name, "filter")?;
        let name = short(name);
        let operator = match path.last().and_then(|last| Operator::from_suffix(last)) {
            Some(operator) if path.len() > 1 => {
                path.pop();
                operator
            }
            _ => Operator::Eq,
        };
        if !resource.has(&path) {
            let last = path.last().map(String::as_str).unwrap_or_default();
            if path.len() > 1 && UNSUPPORTED_OPERATORS.contains(&last) {
                return Err(QueryError::new(format!(
                    "filter operator `.{last}` in `{name}` is not supported (supported: .eq .ne \
                     .gt .gte .lt .lte)"
                )));
            }
            return Err(QueryError::unknown(resource, "filter on", &name));
        }
        let operands: Vec<Operand> = value.split([',', ';']).map(Operand::new).collect();
        if operands.len() > OPERANDS_MAX {
            return Err(QueryError::new(format!(
                "filter `{name}` has more than {OPERANDS_MAX} values"
            )));
        }
        let ordered = !matches!(operator, Operator::Eq | Operator::Ne);
        if ordered && (operands.len() != 1 || !operands[0].is_ordered()) {
            return Err(QueryError::new(format!(
                "filter `{name}` compares one RFC 3339 date or number, not `{}`",
                value.chars().take(64).collect::<String>()
            )));
        }
        Ok(Filter {
            path,
            operator,
            operands,
        })
    }

    /// Whether this filter ORs with `other` (same path, both `Eq` or both `Ne`), in which
    /// case `other`'s values join this one's.
    pub fn absorb(&mut self, other: &Filter) -> bool {
        let joinable = self.path == other.path
            && self.operator == other.operator
            && matches!(self.operator, Operator::Eq | Operator::Ne)
            && self.operands.len() + other.operands.len() <= OPERANDS_MAX;
        if joinable {
            self.operands.extend(other.operands.iter().cloned());
        }
        joinable
    }

    /// Whether `rendered` passes: for `Ne`, no value at the path equals any operand; for the
    /// others, some value at the path satisfies the comparison.
    pub fn matches(&self, rendered: &Value) -> bool {
        let mut leaves = Vec::new();
        leaves_at(rendered, &self.path, &mut leaves);
        let equal = |leaf: &&Value| self.operands.iter().any(|op| op.equals(leaf));
        let wanted = |leaf: &&Value| {
            let Some(order) = self.operands.first().and_then(|op| op.order(leaf)) else {
                return false;
            };
            match self.operator {
                Operator::Gt => order.is_gt(),
                Operator::Gte => order.is_ge(),
                Operator::Lt => order.is_lt(),
                Operator::Lte => order.is_le(),
                Operator::Eq | Operator::Ne => false,
            }
        };
        match self.operator {
            Operator::Eq => leaves.iter().any(equal),
            Operator::Ne => !leaves.iter().any(equal),
            _ => leaves.iter().any(wanted),
        }
    }

    /// Whether a domain value (a state or an external id) passes this `Eq` or `Ne` filter.
    pub fn matches_text(&self, text: Option<&str>) -> bool {
        let equal = text.is_some_and(|text| {
            let leaf = Value::String(text.to_string());
            self.operands.iter().any(|op| op.equals(&leaf))
        });
        match self.operator {
            Operator::Eq => equal,
            Operator::Ne => !equal,
            _ => false,
        }
    }
}

/// Every value at `path` below `value`, looking into each element of arrays on the way (and
/// of an array at the end).
pub fn leaves_at<'a>(value: &'a Value, path: &[String], into: &mut Vec<&'a Value>) {
    match (value, path.split_first()) {
        (Value::Array(elements), _) => {
            for element in elements {
                leaves_at(element, path, into);
            }
        }
        (_, None) => into.push(value),
        (Value::Object(map), Some((first, rest))) => {
            if let Some(child) = map.get(first) {
                leaves_at(child, rest, into);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn filter(name: &str, value: &str) -> Filter {
        Filter::parse(Resource::ProductOrder, name, value).expect("filter")
    }

    #[test]
    fn parses_operators_paths_and_or_lists() {
        let f = filter("orderDate.gte", "2026-01-01T00:00:00Z");
        assert_eq!(
            (f.path.as_slice(), f.operator),
            (&["orderDate".to_string()][..], Operator::Gte)
        );
        let f = filter("state", "completed,failed;partial");
        assert_eq!(f.operands.len(), 3);
        let f = filter("productOrderItem.action.ne", "add");
        assert_eq!((f.path.len(), f.operator), (2, Operator::Ne));
        let mut first = filter("state", "completed");
        assert!(first.absorb(&filter("state.eq", "failed")));
        assert!(!first.absorb(&filter("state.ne", "failed")));
        assert_eq!(first.operands.len(), 2);
    }

    #[test]
    fn refuses_unknown_attributes_operators_and_values() {
        for (name, value, needle) in [
            ("foo", "bar", "has no attribute `foo`"),
            ("productOrderItem.foo", "x", "`productOrderItem.foo`"),
            ("state.regex", "x", "operator `.regex`"),
            (
                "orderDate.gt",
                "yesterday",
                "compares one RFC 3339 date or number",
            ),
            ("orderDate.lt", "2026-01-01,2026-02-01", "compares one"),
            ("state..x", "a", "not an attribute path"),
            (".state", "a", "not an attribute path"),
            ("state", &",".repeat(OPERANDS_MAX), "more than"),
        ] {
            let error = Filter::parse(Resource::ProductOrder, name, value).expect_err(name);
            assert!(error.message.contains(needle), "{name}: {}", error.message);
        }
    }

    #[test]
    fn matches_any_nested_element_and_compares_kinds() {
        let order = json!({"state": "completed", "orderDate": "2026-01-31T10:00:00.000Z",
            "productOrderItem": [{"action": "add", "quantity": 2}, {"action": "delete"}]});
        for (name, value, expected) in [
            ("state", "failed,completed", true),
            ("state", "failed", false),
            ("state.ne", "failed", true),
            ("state.ne", "failed,completed", false),
            ("productOrderItem.action", "delete", true),
            ("productOrderItem.action", "modify", false),
            ("productOrderItem.action.ne", "add", false),
            ("productOrderItem.quantity.gte", "2", true),
            ("productOrderItem.quantity.gt", "2", false),
            ("orderDate.gt", "2026-01-31T10:59:00+01:00", true),
            ("orderDate.lt", "2026-01-31", false),
            ("orderDate", "2026-01-31T11:00:00+01:00", true),
            ("externalId", "x", false),
            ("externalId.ne", "x", true),
        ] {
            assert_eq!(
                filter(name, value).matches(&order),
                expected,
                "{name}={value}"
            );
        }
        assert!(filter("state", "a,b").matches_text(Some("b")));
        assert!(!filter("externalId", "a").matches_text(None));
        assert!(filter("externalId.ne", "a").matches_text(None));
    }
}
