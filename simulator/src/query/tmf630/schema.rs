//! Which attributes each TMF resource has, so a filter, `fields` or `sort` naming one it does
//! not have is refused (400) instead of silently matching nothing.
//!
//! TMF622, TMF641, TMF652 and TMF640 (and TMF638, whose `Service` is TMF640's) are checked
//! against the official swagger definitions, embedded from `tests/tmf/`: a dotted path is
//! walked through `$ref`s and `allOf`s to any depth. The inventories and catalogs without a
//! spec file here (TMF637/639/620/633/634) accept the top-level attributes listed below (their
//! TMF v4 attributes and everything the simulator renders) and any path below them.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

/// A TMF resource a list or a GET by id answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// TMF622 `ProductOrder`.
    ProductOrder,
    /// TMF622 `CancelProductOrder`.
    CancelProductOrder,
    /// TMF641 `ServiceOrder`.
    ServiceOrder,
    /// TMF641 `CancelServiceOrder`.
    CancelServiceOrder,
    /// TMF652 `ResourceOrder`.
    ResourceOrder,
    /// TMF652 `CancelResourceOrder`.
    CancelResourceOrder,
    /// TMF640 `Service`.
    ActivationService,
    /// TMF640 `Monitor`.
    Monitor,
    /// TMF637 `Product`.
    Product,
    /// TMF638 `Service`.
    InventoryService,
    /// TMF639 `Resource`.
    InventoryResource,
    /// TMF620 `ProductOffering`.
    ProductOffering,
    /// TMF620 `ProductSpecification`.
    ProductSpecification,
    /// TMF633 `ServiceSpecification`.
    ServiceSpecification,
    /// TMF634 `ResourceSpecification`.
    ResourceSpecification,
}

/// Where a resource's attributes come from.
enum Schema {
    /// A definition of an embedded spec.
    Spec(Spec, &'static str),
    /// Top-level attributes (besides [`COMMON`]), separated by spaces; anything below them
    /// is accepted.
    Listed(&'static str),
}

/// The embedded specs.
#[derive(Clone, Copy, Debug)]
enum Spec {
    Tmf622,
    Tmf641,
    Tmf652,
    Tmf640,
}

impl Resource {
    /// The TMF name of the resource.
    pub fn name(self) -> &'static str {
        match self {
            Resource::ProductOrder => "ProductOrder",
            Resource::CancelProductOrder => "CancelProductOrder",
            Resource::ServiceOrder => "ServiceOrder",
            Resource::CancelServiceOrder => "CancelServiceOrder",
            Resource::ResourceOrder => "ResourceOrder",
            Resource::CancelResourceOrder => "CancelResourceOrder",
            Resource::ActivationService | Resource::InventoryService => "Service",
            Resource::Monitor => "Monitor",
            Resource::Product => "Product",
            Resource::InventoryResource => "Resource",
            Resource::ProductOffering => "ProductOffering",
            Resource::ProductSpecification => "ProductSpecification",
            Resource::ServiceSpecification => "ServiceSpecification",
            Resource::ResourceSpecification => "ResourceSpecification",
        }
    }

    /// The attribute that holds the resource's state (what the domain pre-filter compares).
    pub fn state_attribute(self) -> &'static str {
        match self {
            Resource::Product => "status",
            Resource::InventoryResource => "resourceStatus",
            Resource::ProductOffering
            | Resource::ProductSpecification
            | Resource::ServiceSpecification
            | Resource::ResourceSpecification => "lifecycleStatus",
            _ => "state",
        }
    }

    /// Whether the resource has the (dotted) attribute `path`.
    pub fn has(self, path: &[String]) -> bool {
        match self.schema() {
            Schema::Spec(spec, definition) => spec.definitions().has(definition, path),
            Schema::Listed(names) => path.first().is_some_and(|first| {
                COMMON.contains(&first.as_str())
                    || names.split_whitespace().any(|name| name == first)
            }),
        }
    }

    fn schema(self) -> Schema {
        match self {
            Resource::ProductOrder => Schema::Spec(Spec::Tmf622, "ProductOrder"),
            Resource::CancelProductOrder => Schema::Spec(Spec::Tmf622, "CancelProductOrder"),
            Resource::ServiceOrder => Schema::Spec(Spec::Tmf641, "ServiceOrder"),
            Resource::CancelServiceOrder => Schema::Spec(Spec::Tmf641, "CancelServiceOrder"),
            Resource::ResourceOrder => Schema::Spec(Spec::Tmf652, "ResourceOrder"),
            Resource::CancelResourceOrder => Schema::Spec(Spec::Tmf652, "CancelResourceOrder"),
            Resource::ActivationService | Resource::InventoryService => {
                Schema::Spec(Spec::Tmf640, "Service")
            }
            Resource::Monitor => Schema::Spec(Spec::Tmf640, "Monitor"),
            Resource::Product => Schema::Listed(PRODUCT),
            Resource::InventoryResource => Schema::Listed(RESOURCE),
            Resource::ProductOffering => Schema::Listed(PRODUCT_OFFERING),
            Resource::ProductSpecification => Schema::Listed(PRODUCT_SPECIFICATION),
            Resource::ServiceSpecification => Schema::Listed(SERVICE_SPECIFICATION),
            Resource::ResourceSpecification => Schema::Listed(RESOURCE_SPECIFICATION),
        }
    }
}

