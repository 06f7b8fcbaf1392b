//! The item-level attributes a client writes on a TMF622 `ProductOrderItem` or a TMF641
//! `ServiceOrderItem`, and those of the product or service it carries.

use serde::{Deserialize, Serialize};

use super::{EntityRef, JsonObject, List, Note, Text};

/// The `valueType` of each characteristic of an item, by position (the chain never reorders
/// characteristics); empty when none has one.
pub type ValueTypes = Vec<Option<Text>>;

/// The writable attributes of a TMF622 `ProductOrderItem` the chain carries, and those of its
/// `product` (`ProductRefOrValue`) besides `id`, `productCharacteristic` and the offering.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductOrderItemAttributes {
    /// How many.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
    /// An appointment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment: Option<Box<EntityRef>>,
    /// The item's billing account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_account: Option<Box<EntityRef>>,
    /// Payments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment: Option<List<EntityRef>>,
    /// Qualifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualification: Option<List<EntityRef>>,
    /// `OrderPrice`s, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_price: Option<List<JsonObject>>,
    /// `OrderPrice`s, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_total_price: Option<List<JsonObject>>,
    /// `OrderTerm`s, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_term: Option<List<JsonObject>>,
    /// `OrderItemRelationship`s, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_order_item_relationship: Option<List<JsonObject>>,
    /// A `QuoteItemRef`, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote_item: Option<JsonObject>,
    /// A `ProductOfferingQualificationItemRef`, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_offering_qualification_item: Option<JsonObject>,
    /// The item's base class.
    #[serde(rename = "@baseType", skip_serializing_if = "Option::is_none")]
    pub base_type: Option<Text>,
    /// The product's own attributes.
    #[serde(skip)]
    pub product: ProductValue,
    /// The `valueType` of each `productCharacteristic`.
    #[serde(skip)]
    pub value_types: ValueTypes,
}

/// The attributes of a `ProductRefOrValue` a client may write that the chain carries.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductValue {
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// Whether it is a bundle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_bundle: Option<bool>,
    /// Whether the customer sees it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_customer_visible: Option<bool>,
    /// Its serial number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_serial_number: Option<Text>,
    /// Its start (`date-time`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<Text>,
    /// Its end (`date-time`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_date: Option<Text>,
    /// Its specification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_specification: Option<Box<EntityRef>>,
    /// Its billing account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_account: Option<Box<EntityRef>>,
    /// The parties involved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_party: Option<List<EntityRef>>,
    /// `RelatedPlaceRefOrValue`s, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<List<JsonObject>>,
    /// `ProductRelationship`s, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_relationship: Option<List<JsonObject>>,
}

/// The writable attributes of a TMF641 `ServiceOrderItem` the chain carries, and those of its
/// `service` (`ServiceRefOrValue`) besides `id`, the specification and characteristics.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceOrderItemAttributes {
    /// How many.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
    /// An appointment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment: Option<Box<EntityRef>>,
    /// `ServiceOrderItemRelationship`s, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_order_item_relationship: Option<List<JsonObject>>,
    /// The item's base class.
    #[serde(rename = "@baseType", skip_serializing_if = "Option::is_none")]
    pub base_type: Option<Text>,
    /// The service's own attributes.
    #[serde(skip)]
    pub service: ServiceValue,
    /// The `valueType` of each `serviceCharacteristic`.
    #[serde(skip)]
    pub value_types: ValueTypes,
}

/// The attributes of a `ServiceRefOrValue` a client may write that the chain carries.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceValue {
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// Its category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Text>,
    /// Its type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_type: Option<Text>,
    /// Its start (`date-time`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<Text>,
    /// Its end (`date-time`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<Text>,
    /// How it starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_mode: Option<Text>,
    /// Whether it is a bundle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_bundle: Option<bool>,
    /// The parties involved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_party: Option<List<EntityRef>>,
    /// Notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<List<Note>>,
    /// `RelatedPlaceRefOrValue`s, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<List<JsonObject>>,
}
