//! The attributes a client writes that the chain carries (see [`crate::layers::attributes`]):
//! their syntactic checks (`date-time` values, required names), their merge into rendered
//! JSON (the client's list entries before the simulator's), characteristics' `valueType`, and
//! merge-patch bodies.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::http::error::ApiError;
use crate::layers::attributes::{HeaderDetails, OrderHeader};
use crate::layers::common::OrderPatch;
use crate::tmf::checks::check_header;

/// The client's header lists and references as JSON, without `owned`: those the renderer
/// writes itself, the client's entries first (see [`listed`]).
pub fn details_except(details: Option<&HeaderDetails>, owned: &[&str]) -> Map<String, Value> {
    // `HeaderDetails` serializes to a JSON object with string keys; nothing else can come out.
    match details.map(serde_json::to_value) {
        Some(Ok(Value::Object(mut map))) => {
            for key in owned {
                map.remove(*key);
            }
            map
        }
        _ => Map::new(),
    }
}

/// An entry of a header list as rendered: the client's, or the one the simulator adds.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Listed<'a, Client, Ours> {
    /// As the client wrote it.
    Client(&'a Client),
    /// The simulator's (the failure note, the parent order).
    Ours(Ours),
}

/// A header list as rendered: the client's entries (even an empty list, as stored), then
/// `ours`; absent when there is neither.
pub fn listed<'a, Client, Ours>(
    client: Option<&'a [Client]>,
    ours: Option<Ours>,
) -> Option<Vec<Listed<'a, Client, Ours>>> {
    if client.is_none() && ours.is_none() {
        return None;
    }
    let client = client.into_iter().flatten().map(Listed::Client);
    Some(client.chain(ours.map(Listed::Ours)).collect())
}

/// TMF622 `ProductOrder_Update` attributes the simulator lets a PATCH change.
pub const PRODUCT_ORDER_PATCHABLE: &[&str] = &[
    "externalId",
    "description",
    "priority",
    "category",
    "notificationContact",
    "requestedStartDate",
    "requestedCompletionDate",
    "relatedParty",
    "note",
    "channel",
    "billingAccount",
    "agreement",
    "payment",
    "quote",
    "productOfferingQualification",
    "orderTotalPrice",
];

/// TMF641 `ServiceOrder_Update` attributes the simulator lets a PATCH change.
pub const SERVICE_ORDER_PATCHABLE: &[&str] = &[
    "externalId",
    "description",
    "priority",
    "notificationContact",
    "requestedStartDate",
    "requestedCompletionDate",
    "relatedParty",
    "note",
    "externalReference",
    "orderRelationship",
];

/// TMF652 `ResourceOrder_Update` attributes the simulator lets a PATCH change.
pub const RESOURCE_ORDER_PATCHABLE: &[&str] = &[
    "externalId",
    "description",
    "priority",
    "category",
    "requestedStartDate",
    "requestedCompletionDate",
    "expectedCompletionDate",
    "startDate",
    "name",
    "orderType",
    "note",
    "relatedParty",
    "@baseType",
    "@schemaLocation",
];

/// Parses a PATCH body (merge-patch): `state` may only be `inProgress` (resume), and only the
/// `patchable` attributes may change; anything else is a 400 naming the attribute.
pub fn parse_patch(body: Value, patchable: &[&str]) -> Result<OrderPatch, ApiError> {
    let Value::Object(mut map) = body else {
        return Err(ApiError::bad_request("a PATCH body must be a JSON object"));
    };
    let mut patch = OrderPatch::default();
    if let Some(state) = map.remove("state") {
        if state.as_str() != Some("inProgress") {
            return Err(ApiError::bad_request(
                "`state` can only be patched to `inProgress` (resume a held or pending order)",
            ));
        }
        patch.resume = true;
    }
    if let Some(key) = map.keys().find(|key| !patchable.contains(&key.as_str())) {
        return Err(ApiError::bad_request(format!(
            "`{}` is not patchable (only {})",
            key.chars().take(64).collect::<String>(),
            patchable.join(", ")
        )));
    }
    if let Some(value) = map.remove("externalId") {
        let Value::String(text) = value else {
            return Err(ApiError::bad_request("`externalId` must be a string"));
        };
        patch.external_id = Some(text);
    }
    if let Some(number @ Value::Number(_)) = map.get("priority") {
        let text = number.to_string();
        map.insert("priority".into(), Value::String(text));
    }
    let header: OrderHeader = serde_json::from_value(Value::Object(map))
        .map_err(|error| ApiError::bad_request(format!("PATCH body: {error}")))?;
    check_header(&header)?;
    if !header.is_empty() {
        patch.header = Some(Box::new(header));
    }
    if patch == OrderPatch::default() {
        return Err(ApiError::bad_request("the PATCH body changes nothing"));
    }
    Ok(patch)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn lists_put_the_clients_entries_first_and_keep_an_empty_one() {
        let client = ["a", "b"];
        let rendered = serde_json::to_value(listed(Some(&client[..]), Some("ours")));
        assert_eq!(rendered.ok(), Some(json!(["a", "b", "ours"])));
        let empty: &[&str] = &[];
        let rendered = serde_json::to_value(listed::<_, &str>(Some(empty), None));
        assert_eq!(
            rendered.ok(),
            Some(json!([])),
            "an empty list the client set stays"
        );
        assert!(listed::<&str, &str>(None, None).is_none());
    }

    #[test]
    fn details_leave_out_what_the_renderer_writes() {
        let details = HeaderDetails {
            cancellation_reason: Some("late".into()),
            note: Some(Box::new([])),
            ..HeaderDetails::default()
        };
        let map = details_except(Some(&details), &["note"]);
        assert_eq!(Value::Object(map), json!({"cancellationReason": "late"}));
        assert!(details_except(None, &["note"]).is_empty());
    }

    #[test]
    fn patch_keeps_header_attributes_and_refuses_others() {
        let body = json!({"description": "d", "priority": 1, "note": [{"text": "hi"}]});
        let patch = parse_patch(body, PRODUCT_ORDER_PATCHABLE).expect("valid");
        let header = patch.header.expect("a header");
        assert_eq!(header.summary.priority.as_deref(), Some("1"));
        assert_eq!(header.details.note.as_deref().map(<[_]>::len), Some(1));
        let refused = [
            (json!({"channel": [{"id": "web"}]}), SERVICE_ORDER_PATCHABLE),
            (json!({"orderItem": []}), RESOURCE_ORDER_PATCHABLE),
            (
                json!({"channel": [{"id": "web"}]}),
                RESOURCE_ORDER_PATCHABLE,
            ),
            (
                json!({"requestedStartDate": "soon"}),
                PRODUCT_ORDER_PATCHABLE,
            ),
            (
                json!({"note": [{"id": "no text"}]}),
                PRODUCT_ORDER_PATCHABLE,
            ),
            (json!({"description": null}), PRODUCT_ORDER_PATCHABLE),
            (json!({"state": "completed"}), PRODUCT_ORDER_PATCHABLE),
        ];
        for (body, patchable) in refused {
            let error = parse_patch(body.clone(), patchable).expect_err(&body.to_string());
            assert_eq!(error.status.as_u16(), 400, "{body}");
        }
    }
}
