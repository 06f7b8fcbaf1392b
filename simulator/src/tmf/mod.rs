//! The TMF v4 wire model shared by the HTTP API and the HTTP transport: base paths, the
//! failure notes and error messages orders carry, and the create and update bodies a parent
//! layer sends its child (TMF652 `ResourceOrder_Create`, TMF640 `Service_Create`/`_Update`).
//! It depends on the layers and the domain only, so both `http` and `runtime` use it without
//! one importing the other.

pub mod checks;
pub mod error;
pub mod event;
pub mod product_order_create;
pub mod read;
pub mod resource_order_create;
pub mod resource_value;
pub mod service_create;
pub mod service_order_create;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use self::resource_order_create::ReferenceBody;
use crate::layers::failure::FailureReason;

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

/// The `relatedEntity` role by which a service (in a service order item) names the product
/// order item it realises: how COM's service orders say it in TMF641 attributes.
pub const PRODUCT_ORDER_ITEM_ROLE: &str = "productOrderItem";

/// The TMF639 `relatedEntity` role by which a resource in service names the TMF640 service
/// configuring it (the entry's `name` is the RFS specification that service activates).
pub const ACTIVATION_ROLE: &str = "activation";

/// The TMF639 `relatedEntity` role by which a resource in service names the TMF638 RFS it
/// supports.
pub const RFS_ROLE: &str = "supportedService";

/// The TMF639 `relatedEntity` role by which a resource names the network allocation holding
/// it (`AL-n`, the id in the network's `/network/v1/allocation` listing): what lets an
/// auditor of a split chain match the network's allocations with ROM's inventory.
pub const ALLOCATION_ROLE: &str = "allocation";

/// `relatedEntity` entry naming product order item `id` (see [`PRODUCT_ORDER_ITEM_ROLE`]).
pub fn product_order_item_ref(id: &str) -> ReferenceBody {
    ReferenceBody {
        id: Some(id.to_string()),
        role: Some(PRODUCT_ORDER_ITEM_ROLE.to_string()),
        referred_type: Some("ProductOrderItem".to_string()),
        ..ReferenceBody::default()
    }
}

/// The product order item a service's `relatedEntity` list names, if it names one.
pub fn product_order_item_of(related: &[ReferenceBody]) -> Option<&str> {
    read::with_role(Some(related), PRODUCT_ORDER_ITEM_ROLE)?
        .id
        .as_deref()
}

/// A body that is not what the TMF schema (or this simulator) accepts: a 400 for the caller.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BadBody {
    /// A sentence for the client.
    pub message: String,
}

impl BadBody {
    /// A refusal saying `message`.
    pub fn new(message: impl Into<String>) -> BadBody {
        BadBody {
            message: message.into(),
        }
    }
}

/// A failure as a TMF `Note` (TMF622, TMF640, TMF652): `@type: FailureNote`, the sentence as
/// `text`, the class as the extension `code`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailureNote<'a> {
    /// Always `failure`.
    pub id: &'static str,
    /// Always `FailureNote`.
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// Always `ordersim`.
    pub author: &'static str,
    /// When it failed (`date-time`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// What failed.
    pub text: &'a str,
    /// The class ([`FailureCode`]).
    pub code: &'static str,
}

/// `reason` as a [`FailureNote`] dated `date`.
pub fn failure_note(reason: &FailureReason, date: Option<String>) -> FailureNote<'_> {
    FailureNote {
        id: "failure",
        kind: "FailureNote",
        author: "ordersim",
        date,
        text: &reason.message,
        code: reason.code.as_str(),
    }
}

/// A failure as a TMF641 `ServiceOrderErrorMessage`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailureErrorMessage<'a> {
    /// Always `ServiceOrderErrorMessage`.
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// The class ([`FailureCode`]).
    pub code: &'static str,
    /// What failed.
    pub reason: &'a str,
    /// When it failed (`date-time`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
}

/// `reason` as a [`FailureErrorMessage`] at `timestamp`.
pub fn failure_error_message(
    reason: &FailureReason,
    timestamp: Option<String>,
) -> FailureErrorMessage<'_> {
    FailureErrorMessage {
        kind: "ServiceOrderErrorMessage",
        code: reason.code.as_str(),
        reason: &reason.message,
        timestamp,
    }
}

/// The failure an order's JSON carries: the `FailureNote` in `note` (TMF622, TMF652) or the
/// first `errorMessage` (TMF641) with a code this simulator knows; `None` also for a body
/// whose notes are not TMF notes.
pub fn parse_failure(body: &Value) -> Option<FailureReason> {
    let view = read::FailureView::deserialize(body).ok()?;
    read::failure(view.note.as_deref(), view.error_message.as_deref())
}
