//! Comparing a rendered JSON value with a value a client wrote in a query: numbers as numbers,
//! RFC 3339 dates as instants (whatever their offset), anything else as text.

use std::cmp::Ordering;
use std::time::UNIX_EPOCH;

use serde_json::Value;

/// A value from the query string, read once in each form it may be compared in.
#[derive(Clone, Debug, PartialEq)]
pub struct Operand {
    /// The text as written.
    pub text: String,
    /// The text as a finite number, if it is one.
    pub number: Option<f64>,
    /// The text as an instant (nanoseconds since 1970), if it is an RFC 3339 date.
    pub instant: Option<i128>,
}

impl Operand {
    /// Reads `text` as a number and as a date.
    pub fn new(text: &str) -> Operand {
        Operand {
            text: text.to_string(),
            number: number(text),
            instant: instant(text),
        }
    }

    /// Whether `.gt`-like operators can compare with this value.
    pub fn is_ordered(&self) -> bool {
        self.number.is_some() || self.instant.is_some()
    }

    /// Whether the rendered `leaf` equals this value: the same text, the same instant or the
    /// same number.
    pub fn equals(&self, leaf: &Value) -> bool {
        match leaf {
            Value::String(text) => {
                *text == self.text
                    || self
                        .instant
                        .is_some_and(|wanted| instant(text) == Some(wanted))
            }
            Value::Number(_) | Value::Bool(_) => self.order(leaf) == Some(Ordering::Equal),
            _ => false,
        }
    }

    /// How the rendered `leaf` compares with this value, as an instant or a number; `None`
    /// when they are not comparable.
    pub fn order(&self, leaf: &Value) -> Option<Ordering> {
        match leaf {
            Value::String(text) => match (instant(text), self.instant) {
                (Some(have), Some(wanted)) => Some(have.cmp(&wanted)),
                _ => number(text)?.partial_cmp(&self.number?),
            },
            Value::Number(have) => have.as_f64()?.partial_cmp(&self.number?),
            Value::Bool(flag) => (flag.to_string() == self.text).then_some(Ordering::Equal),
            _ => None,
        }
    }
}

/// The order of two rendered values for `sort`: numbers as numbers, dates as instants, other
/// text as text; an absent value comes last.
pub fn sort_order(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(Value::Number(a)), Some(Value::Number(b))) => {
            let (a, b) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            a.total_cmp(&b)
        }
        (Some(Value::String(a)), Some(Value::String(b))) => match (instant(a), instant(b)) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => a.cmp(b),
        },
        (Some(a), Some(b)) => rank(a).cmp(&rank(b)),
    }
}

fn rank(value: &Value) -> u8 {
    match value {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

fn number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|value| value.is_finite())
}

/// Reads an RFC 3339 date-time (`2026-01-31T10:00:00.5+02:00`, `…Z`) or a bare date
/// (`2026-01-31`, midnight UTC) as nanoseconds since 1970.
pub fn instant(text: &str) -> Option<i128> {
    let bytes = text.as_bytes();
    if bytes.len() < 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    if bytes.len() == 10 {
        return utc(&format!("{text}T00:00:00Z"));
    }
    let (body, offset_s) = split_offset(text)?;
    Some(utc(body)? - i128::from(offset_s) * 1_000_000_000)
}

fn utc(text: &str) -> Option<i128> {
    let time = humantime::parse_rfc3339_weak(text).ok()?;
    Some(time.duration_since(UNIX_EPOCH).ok()?.as_nanos() as i128)
}

/// Splits `…Z` or `…+hh:mm` into the UTC text and the offset in seconds.
fn split_offset(text: &str) -> Option<(&str, i32)> {
    if let Some(body) = text.strip_suffix(['Z', 'z']) {
        return Some((body, 0));
    }
    let split = text.len().checked_sub(6)?;
    let (body, zone) = (text.get(..split)?, text.get(split..)?);
    let sign = match zone.as_bytes() {
        [b'+', _, _, b':', _, _] => 1,
        [b'-', _, _, b':', _, _] => -1,
        _ => return Some((text, 0)),
    };
    let hours: i32 = zone.get(1..3)?.parse().ok()?;
    let minutes: i32 = zone.get(4..6)?.parse().ok()?;
    Some((body, sign * (hours * 3600 + minutes * 60)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dates_compare_as_instants_whatever_their_offset() {
        let utc = instant("2026-01-31T10:00:00Z").expect("date");
        assert_eq!(instant("2026-01-31T12:00:00+02:00"), Some(utc));
        assert_eq!(instant("2026-01-31T10:00:00.000Z"), Some(utc));
        assert_eq!(instant("2026-01-31T09:30:00-00:30"), Some(utc));
        assert!(instant("2026-01-31").expect("date") < utc);
        for bad in [
            "",
            "2026",
            "abc-de-fgh",
            "2026-13-01",
            "2026-01-31T25:00:00Z",
            "2026-01-é1",
        ] {
            assert_eq!(instant(bad), None, "{bad}");
        }
        let wanted = Operand::new("2026-01-31T11:00:00+01:00");
        assert!(wanted.equals(&json!("2026-01-31T10:00:00.000Z")));
        assert_eq!(
            wanted.order(&json!("2026-01-31T10:00:01Z")),
            Some(Ordering::Greater)
        );
        assert_eq!(wanted.order(&json!("soon")), None);
    }

    #[test]
    fn numbers_and_text_compare_by_kind() {
        let two = Operand::new("2");
        assert!(two.equals(&json!(2)) && two.equals(&json!(2.0)) && two.equals(&json!("2")));
        assert_eq!(two.order(&json!("10")), Some(Ordering::Greater));
        assert_eq!(two.order(&json!(1)), Some(Ordering::Less));
        assert!(!Operand::new("NaN").is_ordered());
        assert!(Operand::new("true").equals(&json!(true)));
        assert!(!Operand::new("add").equals(&json!({"action": "add"})));
        let order = |a: Value, b: Value| sort_order(Some(&a), Some(&b));
        assert_eq!(order(json!(2), json!(10)), Ordering::Less);
        assert_eq!(order(json!("b"), json!("a")), Ordering::Greater);
        assert_eq!(sort_order(None, Some(&json!(1))), Ordering::Greater);
    }
}
