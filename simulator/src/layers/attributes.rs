//! What a client writes on a TMF622 product order or TMF641 service order that the chain
//! carries without acting on: the order header (`description`, `priority`, `relatedParty`,
//! `note`, …), the item-level attributes and the characteristics' `valueType`.
//!
//! The layers treat all of it as opaque data: stored with the order, answered by GET, carried
//! in events and lists, changed by PATCH. The types are serde-derived in the TMF v4 spelling,
//! so parsing and rendering are the same code. An order that carries none of it pays one
//! pointer (`Option<Box<…>>`). Deep TMF structures the chain has no use for (prices, terms,
//! places, relationships) are kept as JSON objects, verbatim.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A JSON object carried verbatim.
pub type JsonObject = Map<String, Value>;
/// A string as stored: `Box<str>` is 16 bytes against `String`'s 24, and stored text never
/// grows.
pub type Text = Box<str>;
/// A list as stored (16 bytes against `Vec`'s 24).
pub type List<T> = Box<[T]>;

/// A TMF reference: `*Ref`, `RelatedParty`, `RelatedChannel`, `ServiceOrderRelationship` (one
/// shape: an `id` plus the optional attributes those share).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityRef {
    /// The referred entity's id.
    pub id: Text,
    /// Its address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub href: Option<Text>,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    /// The role it plays (`RelatedParty`, `RelatedChannel`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Text>,
    /// A description (`AppointmentRef`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// How it relates (`ServiceOrderRelationship`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relationship_type: Option<Text>,
    /// The TMF class of the referred entity.
    #[serde(rename = "@referredType", skip_serializing_if = "Option::is_none")]
    pub referred_type: Option<Text>,
    /// The TMF class of the reference.
    #[serde(rename = "@type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<Text>,
    /// Its base class.
    #[serde(rename = "@baseType", skip_serializing_if = "Option::is_none")]
    pub base_type: Option<Text>,
    /// Its schema.
    #[serde(rename = "@schemaLocation", skip_serializing_if = "Option::is_none")]
    pub schema_location: Option<Text>,
}

/// A TMF `Note`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    /// Its id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Text>,
    /// Who wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<Text>,
    /// When (`date-time`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<Text>,
    /// What it says.
    pub text: Text,
    /// Its TMF class.
    #[serde(rename = "@type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<Text>,
    /// Its base class.
    #[serde(rename = "@baseType", skip_serializing_if = "Option::is_none")]
    pub base_type: Option<Text>,
    /// Its schema.
    #[serde(rename = "@schemaLocation", skip_serializing_if = "Option::is_none")]
    pub schema_location: Option<Text>,
}

/// A TMF641 `ExternalReference` (the one naming the parent `ProductOrder` is the order's
/// `parent`, not kept here).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalReference {
    /// The referenced entity's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Text>,
    /// Its address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub href: Option<Text>,
    /// Its type (`ProductOrder`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_reference_type: Option<Text>,
    /// Its name (required by TMF641; checked when parsed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    /// Its TMF class.
    #[serde(rename = "@type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<Text>,
}

/// The writable attributes of an order header (TMF622 `ProductOrder_Create`, TMF641
/// `ServiceOrder_Create`), besides `externalId` and the items, which the layers use: the
/// [`HeaderSummary`] most clients set, and the [`HeaderDetails`] few do (stored in a box of
/// their own). Each API keeps only those its schema defines (see
/// [`OrderHeader::for_product_order`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderHeader {
    /// The plain attributes.
    #[serde(flatten)]
    pub summary: HeaderSummary,
    /// The lists and references.
    #[serde(flatten)]
    pub details: HeaderDetails,
}

/// The plain header attributes (stored inline with an order's attributes).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeaderSummary {
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// Priority, `0` (highest) to `4`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<Text>,
    /// The order's category (e.g. B2B, B2C).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Text>,
    /// Who to tell about the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_contact: Option<Text>,
    /// When the client wants work to start (`date-time`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_start_date: Option<Text>,
    /// When the client wants it done (`date-time`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_completion_date: Option<Text>,
}

/// The header's lists and references (stored boxed: most orders have none).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeaderDetails {
    /// A cancellation date the client wrote (`date-time`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancellation_date: Option<Text>,
    /// A cancellation reason the client wrote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancellation_reason: Option<Text>,
    /// The parties involved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_party: Option<List<EntityRef>>,
    /// The client's notes (a failure adds its `FailureNote` when rendered, TMF622).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<List<Note>>,
    /// TMF622: the sales channels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<List<EntityRef>>,
    /// TMF622: the billing account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_account: Option<Box<EntityRef>>,
    /// TMF622: agreements.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement: Option<List<EntityRef>>,
    /// TMF622: payments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment: Option<List<EntityRef>>,
    /// TMF622: quotes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<List<EntityRef>>,
    /// TMF622: qualifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_offering_qualification: Option<List<EntityRef>>,
    /// TMF622: `OrderPrice`s, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_total_price: Option<List<JsonObject>>,
    /// TMF641: external references other than the parent product order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_reference: Option<List<ExternalReference>>,
    /// TMF641: related orders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_relationship: Option<List<EntityRef>>,
    /// The order's base class.
    #[serde(rename = "@baseType", skip_serializing_if = "Option::is_none")]
    pub base_type: Option<Text>,
    /// The order's schema.
    #[serde(rename = "@schemaLocation", skip_serializing_if = "Option::is_none")]
    pub schema_location: Option<Text>,
}

