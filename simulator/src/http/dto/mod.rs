//! TMF JSON ⇄ domain: one file per API. Parsing does syntactic checks only (semantic ones,
//! such as "does this offering exist", are the layers' and come back as a `Rejection`);
//! rendering turns the layers' structs into the TMF resource JSON, omitting absent attributes
//! (the TMF schemas type them as strings, so `null` would be invalid).

pub mod activation;
pub mod attributes;
pub mod cancel;
pub mod catalog;
pub mod inventory;
pub mod product_order;
pub mod resource_order;
pub mod resource_order_create;
pub mod service_create;
pub mod service_order;

use serde_json::{Map, Value, json};

use crate::domain::time::Time;
use crate::layers::common::Characteristic;
use crate::layers::failure::{FailureCode, FailureReason};
use crate::network::Topology;
use crate::runtime::WallClock;

/// TMF622 base path.
pub const PRODUCT_ORDERING: &str = "/tmf-api/productOrderingManagement/v4";
/// TMF641 base path.
pub const SERVICE_ORDERING: &str = "/tmf-api/serviceOrdering/v4";
/// TMF652 base path.
pub const RESOURCE_ORDERING: &str = "/tmf-api/resourceOrderingManagement/v4";
/// TMF640 base path.
pub const SERVICE_ACTIVATION: &str = "/tmf-api/ServiceActivationAndConfiguration/v4";
/// TMF637 base path.
pub const PRODUCT_INVENTORY: &str = "/tmf-api/productInventory/v4";
/// TMF638 base path.
pub const SERVICE_INVENTORY: &str = "/tmf-api/serviceInventory/v4";
/// TMF639 base path.
pub const RESOURCE_INVENTORY: &str = "/tmf-api/resourceInventory/v4";
/// TMF620 base path.
pub const PRODUCT_CATALOG: &str = "/tmf-api/productCatalogManagement/v4";
/// TMF633 base path.
pub const SERVICE_CATALOG: &str = "/tmf-api/serviceCatalogManagement/v4";
/// TMF634 base path.
pub const RESOURCE_CATALOG: &str = "/tmf-api/resourceCatalogManagement/v4";

/// What rendering needs beyond the entity: the date mapping, the public base URL hrefs start
/// with and, when at hand, the element and region names (event snapshots are rendered without
/// them and show numeric ids).
#[derive(Clone, Copy, Debug)]
pub struct RenderContext<'a> {
    /// Maps core time to dates.
    pub clock: WallClock,
    /// Element and region names.
    pub topology: Option<&'a Topology>,
    /// The API's public base URL without a trailing slash (`http.public_url`).
    pub public_url: &'a str,
}

impl RenderContext<'_> {
    /// `time` as a TMF `date-time`.
    pub fn date(&self, time: Time) -> Value {
        Value::String(self.clock.rfc3339(time))
    }

    /// The absolute href `{public_url}{base}/{resource}/{id}` (TMF `format: uri`): the one
    /// place every href is made.
    pub fn href(&self, base: &str, resource: &str, id: impl std::fmt::Display) -> String {
        format!("{}{base}/{resource}/{id}", self.public_url)
    }

    /// `{"id","href"}` (plus `@referredType` when given) referring to another entity.
    pub fn reference(
        &self,
        base: &str,
        resource: &str,
        id: impl std::fmt::Display,
        referred_type: Option<&str>,
    ) -> Value {
        let id = id.to_string();
        let mut map = Map::new();
        map.insert("href".into(), Value::String(self.href(base, resource, &id)));
        map.insert("id".into(), Value::String(id));
        if let Some(referred_type) = referred_type {
            map.insert("@referredType".into(), Value::String(referred_type.into()));
        }
        Value::Object(map)
    }
}

/// Inserts `key: value` when `value` is present.
pub fn insert_some(map: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(value) = value {
        map.insert(key.to_string(), value.into());
    }
}

/// A failure as a TMF `Note` (TMF622, TMF652): `@type: FailureNote`, the sentence as `text`,
/// the class as the extension `code`, dated `date`.
pub fn failure_note(reason: &FailureReason, date: Option<Value>) -> Value {
    let mut note = Map::new();
    note.insert("id".into(), json!("failure"));
    note.insert("@type".into(), json!("FailureNote"));
    note.insert("author".into(), json!("ordersim"));
    insert_some(&mut note, "date", date);
    note.insert("text".into(), json!(reason.message));
    note.insert("code".into(), json!(reason.code.as_str()));
    Value::Object(note)
}

/// A failure as a TMF641 `ServiceOrderErrorMessage`.
pub fn failure_error_message(reason: &FailureReason, timestamp: Option<Value>) -> Value {
    let mut message = Map::new();
    message.insert("@type".into(), json!("ServiceOrderErrorMessage"));
    message.insert("code".into(), json!(reason.code.as_str()));
    message.insert("reason".into(), json!(reason.message));
    insert_some(&mut message, "timestamp", timestamp);
    Value::Object(message)
}

/// The failure an order's JSON carries: the `FailureNote` in `note` (TMF622, TMF652) or the
/// first `errorMessage` (TMF641) with a code this simulator knows.
pub fn parse_failure(body: &Value) -> Option<FailureReason> {
    let from = |entry: &Value, text_key: &str| {
        let code = FailureCode::parse(entry.get("code")?.as_str()?)?;
        let message = entry.get(text_key).and_then(Value::as_str).unwrap_or("");
        Some(FailureReason::new(
            code,
            message.chars().take(512).collect::<String>(),
        ))
    };
    let notes = body
        .get("note")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    let errors = body
        .get("errorMessage")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    notes
        .filter(|note| note.get("@type").and_then(Value::as_str) == Some("FailureNote"))
        .find_map(|note| from(note, "text"))
        .or_else(|| errors.into_iter().find_map(|error| from(error, "reason")))
}

/// Characteristics as TMF `[{"name","value"}]`.
pub fn characteristics(list: &[Characteristic]) -> Value {
    Value::Array(
        list.iter()
            .map(|c| json!({"name": &*c.name, "value": c.value}))
            .collect(),
    )
}
