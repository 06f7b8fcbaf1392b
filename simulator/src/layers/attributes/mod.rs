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

mod header;
mod item;

pub use header::{HeaderDetails, HeaderSummary, OrderHeader};
pub use item::{
    ProductOrderItemAttributes, ProductValue, ServiceOrderItemAttributes, ServiceValue, ValueTypes,
};

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
