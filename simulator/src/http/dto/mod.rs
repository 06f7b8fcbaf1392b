//! TMF JSON ⇄ domain: one file per API. Parsing does syntactic checks only (semantic ones,
//! such as "does this offering exist", are the layers' and come back as a `Rejection`);
//! rendering builds one `#[derive(Serialize)]` struct per TMF resource from the layers'
//! records (the shared references and characteristics in [`refs`]) and serializes it,
//! omitting absent attributes (the TMF schemas type them as strings, so `null` would be
//! invalid).

pub mod activation;
pub mod attributes;
pub mod cancel;
pub mod catalog;
pub mod inventory;
pub mod product_order;
pub mod refs;
pub mod resource_order;
pub mod service_order;

use serde::Serialize;
use serde_json::Value;

use self::refs::EntityRef;
use crate::domain::time::Time;
use crate::network::Topology;
use crate::runtime::WallClock;
pub use crate::tmf::{
    FailureErrorMessage, FailureNote, PRODUCT_CATALOG, PRODUCT_INVENTORY, PRODUCT_ORDERING,
    RESOURCE_CATALOG, RESOURCE_INVENTORY, RESOURCE_ORDERING, SERVICE_ACTIVATION, SERVICE_CATALOG,
    SERVICE_INVENTORY, SERVICE_ORDERING, failure_error_message, failure_note, parse_failure,
    resource_order_create, service_create,
};

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
    pub fn date(&self, time: Time) -> String {
        self.clock.rfc3339(time)
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
        referred_type: Option<&'static str>,
    ) -> EntityRef {
        let id = id.to_string();
        let href = self.href(base, resource, &id);
        EntityRef {
            referred_type,
            ..EntityRef::new(id, Some(href))
        }
    }
}

/// A rendered resource as JSON. The wire types serialize to objects with string keys, which
/// cannot fail; were one ever to, the answer is `null` rather than a panic.
pub fn to_json(resource: &impl Serialize) -> Value {
    serde_json::to_value(resource).unwrap_or(Value::Null)
}
