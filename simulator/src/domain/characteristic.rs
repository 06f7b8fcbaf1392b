//! Characteristic specifications (TMF620 `productSpecCharacteristic`, TMF633
//! `specCharacteristic`) and the pure check of an order's characteristic values against them.
//!
//! A characteristic name means one thing across the whole catalog, so a value is checked by its
//! name alone: an order item's characteristics are checked before anything else reads them, and
//! a value the chain cannot use (a `region` that is not a string, a speed of -1 or 1e308) is
//! refused with the field named instead of being accepted and then never ending. Names the
//! catalog does not know are carried as sent (TMF lets a client add its own).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The TMF `valueType` of a characteristic.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ValueType {
    /// A JSON string.
    String,
    /// A JSON integer (no fraction, no exponent), within `value_from..=value_to`.
    Integer,
    /// `true` or `false`.
    Boolean,
}

impl ValueType {
    /// The TMF spelling of the type.
    pub const fn as_str(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::Integer => "integer",
            ValueType::Boolean => "boolean",
        }
    }
}

/// One characteristic a specification knows: its name, type and range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CharacteristicSpecification {
    /// Its name, as `productCharacteristic[].name` in an order.
    pub name: Arc<str>,
    /// What it means.
    #[serde(default)]
    pub description: String,
    /// The type every value must have.
    pub value_type: ValueType,
    /// Integer: the smallest value accepted (TMF `valueFrom`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_from: Option<i64>,
    /// Integer: the largest value accepted (TMF `valueTo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_to: Option<i64>,
    /// String: what the string names (`a region`), said in the error when the value is not a
    /// string; the layer that reads it checks that the name exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<String>,
}

impl CharacteristicSpecification {
    /// A string characteristic naming `names` (e.g. `a region`).
    pub fn naming(name: &str, description: &str, names: &str) -> CharacteristicSpecification {
        CharacteristicSpecification {
            name: name.into(),
            description: description.to_string(),
            value_type: ValueType::String,
            value_from: None,
            value_to: None,
            names: Some(names.to_string()),
        }
    }

    /// An integer characteristic within `from..=to`.
    pub fn integer(name: &str, description: &str, from: i64, to: i64) -> Self {
        CharacteristicSpecification {
            name: name.into(),
            description: description.to_string(),
            value_type: ValueType::Integer,
            value_from: Some(from),
            value_to: Some(to),
            names: None,
        }
    }

    /// What a value must be, as said in an error: `a string naming a region`, `an integer
    /// from 1 to 10000`.
    pub fn expected(&self) -> String {
        match (self.value_type, &self.names) {
            (ValueType::String, Some(names)) => format!("a string naming {names}"),
            (ValueType::String, None) => "a string".to_string(),
            (ValueType::Boolean, _) => "true or false".to_string(),
            (ValueType::Integer, _) => match (self.value_from, self.value_to) {
                (Some(from), Some(to)) => format!("an integer from {from} to {to}"),
                (Some(from), None) => format!("an integer of at least {from}"),
                (None, Some(to)) => format!("an integer of at most {to}"),
                (None, None) => "an integer".to_string(),
            },
        }
    }

    /// Whether `value` has this characteristic's type and lies in its range.
    pub fn accepts(&self, value: &Value) -> bool {
        match self.value_type {
            ValueType::String => value.is_string(),
            ValueType::Boolean => value.is_boolean(),
            // `as_i64` is None for fractions, exponents and integers beyond i64 (2^64 is read
            // as a float and would otherwise be stored rounded).
            ValueType::Integer => value.as_i64().is_some_and(|number| {
                self.value_from.is_none_or(|from| number >= from)
                    && self.value_to.is_none_or(|to| number <= to)
            }),
        }
    }

    /// Why the specification itself cannot be used (an empty name, a range on a non-integer,
    /// an empty range), or None.
    pub fn problem(&self) -> Option<String> {
        if self.name.trim().is_empty() {
            return Some("name is empty".to_string());
        }
        let ranged = self.value_from.is_some() || self.value_to.is_some();
        if ranged && self.value_type != ValueType::Integer {
            return Some(format!(
                "`{}`: value_from/value_to apply to integers only",
                self.name
            ));
        }
        if let (Some(from), Some(to)) = (self.value_from, self.value_to)
            && from > to
        {
            return Some(format!(
                "`{}`: value_from {from} is above value_to {to}",
                self.name
            ));
        }
        None
    }
}

