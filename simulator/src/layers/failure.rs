//! Why an order failed: a code to count by and a sentence to read, carried from the layer where
//! the failure happened (ROM's allocation, activation's configure) up to the product order.
//!
//! On the wire it is a TMF `Note` (`@type: FailureNote`, with the code as an extension) on
//! TMF622 product orders and TMF652 resource orders, and a TMF641 `errorMessage` on service
//! orders, so a client (and the HTTP transport between layers) reads it from the order itself.

use serde::{Deserialize, Serialize};

use crate::network::{ElementError, ElementErrorKind};

/// The class of a failure.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FailureCode {
    /// An element refused or failed an operation.
    ElementFailed,
    /// An element was down.
    ElementDown,
    /// An element did not answer within the element timeout.
    ElementTimeout,
    /// A pool had nothing free.
    PoolExhausted,
    /// A request named something that does not exist or could not be done.
    InvalidRequest,
    /// Sync mode: the layer below did not finish within the call timeout.
    CallTimeout,
    /// The child order passed its deadline and its layer did not know it or did not answer
    /// when asked (a restarted or unreachable layer).
    ChildLost,
}

impl FailureCode {
    /// Every code, for tables and tests.
    pub const ALL: [FailureCode; 7] = [
        FailureCode::ElementFailed,
        FailureCode::ElementDown,
        FailureCode::ElementTimeout,
        FailureCode::PoolExhausted,
        FailureCode::InvalidRequest,
        FailureCode::CallTimeout,
        FailureCode::ChildLost,
    ];

    /// Its name on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            FailureCode::ElementFailed => "elementFailed",
            FailureCode::ElementDown => "elementDown",
            FailureCode::ElementTimeout => "elementTimeout",
            FailureCode::PoolExhausted => "poolExhausted",
            FailureCode::InvalidRequest => "invalidRequest",
            FailureCode::CallTimeout => "callTimeout",
            FailureCode::ChildLost => "childLost",
        }
    }

    /// The code named `text`, if any.
    pub fn parse(text: &str) -> Option<FailureCode> {
        FailureCode::ALL
            .into_iter()
            .find(|code| code.as_str() == text)
    }
}

/// Why something failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailureReason {
    /// The class.
    pub code: FailureCode,
    /// A sentence saying what failed.
    pub message: String,
}

impl FailureReason {
    /// A reason of class `code`.
    pub fn new(code: FailureCode, message: impl Into<String>) -> FailureReason {
        FailureReason {
            code,
            message: message.into(),
        }
    }

    /// An element's refusal.
    pub fn of_element(error: &ElementError) -> FailureReason {
        let code = match error.kind {
            ElementErrorKind::Failed => FailureCode::ElementFailed,
            ElementErrorKind::ElementDown => FailureCode::ElementDown,
            ElementErrorKind::Exhausted => FailureCode::PoolExhausted,
            ElementErrorKind::InvalidRequest => FailureCode::InvalidRequest,
        };
        FailureReason::new(code, error.message.clone())
    }

    /// An element that did not answer `what` in time.
    pub fn timeout(what: &str) -> FailureReason {
        let message = format!("the element did not answer the {what} in time");
        FailureReason::new(FailureCode::ElementTimeout, message)
    }
}

/// Keeps the first reason: an order fails for the first thing that went wrong.
pub fn record_first(slot: &mut Option<FailureReason>, reason: Option<FailureReason>) {
    if slot.is_none() {
        *slot = reason;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_their_names() {
        for code in FailureCode::ALL {
            assert_eq!(FailureCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(FailureCode::parse("nope"), None);
    }

    #[test]
    fn element_errors_map_to_codes_and_the_first_reason_stays() {
        let error = ElementError {
            kind: ElementErrorKind::Exhausted,
            message: "no ONU slot free".into(),
        };
        let exhausted = FailureReason::of_element(&error);
        assert_eq!(exhausted.code, FailureCode::PoolExhausted);
        let mut slot = None;
        record_first(&mut slot, Some(exhausted.clone()));
        record_first(&mut slot, Some(FailureReason::timeout("allocate")));
        assert_eq!(slot, Some(exhausted));
    }
}