/// Sets in `$target` each of `$fields` that `$source` has.
macro_rules! merge_fields {
    ($target:expr, $source:expr, $($field:ident),+ $(,)?) => {
        $(if $source.$field.is_some() { $target.$field = $source.$field; })+
    };
}

impl HeaderSummary {
    /// A merge-patch: every attribute `patch` sets replaces this one.
    pub fn merge(&mut self, patch: HeaderSummary) {
        merge_fields!(
            self,
            patch,
            description,
            priority,
            category,
            notification_contact,
            requested_start_date,
            requested_completion_date,
        );
    }
}

impl HeaderDetails {
    /// A merge-patch: every attribute `patch` sets replaces this one.
    pub fn merge(&mut self, patch: HeaderDetails) {
        merge_fields!(
            self,
            patch,
            cancellation_date,
            cancellation_reason,
            related_party,
            note,
            channel,
            billing_account,
            agreement,
            payment,
            quote,
            product_offering_qualification,
            order_total_price,
            external_reference,
            order_relationship,
            base_type,
            schema_location,
        );
    }
}

impl OrderHeader {
    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == OrderHeader::default()
    }

    /// Only what TMF622 `ProductOrder` defines.
    pub fn for_product_order(mut self) -> OrderHeader {
        self.details.external_reference = None;
        self.details.order_relationship = None;
        self
    }

    /// Only what TMF641 `ServiceOrder` defines.
    pub fn for_service_order(mut self) -> OrderHeader {
        let details = &mut self.details;
        details.channel = None;
        details.billing_account = None;
        details.agreement = None;
        details.payment = None;
        details.quote = None;
        details.product_offering_qualification = None;
        details.order_total_price = None;
        self
    }
}

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

/// What a client wrote on an order beyond what the chain acts on: the header and, by item
/// position, each item's attributes (`None` for an item with none).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OrderAttributes<Item> {
    /// The plain header attributes.
    pub summary: HeaderSummary,
    /// The header's lists and references, when it has any.
    pub details: Option<Box<HeaderDetails>>,
    /// Each item's, by position.
    pub items: Vec<Option<Box<Item>>>,
}

impl<Item> OrderAttributes<Item> {
    /// What to store of `header` and `items`: `None` when there is nothing to keep, so an
    /// order without attributes stores no box.
    pub fn stored(header: OrderHeader, mut items: Vec<Option<Box<Item>>>) -> Option<Box<Self>> {
        if items.iter().all(Option::is_none) {
            items = Vec::new();
        }
        let details =
            (header.details != HeaderDetails::default()).then(|| Box::new(header.details));
        let empty = header.summary == HeaderSummary::default() && details.is_none();
        (!empty || !items.is_empty()).then(|| {
            Box::new(OrderAttributes {
                summary: header.summary,
                details,
                items,
            })
        })
    }

    /// The attributes of the item at `index`, if it has any.
    pub fn item(&self, index: usize) -> Option<&Item> {
        self.items.get(index).and_then(Option::as_deref)
    }

    /// A merge-patch of the header.
    pub fn merge(&mut self, patch: OrderHeader) {
        self.summary.merge(patch.summary);
        if patch.details != HeaderDetails::default() {
            let details = self.details.get_or_insert_with(Default::default);
            details.merge(patch.details);
        }
    }
}

/// A product order's attributes.
pub type ProductOrderAttributes = OrderAttributes<ProductOrderItemAttributes>;
/// A service order's attributes.
pub type ServiceOrderAttributes = OrderAttributes<ServiceOrderItemAttributes>;

/// Applies a merge-patch of the header to an order's stored attributes (creating them when the
/// order had none).
pub fn patch_header<Item>(stored: &mut Option<Box<OrderAttributes<Item>>>, patch: OrderHeader) {
    match stored {
        Some(attributes) => attributes.merge(patch),
        None => *stored = OrderAttributes::stored(patch, Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_without_attributes_pays_one_pointer() {
        let pointer = std::mem::size_of::<usize>();
        assert_eq!(size_of::<Option<Box<ProductOrderAttributes>>>(), pointer);
        assert_eq!(size_of::<Option<Box<ServiceOrderAttributes>>>(), pointer);
        let stored = ProductOrderAttributes::stored(OrderHeader::default(), vec![None, None]);
        assert!(stored.is_none(), "nothing to keep: no box");
        // An order that sets only `description` (as loadgen's do) pays the header's box.
        println!(
            "HeaderDetails {} B, ProductOrderAttributes {} B, item attributes {} / {} B",
            size_of::<HeaderDetails>(),
            size_of::<ProductOrderAttributes>(),
            size_of::<ProductOrderItemAttributes>(),
            size_of::<ServiceOrderItemAttributes>()
        );
        assert!(size_of::<ProductOrderAttributes>() <= 160);
    }

    #[test]
    fn a_merge_patch_replaces_only_what_it_sets() {
        let mut stored = None;
        let mut first = OrderHeader::default();
        first.summary.description = Some("a".into());
        first.summary.priority = Some("1".into());
        patch_header::<ProductOrderItemAttributes>(&mut stored, first);
        let mut second = OrderHeader::default();
        second.summary.priority = Some("2".into());
        second.details.note = Some(Box::new([]));
        patch_header(&mut stored, second);
        let stored = stored.expect("created");
        assert_eq!(stored.summary.description.as_deref(), Some("a"));
        assert_eq!(stored.summary.priority.as_deref(), Some("2"));
        assert!(stored.details.is_some_and(|details| details.note.is_some()));
    }
}