/// Attributes every resource has, besides the ones listed for it.
const COMMON: [&str; 5] = ["id", "href", "@type", "@baseType", "@schemaLocation"];

/// TMF637 v4 `Product`.
const PRODUCT: &str = "\
    description isBundle isCustomerVisible name orderDate productSerialNumber startDate \
    terminationDate agreement billingAccount place product productCharacteristic \
    productOffering productOrderItem productPrice productRelationship productSpecification \
    productTerm realizingResource realizingService relatedParty status";

/// TMF639 v4 `Resource` (and `relatedEntity`, which the simulator renders).
const RESOURCE: &str = "\
    category description endOperatingDate name resourceVersion startOperatingDate \
    activationFeature administrativeState attachment note operationalState place \
    relatedEntity relatedParty resourceCharacteristic resourceRelationship \
    resourceSpecification resourceStatus usageState value";

/// TMF620 v4 `ProductOffering` (and the simulator's `@isSellableAlone`).
const PRODUCT_OFFERING: &str = "\
    description isBundle isSellable lastUpdate lifecycleStatus name statusReason version \
    agreement attachment bundledProductOffering category channel marketSegment place \
    prodSpecCharValueUse productOfferingPrice productOfferingRelationship \
    productOfferingTerm productSpecification resourceCandidate serviceCandidate \
    serviceLevelAgreement validFor @isSellableAlone";

/// TMF620 v4 `ProductSpecification`.
const PRODUCT_SPECIFICATION: &str = "\
    brand description isBundle lastUpdate lifecycleStatus name productNumber version \
    attachment bundledProductSpecification productSpecCharacteristic \
    productSpecificationRelationship relatedParty resourceSpecification \
    serviceSpecification targetProductSchema validFor";

/// TMF633 v4 `ServiceSpecification`.
const SERVICE_SPECIFICATION: &str = "\
    description isBundle lastUpdate lifecycleStatus name version attachment constraint \
    entitySpecRelationship featureSpecification relatedParty resourceSpecification \
    serviceLevelSpecification serviceSpecCharacteristic serviceSpecRelationship specCharacteristic \
    targetServiceSchema validFor";

/// TMF634 v4 `ResourceSpecification`.
const RESOURCE_SPECIFICATION: &str = "\
    category description isBundle lastUpdate lifecycleStatus name version attachment \
    featureSpecification relatedParty resourceSpecCharacteristic resourceSpecRelationship \
    targetResourceSchema validFor";

/// A spec's definitions: each one's attributes, with the definition an attribute refers to
/// (through `$ref` or an array's `items.$ref`).
#[derive(Debug, Default)]
struct Definitions(BTreeMap<String, BTreeMap<String, Option<String>>>);

/// How deep `allOf` chains are followed (they are one or two deep in TMF v4).
const ALL_OF_DEPTH_MAX: usize = 8;

impl Spec {
    fn definitions(self) -> &'static Definitions {
        static CELLS: [OnceLock<Definitions>; 4] = [const { OnceLock::new() }; 4];
        let (index, text) = match self {
            Spec::Tmf622 => (
                0,
                include_str!("../../../tests/tmf/TMF622-ProductOrder-v4.0.0.swagger.json"),
            ),
            Spec::Tmf641 => (
                1,
                include_str!("../../../tests/tmf/TMF641-ServiceOrdering-v4.1.0.swagger.json"),
            ),
            Spec::Tmf652 => (
                2,
                include_str!("../../../tests/tmf/TMF652-ResourceOrder-v4.0.0.swagger.json"),
            ),
            Spec::Tmf640 => (
                3,
                include_str!("../../../tests/tmf/TMF640-ServiceActivation-v4.0.0.swagger.json"),
            ),
        };
        CELLS[index].get_or_init(|| Definitions::parse(text))
    }
}

impl Definitions {
    /// Reads the `definitions` of a swagger document (an unreadable one has none: the unit
    /// tests prove the embedded ones read).
    fn parse(text: &str) -> Definitions {
        let spec: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let Some(raw) = spec.get("definitions").and_then(Value::as_object) else {
            return Definitions::default();
        };
        let mut definitions = BTreeMap::new();
        for name in raw.keys() {
            let mut attributes = BTreeMap::new();
            collect(raw, name, &mut attributes, ALL_OF_DEPTH_MAX);
            definitions.insert(name.clone(), attributes);
        }
        Definitions(definitions)
    }

