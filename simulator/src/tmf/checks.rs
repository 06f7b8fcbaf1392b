//! Syntactic checks of the attributes a client writes that the chain only carries (see
//! [`crate::layers::attributes`]): `date-time` values, the names TMF requires, and the
//! `valueType`s of characteristics, kept by position.

use crate::layers::attributes::{OrderHeader, Text, ValueTypes};
use crate::tmf::error::TmfError;

/// Whether `text` is an RFC 3339 `date-time` (what the TMF schemas' `format: date-time` asks).
pub fn is_date_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |from: usize, to: usize| {
        bytes
            .get(from..to)
            .is_some_and(|part| part.iter().all(u8::is_ascii_digit))
    };
    let at = |index: usize, wanted: &[u8]| bytes.get(index).is_some_and(|b| wanted.contains(b));
    let shape = digits(0, 4)
        && at(4, b"-")
        && digits(5, 7)
        && at(7, b"-")
        && digits(8, 10)
        && at(10, b"Tt")
        && digits(11, 13)
        && at(13, b":")
        && digits(14, 16)
        && at(16, b":")
        && digits(17, 19);
    if !shape {
        return false;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let count = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if count == 0 {
            return false;
        }
        rest = &fraction[count..];
    }
    let zone = rest.as_bytes();
    let zone_ok = matches!(rest, "Z" | "z")
        || (zone.len() == 6
            && matches!(zone[0], b'+' | b'-')
            && zone[1..3].iter().all(u8::is_ascii_digit)
            && zone[3] == b':'
            && zone[4..6].iter().all(u8::is_ascii_digit));
    // The calendar check (month, day of month, hour …) on the UTC-shaped prefix; a leap
    // second (`:60`) is refused, as most clients would.
    zone_ok && humantime::parse_rfc3339(&format!("{}Z", &text[..19])).is_ok()
}

/// Refuses `value` unless it is a `date-time`; `field` names it in the message.
pub fn check_date(field: &str, value: Option<&Text>) -> Result<(), TmfError> {
    match value {
        Some(text) if !is_date_time(text) => Err(TmfError::bad_request(format!(
            "`{field}` must be an RFC 3339 date-time, not `{}`",
            text.chars().take(40).collect::<String>()
        ))),
        _ => Ok(()),
    }
}

/// The syntactic checks of an order header: its dates, and the `name` TMF641 requires of an
/// external reference.
pub fn check_header(header: &OrderHeader) -> Result<(), TmfError> {
    let (summary, details) = (&header.summary, &header.details);
    let mut references = details.external_reference.iter().flatten();
    if references.any(|reference| reference.name.is_none()) {
        return Err(TmfError::bad_request(
            "externalReference[].name is required",
        ));
    }
    check_date("requestedStartDate", summary.requested_start_date.as_ref())?;
    check_date(
        "requestedCompletionDate",
        summary.requested_completion_date.as_ref(),
    )?;
    check_date("cancellationDate", details.cancellation_date.as_ref())?;
    check_date(
        "expectedCompletionDate",
        details.expected_completion_date.as_ref(),
    )?;
    check_date("startDate", details.start_date.as_ref())?;
    for note in details.note.iter().flatten() {
        check_date("note.date", note.date.as_ref())?;
    }
    Ok(())
}

/// The `valueType`s of parsed characteristics, by position; empty when none has one.
pub fn value_types<'a>(types: impl Iterator<Item = Option<&'a str>>) -> ValueTypes {
    let types: ValueTypes = types.map(|value_type| value_type.map(Text::from)).collect();
    if types.iter().all(Option::is_none) {
        Vec::new()
    } else {
        types
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times_follow_rfc_3339() {
        for good in [
            "2026-01-31T10:00:00Z",
            "2026-01-31T10:00:00.123Z",
            "2026-01-31T10:00:00+02:00",
        ] {
            assert!(is_date_time(good), "{good}");
        }
        for bad in [
            "2026-01-31",
            "2026-02-30T10:00:00Z",
            "2026-01-31 10:00:00Z",
            "2026-01-31T10:00:00",
            "2026-01-31T10:00:00.Z",
            "2026-01-31T25:00:00Z",
            "tomorrow",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
    }
}
