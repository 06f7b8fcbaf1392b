//! What a layer reads of another system's TMF resources: a child's order or service in its
//! state-change event or in a TMF630 list answer, and the inventory records a reconciling layer
//! lists. Typed serde views in TMF v4 names, tolerant as a client of a foreign TMF system must
//! be: every attribute optional, attributes the view does not name ignored. Whether what was
//! read is enough is the reader's judgement (see `runtime::transport::codec`), not the view's.

use serde::Deserialize;

use super::resource_order_create::ReferenceBody;
use crate::layers::common::Characteristic;
use crate::layers::failure::{FailureCode, FailureReason};

/// The longest failure text kept from a foreign body.
const FAILURE_TEXT_MAX: usize = 512;

/// A TMF688 event envelope: its type and the one resource it carries.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    /// `ServiceOrderStateChangeEvent`, … (absent: taken as a state change).
    pub event_type: Option<String>,
    /// The payload.
    pub event: Option<PayloadView>,
}

/// An event's payload: the resource under its TMF name. Resources a parent never reads
/// (`productOrder`, …) are counted, not read, so that "holds one resource" can be checked.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayloadView {
    /// TMF641.
    pub service_order: Option<ServiceOrderView>,
    /// TMF652.
    pub resource_order: Option<ResourceOrderView>,
    /// TMF640.
    pub service: Option<ServiceView>,
    /// Any other resource, by name.
    #[serde(flatten)]
    pub other: std::collections::BTreeMap<String, serde::de::IgnoredAny>,
}

impl PayloadView {
    /// Whether the payload holds any resource.
    pub fn is_empty(&self) -> bool {
        self.service_order.is_none()
            && self.resource_order.is_none()
            && self.service.is_none()
            && self.other.is_empty()
    }
}

/// A TMF641 `ServiceOrder`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceOrderView {
    /// Its id.
    pub id: Option<String>,
    /// Its state.
    pub state: Option<String>,
    /// What it realises (a `ProductOrder` for COM's orders).
    pub external_reference: Option<Vec<ExternalReferenceView>>,
    /// Its items.
    pub service_order_item: Option<Vec<ServiceOrderItemView>>,
    /// Notes (a `FailureNote` among them).
    pub note: Option<Vec<NoteView>>,
    /// TMF641 v4.1 error messages.
    pub error_message: Option<Vec<ErrorMessageView>>,
}

/// A TMF641 `ExternalReference` or a TMF652 `ExternalId`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalReferenceView {
    /// The referenced id.
    pub id: Option<String>,
    /// TMF641: the kind of thing referenced.
    pub external_reference_type: Option<String>,
    /// TMF652: the kind of thing referenced.
    pub entity_type: Option<String>,
}

/// A TMF641 `ServiceOrderItem`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceOrderItemView {
    /// Its id within the order.
    pub id: Option<String>,
    /// `add`, `modify`, `delete`, `noChange`.
    pub action: Option<String>,
    /// Its state.
    pub state: Option<String>,
    /// The service it acts on.
    pub service: Option<ServiceView>,
}

/// A TMF652 `ResourceOrder`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceOrderView {
    /// Its id.
    pub id: Option<String>,
    /// Its state.
    pub state: Option<String>,
    /// What it realises (a `ServiceOrderItem` for SOM's orders).
    pub external_reference: Option<Vec<ExternalReferenceView>>,
    /// Its items.
    pub order_item: Option<Vec<ResourceOrderItemView>>,
    /// Notes (a `FailureNote` among them).
    pub note: Option<Vec<NoteView>>,
}

/// A TMF652 `ResourceOrderItem`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceOrderItemView {
    /// What kind of resource.
    pub resource_specification: Option<ReferenceBody>,
    /// The resource it holds.
    pub resource: Option<ResourceView>,
}

/// A TMF652 `ResourceRefOrValue` or a TMF639 `Resource`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceView {
    /// Its TMF639 id.
    pub id: Option<String>,
    /// Its characteristics.
    pub resource_characteristic: Option<Vec<Characteristic>>,
    /// Entities related to it (by role).
    pub related_entity: Option<Vec<ReferenceBody>>,
}

/// A TMF640 or TMF638 `Service`, or the service of a TMF641 order item.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceView {
    /// Its id.
    pub id: Option<String>,
    /// Its state.
    pub state: Option<String>,
    /// What it is.
    pub service_specification: Option<ReferenceBody>,
    /// The services it supports (TMF640: the RFS instance).
    pub supporting_service: Option<Vec<ReferenceBody>>,
    /// The resources it uses.
    pub supporting_resource: Option<Vec<ReferenceBody>>,
    /// Entities related to it (by role).
    pub related_entity: Option<Vec<ReferenceBody>>,
    /// Notes (a `FailureNote` among them).
    pub note: Option<Vec<NoteView>>,
}

/// A TMF `Note`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NoteView {
    /// `FailureNote` for a failure.
    #[serde(rename = "@type")]
    pub kind: Option<String>,
    /// The failure class.
    pub code: Option<String>,
    /// What failed.
    pub text: Option<String>,
}

/// A TMF641 v4.1 `ServiceOrderErrorMessage`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ErrorMessageView {
    /// The failure class.
    pub code: Option<String>,
    /// What failed.
    pub reason: Option<String>,
}

/// The entry of `related` with `role`, if any.
pub fn with_role<'a>(
    related: Option<&'a [ReferenceBody]>,
    role: &str,
) -> Option<&'a ReferenceBody> {
    related?
        .iter()
        .find(|entry| entry.role.as_deref() == Some(role))
}

/// The failure a body carries: its `FailureNote` (TMF622, TMF640, TMF652) or else the first
/// error message (TMF641) whose code this simulator knows.
pub fn failure(
    notes: Option<&[NoteView]>,
    errors: Option<&[ErrorMessageView]>,
) -> Option<FailureReason> {
    let reason = |code: &Option<String>, text: &Option<String>| {
        let code = FailureCode::parse(code.as_deref()?)?;
        let text = text.as_deref().unwrap_or("");
        Some(FailureReason::new(
            code,
            text.chars().take(FAILURE_TEXT_MAX).collect::<String>(),
        ))
    };
    let notes = notes.unwrap_or_default().iter();
    let failure_notes = notes.filter(|note| note.kind.as_deref() == Some("FailureNote"));
    let errors = errors.unwrap_or_default().iter();
    failure_notes
        .into_iter()
        .find_map(|note| reason(&note.code, &note.text))
        .or_else(|| {
            errors
                .into_iter()
                .find_map(|error| reason(&error.code, &error.reason))
        })
}

/// Notes and error messages of any order or service body: what [`failure`] reads.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureView {
    /// Notes.
    pub note: Option<Vec<NoteView>>,
    /// Error messages.
    pub error_message: Option<Vec<ErrorMessageView>>,
}

/// An entity's id and state: what a TMF630 search answer is read for.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct IdStateView {
    /// Its id.
    pub id: Option<String>,
    /// Its state.
    pub state: Option<String>,
}
