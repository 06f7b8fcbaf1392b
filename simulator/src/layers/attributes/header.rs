//! The order header a client writes: the plain attributes most clients set, and the lists
//! and references few do.

use serde::{Deserialize, Serialize};

use super::{EntityRef, ExternalReference, JsonObject, List, Note, Text};

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
    /// Priority, `0` (highest) to `4` (TMF652 types it as an integer: a number is kept as
    /// its text).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_number"
    )]
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
    /// TMF652: the order's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    /// TMF652: the kind of order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_type: Option<Text>,
    /// TMF652: when the client expects it done (`date-time`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_completion_date: Option<Text>,
    /// TMF652: when work started, as the client says (`date-time`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<Text>,
}

/// A priority given as a string or as a number (TMF652's integer), kept as text.
fn text_or_number<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Text>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Priority {
        Text(String),
        Number(serde_json::Number),
    }
    Ok(match Option::<Priority>::deserialize(deserializer)? {
        None => None,
        Some(Priority::Text(text)) => Some(text.into()),
        Some(Priority::Number(number)) => Some(number.to_string().into()),
    })
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
            name,
            order_type,
            expected_completion_date,
            start_date,
        );
    }

    /// Clears the attributes only TMF652 defines.
    fn without_resource_order_only(mut self) -> HeaderDetails {
        self.name = None;
        self.order_type = None;
        self.expected_completion_date = None;
        self.start_date = None;
        self
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
        self.details = self.details.without_resource_order_only();
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
        self.details = self.details.without_resource_order_only();
        self
    }

    /// Only what TMF652 `ResourceOrder` defines (its `externalReference` is TMF652's own
    /// `ExternalId`, read by the create body itself).
    pub fn for_resource_order(self) -> OrderHeader {
        let OrderHeader { summary, details } = self;
        OrderHeader {
            summary: HeaderSummary {
                notification_contact: None,
                ..summary
            },
            details: HeaderDetails {
                related_party: details.related_party,
                note: details.note,
                base_type: details.base_type,
                schema_location: details.schema_location,
                name: details.name,
                order_type: details.order_type,
                expected_completion_date: details.expected_completion_date,
                start_date: details.start_date,
                ..HeaderDetails::default()
            },
        }
    }
}