    /// Whether `definition` has the dotted `path`.
    fn has(&self, definition: &str, path: &[String]) -> bool {
        let mut current = definition;
        for (index, segment) in path.iter().enumerate() {
            let Some(target) = self.0.get(current).and_then(|a| a.get(segment)) else {
                return false;
            };
            if index + 1 == path.len() {
                return true;
            }
            let Some(next) = target else { return false };
            current = next;
        }
        false
    }
}

fn collect(
    raw: &serde_json::Map<String, Value>,
    name: &str,
    into: &mut BTreeMap<String, Option<String>>,
    depth: usize,
) {
    let Some(definition) = raw.get(name) else {
        return;
    };
    if let Some(properties) = definition.get("properties").and_then(Value::as_object) {
        for (attribute, schema) in properties {
            let target = reference(schema).or_else(|| schema.get("items").and_then(reference));
            into.insert(attribute.clone(), target);
        }
    }
    for part in definition
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(parent), Some(depth)) = (reference(part), depth.checked_sub(1)) {
            collect(raw, &parent, into, depth);
        }
        if let Some(properties) = part.get("properties").and_then(Value::as_object) {
            for (attribute, schema) in properties {
                let target = reference(schema).or_else(|| schema.get("items").and_then(reference));
                into.insert(attribute.clone(), target);
            }
        }
    }
}

fn reference(schema: &Value) -> Option<String> {
    let text = schema.get("$ref")?.as_str()?;
    Some(text.rsplit('/').next()?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> Vec<String> {
        text.split('.').map(String::from).collect()
    }

    #[test]
    fn spec_resources_know_their_attributes_at_any_depth() {
        for (resource, known) in [
            (
                Resource::ProductOrder,
                "productOrderItem.product.productCharacteristic.name",
            ),
            (Resource::ProductOrder, "orderDate"),
            (Resource::CancelProductOrder, "productOrder.id"),
            (Resource::ServiceOrder, "serviceOrderItem.service.state"),
            (Resource::CancelServiceOrder, "serviceOrder.id"),
            (Resource::ResourceOrder, "orderItem.resource.id"),
            (Resource::CancelResourceOrder, "state"),
            (Resource::ActivationService, "supportingResource.id"),
            (Resource::InventoryService, "serviceCharacteristic.value"),
            (Resource::Monitor, "sourceHref"),
            (Resource::Product, "productOffering.whatever"),
            (Resource::Product, "startDate"),
            (Resource::Product, "terminationDate"),
            (Resource::InventoryResource, "@type"),
            (Resource::ResourceSpecification, "validFor"),
        ] {
            assert!(resource.has(&path(known)), "{resource:?} {known}");
        }
        for (resource, unknown) in [
            (Resource::ProductOrder, "foo"),
            (Resource::ProductOrder, "status"),
            (Resource::ProductOrder, "productOrderItem.foo"),
            (Resource::ProductOrder, "orderDate.gt"),
            (Resource::ServiceOrder, "productOrderItem"),
            (Resource::ResourceOrder, "orderItem.state.x"),
            (Resource::Product, "state"),
            (Resource::ProductOrder, ""),
        ] {
            assert!(!resource.has(&path(unknown)), "{resource:?} {unknown}");
        }
    }

    /// The embedded specs read, and each resource's definition lists what the spec file in
    /// `tests/tmf` lists (read here independently of the embedding).
    #[test]
    fn embedded_definitions_match_the_spec_files() {
        for (resource, file) in [
            (
                Resource::ProductOrder,
                "TMF622-ProductOrder-v4.0.0.swagger.json",
            ),
            (
                Resource::ServiceOrder,
                "TMF641-ServiceOrdering-v4.1.0.swagger.json",
            ),
            (
                Resource::ResourceOrder,
                "TMF652-ResourceOrder-v4.0.0.swagger.json",
            ),
            (
                Resource::ActivationService,
                "TMF640-ServiceActivation-v4.0.0.swagger.json",
            ),
        ] {
            let Schema::Spec(_, definition) = resource.schema() else {
                panic!("{resource:?} has a spec");
            };
            let file = format!("{}/tests/tmf/{file}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(&file).expect("spec file");
            let spec: Value = serde_json::from_str(&text).expect("json");
            let properties = spec["definitions"][definition]["properties"]
                .as_object()
                .expect("properties");
            assert!(properties.len() > 15, "{file}");
            for name in properties.keys() {
                assert!(
                    resource.has(std::slice::from_ref(name)),
                    "{resource:?} {name}"
                );
            }
        }
    }
}
