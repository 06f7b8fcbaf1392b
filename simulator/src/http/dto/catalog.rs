//! TMF620/633/634 catalogs: the JSON of offerings and specifications (read-only), as derived
//! serde types in the specs' names.

use serde::Serialize;
use serde_json::Value;

use super::refs::EntityRef;
use super::{PRODUCT_CATALOG, RESOURCE_CATALOG, RenderContext, SERVICE_CATALOG, to_json};
use crate::domain::catalog::{
    ProductOffering, ProductSpecification, ResourceKind, ResourceSpecification, ServiceCategory,
    ServiceSpecification,
};
use crate::domain::characteristic::CharacteristicSpecification;

/// A TMF620 `ProductSpecificationCharacteristic` / TMF633 `CharacteristicSpecification`, with
/// its one value specification (type and integer range).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CharacteristicSpecJson<'a> {
    name: &'a str,
    description: &'a str,
    value_type: &'static str,
    configurable: bool,
    min_cardinality: u32,
    max_cardinality: u32,
    /// Under `productSpecCharacteristicValue` (TMF620) or `characteristicValueSpecification`
    /// (TMF633).
    #[serde(skip_serializing_if = "Option::is_none")]
    product_spec_characteristic_value: Option<[ValueSpecJson; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    characteristic_value_specification: Option<[ValueSpecJson; 1]>,
}

/// A characteristic's value specification.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ValueSpecJson {
    value_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_from: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_to: Option<i64>,
}

/// Which catalog a characteristic specification is shown in.
#[derive(Copy, Clone)]
enum SpecOf {
    Product,
    Service,
}

fn characteristic(spec: &CharacteristicSpecification, of: SpecOf) -> CharacteristicSpecJson<'_> {
    let values = Some([ValueSpecJson {
        value_type: spec.value_type.as_str(),
        value_from: spec.value_from,
        value_to: spec.value_to,
    }]);
    let (product, service) = match of {
        SpecOf::Product => (values, None),
        SpecOf::Service => (None, values),
    };
    CharacteristicSpecJson {
        name: &spec.name,
        description: &spec.description,
        value_type: spec.value_type.as_str(),
        configurable: true,
        min_cardinality: 0,
        max_cardinality: 1,
        product_spec_characteristic_value: product,
        characteristic_value_specification: service,
    }
}

/// The header every catalog entity shares.
#[derive(Serialize)]
struct CatalogEntryJson<'a> {
    id: &'a str,
    href: String,
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'a str,
    #[serde(rename = "lifecycleStatus")]
    lifecycle_status: &'static str,
}

impl<'a> CatalogEntryJson<'a> {
    fn new(id: &'a str, href: String, kind: &'static str, name: &'a str) -> Self {
        CatalogEntryJson {
            id,
            href,
            kind,
            name,
            lifecycle_status: "Active",
        }
    }
}

/// TMF620 `ProductOffering`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OfferingJson<'a> {
    #[serde(flatten)]
    entry: CatalogEntryJson<'a>,
    is_bundle: bool,
    is_sellable: bool,
    /// Not a TMF620 attribute: add-ons (IPTV) need a broadband product beside them.
    #[serde(rename = "@isSellableAlone")]
    is_sellable_alone: bool,
    product_specification: EntityRef,
}

/// TMF620 `ProductSpecification`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProductSpecificationJson<'a> {
    #[serde(flatten)]
    entry: CatalogEntryJson<'a>,
    service_specification: Vec<EntityRef>,
    product_spec_characteristic: Vec<CharacteristicSpecJson<'a>>,
}

/// TMF633 `ServiceSpecification`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServiceSpecificationJson<'a> {
    #[serde(flatten)]
    entry: CatalogEntryJson<'a>,
    service_spec_relationship: Vec<SpecRelationshipJson<'a>>,
    resource_specification: Vec<EntityRef>,
    spec_characteristic: Vec<CharacteristicSpecJson<'a>>,
}

/// TMF633 `ServiceSpecRelationship`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpecRelationshipJson<'a> {
    id: &'a str,
    href: String,
    relationship_type: &'static str,
}

/// TMF634 `ResourceSpecification`.
#[derive(Serialize)]
struct ResourceSpecificationJson<'a> {
    #[serde(flatten)]
    entry: CatalogEntryJson<'a>,
    category: ResourceKind,
}

/// The JSON of a TMF620 `ProductOffering`.
pub fn render_offering(offering: &ProductOffering, context: &RenderContext<'_>) -> Value {
    let href = context.href(PRODUCT_CATALOG, "productOffering", &offering.id);
    to_json(&OfferingJson {
        entry: CatalogEntryJson::new(&offering.id, href, "ProductOffering", &offering.name),
        is_bundle: false,
        is_sellable: true,
        is_sellable_alone: offering.is_sellable_alone,
        product_specification: context.reference(
            PRODUCT_CATALOG,
            "productSpecification",
            &offering.product_specification,
            None,
        ),
    })
}

/// The JSON of a TMF620 `ProductSpecification`.
pub fn render_product_specification(
    specification: &ProductSpecification,
    context: &RenderContext<'_>,
) -> Value {
    let href = context.href(PRODUCT_CATALOG, "productSpecification", &specification.id);
    let services = (specification.services.iter())
        .map(|id| context.reference(SERVICE_CATALOG, "serviceSpecification", id, None));
    let characteristics =
        (specification.characteristics.iter()).map(|spec| characteristic(spec, SpecOf::Product));
    to_json(&ProductSpecificationJson {
        entry: CatalogEntryJson::new(
            &specification.id,
            href,
            "ProductSpecification",
            &specification.name,
        ),
        service_specification: services.collect(),
        product_spec_characteristic: characteristics.collect(),
    })
}

/// The JSON of a TMF633 `ServiceSpecification` (CFS or RFS).
pub fn render_service_specification(
    specification: &ServiceSpecification,
    context: &RenderContext<'_>,
) -> Value {
    let kind = match specification.category {
        ServiceCategory::Cfs => "CustomerFacingServiceSpecification",
        ServiceCategory::Rfs => "ResourceFacingServiceSpecification",
    };
    let href = context.href(SERVICE_CATALOG, "serviceSpecification", &specification.id);
    let related = specification
        .services
        .iter()
        .map(|id| SpecRelationshipJson {
            id,
            href: context.href(SERVICE_CATALOG, "serviceSpecification", id),
            relationship_type: "dependency",
        });
    let resources = (specification.resources.iter())
        .map(|id| context.reference(RESOURCE_CATALOG, "resourceSpecification", id, None));
    let characteristics =
        (specification.characteristics.iter()).map(|spec| characteristic(spec, SpecOf::Service));
    to_json(&ServiceSpecificationJson {
        entry: CatalogEntryJson::new(&specification.id, href, kind, &specification.name),
        service_spec_relationship: related.collect(),
        resource_specification: resources.collect(),
        spec_characteristic: characteristics.collect(),
    })
}

/// The JSON of a TMF634 `ResourceSpecification`.
pub fn render_resource_specification(
    specification: &ResourceSpecification,
    context: &RenderContext<'_>,
) -> Value {
    let href = context.href(RESOURCE_CATALOG, "resourceSpecification", &specification.id);
    to_json(&ResourceSpecificationJson {
        entry: CatalogEntryJson::new(
            &specification.id,
            href,
            "LogicalResourceSpecification",
            &specification.name,
        ),
        category: specification.kind,
    })
}