/// A characteristic value the catalog's specification refuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}[{name}].value must be {expected}")]
pub struct CharacteristicError {
    /// Where the list is in the request, e.g. `productOrderItem[0].product.productCharacteristic`.
    pub path: String,
    /// The characteristic's name.
    pub name: String,
    /// What the value must be.
    pub expected: String,
}

/// The characteristics every catalog knows, because the chain itself reads them: where an
/// order is placed (`region`, `oltId`) and which add-on a modify adds (`addOn`).
pub fn intrinsic() -> Vec<CharacteristicSpecification> {
    vec![
        CharacteristicSpecification::naming(
            "region",
            "Where the service is placed: the name of a network region.",
            "a region",
        ),
        CharacteristicSpecification::naming(
            "oltId",
            "The OLT to place a fibre access on (optional; any OLT of the region otherwise).",
            "an OLT",
        ),
        CharacteristicSpecification::naming(
            "addOn",
            "Modify only: the add-on offering to add beside the product (e.g. `iptv`).",
            "an add-on offering",
        ),
    ]
}

/// Checks each `(name, value)` of the list at `path()` against `specification(name)`; names
/// without a specification pass as they are.
pub fn check<'s, 'v>(
    path: impl FnOnce() -> String,
    list: impl IntoIterator<Item = (&'v str, &'v Value)>,
    specification: impl Fn(&str) -> Option<&'s CharacteristicSpecification>,
) -> Result<(), CharacteristicError> {
    for (name, value) in list {
        if let Some(spec) = specification(name)
            && !spec.accepts(value)
        {
            return Err(CharacteristicError {
                path: path(),
                name: name.chars().take(64).collect(),
                expected: spec.expected(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn speed() -> CharacteristicSpecification {
        CharacteristicSpecification::integer("downstreamSpeedMbps", "", 1, 10_000)
    }

    #[test]
    fn integers_are_checked_by_type_and_range() {
        let spec = speed();
        for good in [json!(1), json!(500), json!(10_000)] {
            assert!(spec.accepts(&good), "{good}");
        }
        let two_to_the_64: Value = serde_json::from_str("18446744073709551616").unwrap();
        for bad in [
            json!(0),
            json!(-1),
            json!(10_001),
            json!(1e308),
            json!(1.5),
            json!("500"),
            Value::Null,
            json!({"mbps": 500}),
            json!([500]),
            json!(true),
            two_to_the_64,
            json!(u64::MAX),
        ] {
            assert!(!spec.accepts(&bad), "{bad}");
        }
        assert_eq!(spec.expected(), "an integer from 1 to 10000");
    }

    #[test]
    fn strings_and_booleans_are_checked_by_type() {
        let region = &intrinsic()[0];
        assert!(region.accepts(&json!("north")));
        for bad in [Value::Null, json!([]), json!({}), json!(1), json!(false)] {
            assert!(!region.accepts(&bad), "{bad}");
        }
        assert_eq!(region.expected(), "a string naming a region");
        let flag = CharacteristicSpecification {
            value_type: ValueType::Boolean,
            ..CharacteristicSpecification::naming("flag", "", "x")
        };
        assert!(flag.accepts(&json!(true)));
        assert!(!flag.accepts(&json!("true")));
    }

    #[test]
    fn check_names_the_field_and_passes_unknown_names() {
        let specs = [intrinsic()[0].clone(), speed()];
        let find = |name: &str| specs.iter().find(|spec| &*spec.name == name);
        let (null, text, number) = (Value::Null, json!("x"), json!(5));
        let error = check(
            || "productOrderItem[0].product.productCharacteristic".to_string(),
            [("colour", &null), ("region", &null)],
            find,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "productOrderItem[0].product.productCharacteristic[region].value must be a string naming a region"
        );
        check(
            || unreachable!("no error, no path"),
            [("region", &text), ("downstreamSpeedMbps", &number)],
            find,
        )
        .unwrap();
        check(|| "p".to_string(), [("colour", &null)], find).unwrap();
    }

    #[test]
    fn unusable_specifications_are_named() {
        assert!(speed().problem().is_none());
        let mut empty = speed();
        empty.value_from = Some(10);
        empty.value_to = Some(1);
        assert!(empty.problem().unwrap().contains("above"));
        let mut ranged_string = intrinsic()[0].clone();
        ranged_string.value_to = Some(3);
        assert!(ranged_string.problem().unwrap().contains("integers only"));
        let mut unnamed = speed();
        unnamed.name = " ".into();
        assert!(unnamed.problem().is_some());
    }
}
