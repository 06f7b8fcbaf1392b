//! Identifiers of every TMF entity the chain creates.
//!
//! Inside the core an id is a `u64` from a per-layer counter (compact, ordered, cheap to copy);
//! on the wire it is a string with a short prefix (`PO-17`), so that an id seen in a log or a
//! report says what it names. Parsing accepts exactly what `Display` writes: one spelling per
//! id (`PO-01` and `PO-+1` are not ids), so a path or a reference names an entity one way only.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An id string did not have the expected prefix and number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a valid {kind} id (expected `{prefix}-<number>`)")]
pub struct IdParseError {
    /// What was parsed.
    pub text: String,
    /// The kind of id that was expected.
    pub kind: &'static str,
    /// The prefix that was expected.
    pub prefix: &'static str,
}

/// Whether `digits` is how `u64`'s `Display` writes a number: ASCII digits, no leading zero
/// (except `0` itself).
fn canonical_digits(digits: &str) -> bool {
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
}

/// Writes `prefix-number`. Ids are written into every external id, href and event, so this
/// skips `write!`'s argument machinery (a third of the cost of `format!("{order}/{item}")`,
/// issue 10's chain profile); padding and width still apply when a format asks for them.
fn write_id(f: &mut fmt::Formatter<'_>, prefix: &str, number: u64) -> fmt::Result {
    if f.width().is_some() || f.precision().is_some() {
        return f.pad(&format!("{prefix}-{number}"));
    }
    f.write_str(prefix)?;
    f.write_str("-")?;
    fmt::Display::fmt(&number, f)
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub u64);

        impl $name {
            /// The prefix this id carries on the wire.
            pub const PREFIX: &'static str = $prefix;
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_id(f, $prefix, self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.strip_prefix($prefix)
                    .and_then(|rest| rest.strip_prefix('-'))
                    .filter(|digits| canonical_digits(digits))
                    .and_then(|digits| digits.parse::<u64>().ok())
                    .map($name)
                    .ok_or_else(|| IdParseError {
                        text: text.chars().take(64).collect(),
                        kind: stringify!($name),
                        prefix: $prefix,
                    })
            }
        }
    };
}

id_type!(
    /// A TMF622 product order.
    ProductOrderId, "PO"
);
id_type!(
    /// A TMF622 cancel product order request.
    CancelProductOrderId, "CPO"
);
id_type!(
    /// A TMF641 service order.
    ServiceOrderId, "SO"
);
id_type!(
    /// A TMF641 cancel service order request.
    CancelServiceOrderId, "CSO"
);
id_type!(
    /// A TMF652 resource order.
    ResourceOrderId, "RO"
);
id_type!(
    /// A TMF652 cancel resource order request.
    CancelResourceOrderId, "CRO"
);
id_type!(
    /// A TMF640 service being activated/configured (activation layer).
    ActivationId, "ACT"
);
id_type!(
    /// A TMF640 monitor of an asynchronous activation request.
    MonitorId, "MON"
);
id_type!(
    /// A TMF637 product in the product inventory.
    ProductId, "P"
);
id_type!(
    /// A TMF638 service (CFS or RFS) in the service inventory.
    ServiceId, "S"
);
id_type!(
    /// A TMF639 resource in the resource inventory.
    ResourceId, "R"
);
id_type!(
    /// One network element operation (allocate, release, configure, activate, deactivate).
    OperationId, "OP"
);
id_type!(
    /// What one allocation holds, named by the caller before the forward call so that it can
    /// be released even when the allocate call timed out with an unknown result.
    AllocationId, "AL"
);
id_type!(
    /// A hub subscription (TMF `EventSubscription`).
    SubscriptionId, "HUB"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse_round_trip() {
        let id = ProductOrderId(42);
        assert_eq!(id.to_string(), "PO-42");
        assert_eq!("PO-42".parse::<ProductOrderId>(), Ok(id));
    }

    #[test]
    fn display_writes_every_number_as_u64_does_and_honours_width() {
        for number in [0, 7, 10, 99, 1_000_001, u64::MAX] {
            assert_eq!(ProductOrderId(number).to_string(), format!("PO-{number}"));
        }
        assert_eq!(
            format!("{:>8}|{:<6}|", ServiceOrderId(3), ServiceOrderId(45)),
            "    SO-3|SO-45 |"
        );
    }

    #[test]
    fn parse_rejects_wrong_prefix_and_garbage() {
        for bad in [
            "SO-1",
            "PO-",
            "PO-x",
            "PO--1",
            "PO-+1",
            "PO1",
            "",
            "PO-99999999999999999999999",
        ] {
            assert!(bad.parse::<ProductOrderId>().is_err(), "{bad}");
        }
        // A longer prefix that starts with a shorter one must not be confused with it.
        assert!("CPO-1".parse::<ProductOrderId>().is_err());
        assert!("PO-1".parse::<CancelProductOrderId>().is_err());
    }

    /// Every id kind parses exactly its own `Display` and nothing else spelling the same
    /// number: leading zeros, signs, spaces, lower case, or another kind's prefix.
    #[test]
    fn every_id_kind_accepts_only_its_canonical_spelling() {
        fn check<T>(make: fn(u64) -> T, prefix: &str)
        where
            T: std::fmt::Display + FromStr + PartialEq + std::fmt::Debug,
        {
            for number in [0, 1, 7, 10, 1_000, u64::MAX] {
                let id = make(number);
                let text = id.to_string();
                assert_eq!(text.parse::<T>().ok(), Some(make(number)), "{text}");
            }
            let lower = prefix.to_lowercase();
            for bad in [
                format!("{prefix}-01"),
                format!("{prefix}-00"),
                format!("{prefix}-007"),
                format!("{prefix}-+1"),
                format!("{prefix}- 1"),
                format!("{prefix}-1 "),
                format!(" {prefix}-1"),
                format!("{lower}-1"),
                format!("{prefix}-%31"),
                format!("{prefix}-1.0"),
                format!("{prefix}_1"),
                format!("X{prefix}-1"),
            ] {
                assert!(bad.parse::<T>().is_err(), "{bad} parsed");
            }
        }
        check(ProductOrderId, ProductOrderId::PREFIX);
        check(CancelProductOrderId, CancelProductOrderId::PREFIX);
        check(ServiceOrderId, ServiceOrderId::PREFIX);
        check(CancelServiceOrderId, CancelServiceOrderId::PREFIX);
        check(ResourceOrderId, ResourceOrderId::PREFIX);
        check(CancelResourceOrderId, CancelResourceOrderId::PREFIX);
        check(ActivationId, ActivationId::PREFIX);
        check(MonitorId, MonitorId::PREFIX);
        check(ProductId, ProductId::PREFIX);
        check(ServiceId, ServiceId::PREFIX);
        check(ResourceId, ResourceId::PREFIX);
        check(OperationId, OperationId::PREFIX);
        check(AllocationId, AllocationId::PREFIX);
        check(SubscriptionId, SubscriptionId::PREFIX);
    }
}
