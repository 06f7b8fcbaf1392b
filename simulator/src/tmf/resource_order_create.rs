//! TMF652 `ResourceOrder_Create` ⇄ [`ResourceOrderCreate`]: what a parent (SOM, or any TMF652
//! client) tells ROM, in attributes TMF652 v4 defines and nothing else. The same body is what
//! `POST /resourceOrder` accepts in every mode and what the HTTP transport sends.
//!
//! | ROM needs                         | TMF652 attribute                                               |
//! |-----------------------------------|----------------------------------------------------------------|
//! | the service order item it realises | `externalReference[]` `{id: "SO-3/1", entityType: "ServiceOrderItem", owner}` |
//! | the resource to allocate          | `orderItem[].resourceSpecification.id` (or `resource.resourceSpecification.id`), a TMF634 id |
//! | the resource to modify or release | `orderItem[].resource.id` (its TMF639 id)                      |
//! | the region                        | `orderItem[].resource.place` (role `region`), else characteristic `region` |
//! | the subscriber's OLT              | characteristic `oltId`                                         |
//! | the RFS the resource supports     | characteristics `rfs` (TMF638 id) and `rfsSpecification`; without them the catalog's RFS that uses the resource specification |
//! | what activation configures        | `orderItem[].resource.resourceCharacteristic[]`                |
//!
//! Characteristics other than `rfs` and `rfsSpecification` are the order's: they are written
//! on every item and read back merged, first occurrence winning.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::BadBody;
use super::service_create::link;
use super::{RESOURCE_CATALOG, RESOURCE_INVENTORY, SERVICE_ORDERING};
use crate::domain::catalog::{Catalog, ResourceKind, ServiceCategory};
use crate::domain::ids::{ResourceId, ServiceId, ServiceOrderId};
use crate::layers::attributes::OrderHeader;
use crate::layers::common::{Action, Characteristic, characteristic_text};
use crate::layers::rom::{ResourceOrderCreate, ResourceOrderItemCreate, Rfs};
use crate::network::{RegionId, Topology};

/// The characteristic naming the RFS instance (TMF638 id) a resource supports.
pub const RFS: &str = "rfs";
/// The characteristic naming the RFS specification (TMF633 id) a resource supports.
pub const RFS_SPECIFICATION: &str = "rfsSpecification";
/// The characteristic naming the subscriber's OLT.
pub const OLT: &str = "oltId";
/// The `entityType` of an `externalReference` naming the service order item an order realises.
pub const SERVICE_ORDER_ITEM: &str = "ServiceOrderItem";
/// The `role` of the `place` that is the subscriber's region.
pub const REGION_ROLE: &str = "region";

/// TMF652 `ResourceOrder_Create` (the attributes ROM reads; others are ignored).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceOrderCreateBody {
    /// The client's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// References in other systems (the parent service order item).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_reference: Vec<ExternalIdBody>,
    /// The items.
    #[serde(default)]
    pub order_item: Vec<ResourceOrderItemBody>,
    /// `ResourceOrder`.
    #[serde(rename = "@type", default, skip_serializing_if = "Option::is_none")]
    pub at_type: Option<String>,
    /// The header attributes the order keeps for its client (`description`, `priority`,
    /// `category`, the dates, `note`, `relatedParty`, `name`, `orderType` …).
    #[serde(flatten)]
    pub header: OrderHeader,
}

/// TMF652 `ExternalId`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalIdBody {
    /// The id in the other system.
    pub id: String,
    /// What it names there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
    /// The system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// TMF652 `ResourceOrderItem`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceOrderItemBody {
    /// Its id within the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `add`, `modify`, `delete` or `noChange`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The resource specification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_specification: Option<ReferenceBody>,
    /// The resource: by id to modify or release, by value to add.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceBody>,
    /// `ResourceOrderItem`.
    #[serde(rename = "@type", default, skip_serializing_if = "Option::is_none")]
    pub at_type: Option<String>,
}

/// A TMF reference (`ResourceSpecificationRef`, `RelatedPlaceRefOrValue`, …).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferenceBody {
    /// The id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Its link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its role (a place's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The type referred to.
    #[serde(
        rename = "@referredType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub referred_type: Option<String>,
}

/// TMF652 `ResourceRefOrValue` (the attributes ROM reads).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceBody {
    /// Its TMF639 id (modify, delete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Its link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// Its specification (when the item does not name one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_specification: Option<ReferenceBody>,
    /// Where it is: the subscriber's region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<ReferenceBody>,
    /// Its characteristics.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_characteristic: Vec<Characteristic>,
    /// `LogicalResource`.
    #[serde(rename = "@type", default, skip_serializing_if = "Option::is_none")]
    pub at_type: Option<String>,
}

/// The body of `POST /resourceOrder` for `order`, with links to `public_url`.
pub fn body(
    order: &ResourceOrderCreate,
    topology: &Topology,
    public_url: &str,
) -> ResourceOrderCreateBody {
    let region = topology.region_name(order.region).to_string();
    let mut shared = order.characteristics.to_vec();
    if let Some(olt) = order.olt
        && characteristic_text(&shared, OLT).is_none()
    {
        shared.push(text_characteristic(
            OLT,
            topology.element_name(olt).to_string(),
        ));
    }
    let order_item = order
        .items
        .iter()
        .map(|item| {
            let mut characteristics = shared.clone();
            if let Some(rfs) = item.rfs.id {
                characteristics.push(text_characteristic(RFS, rfs.to_string()));
            }
            characteristics.push(text_characteristic(
                RFS_SPECIFICATION,
                item.rfs.specification.to_string(),
            ));
            let specification = ReferenceBody {
                id: Some(item.resource_specification.to_string()),
                href: Some(link(
                    public_url,
                    RESOURCE_CATALOG,
                    "resourceSpecification",
                    &item.resource_specification,
                )),
                ..ReferenceBody::default()
            };
            ResourceOrderItemBody {
                id: Some(item.id.clone()),
                action: Some(item.action.as_str().to_string()),
                resource_specification: Some(specification),
                resource: Some(ResourceBody {
                    id: item.resource.map(|id| id.to_string()),
                    href: item
                        .resource
                        .map(|id| link(public_url, RESOURCE_INVENTORY, "resource", id)),
                    resource_specification: None,
                    place: Some(ReferenceBody {
                        id: Some(region.clone()),
                        name: Some(region.clone()),
                        role: Some(REGION_ROLE.to_string()),
                        ..ReferenceBody::default()
                    }),
                    resource_characteristic: characteristics,
                    at_type: Some("LogicalResource".to_string()),
                }),
                at_type: Some("ResourceOrderItem".to_string()),
            }
        })
        .collect();
    let external_reference = order
        .parent
        .iter()
        .map(|(parent, item)| ExternalIdBody {
            id: format!("{parent}/{item}"),
            entity_type: Some(SERVICE_ORDER_ITEM.to_string()),
            owner: Some(SERVICE_ORDERING.to_string()),
        })
        .collect();
    ResourceOrderCreateBody {
        external_id: order.external_id.clone(),
        external_reference,
        order_item,
        at_type: Some("ResourceOrder".to_string()),
        header: order.header.as_deref().cloned().unwrap_or_default(),
    }
}

/// A characteristic `name` whose value is the string `value`.
pub fn text_characteristic(name: &str, value: String) -> Characteristic {
    Characteristic {
        name: Arc::from(name),
        value: Value::String(value),
    }
}

/// Parses and checks a `POST /resourceOrder` body against the catalog and the network: an
/// unknown resource specification, RFS specification, region or resource id is a 400 that
/// names it.
pub fn parse(
    body: Value,
    items_max: usize,
    catalog: &Catalog,
    topology: &Topology,
) -> Result<ResourceOrderCreate, BadBody> {
    let body: ResourceOrderCreateBody = serde_json::from_value(body)
        .map_err(|error| BadBody::new(format!("resourceOrder: {error}")))?;
    if body.order_item.is_empty() || body.order_item.len() > items_max {
        return Err(BadBody::new(format!(
            "orderItem must have 1 to {items_max} entries"
        )));
    }
    let characteristics = order_characteristics(&body.order_item);
    let items = body
        .order_item
        .iter()
        .enumerate()
        .map(|(index, item)| parse_item(index, item, catalog))
        .collect::<Result<Vec<_>, _>>()?;
    let olt =
        characteristic_text(&characteristics, OLT).and_then(|name| topology.element_by_name(&name));
    let header = body.header.for_resource_order();
    Ok(ResourceOrderCreate {
        header: (!header.is_empty()).then(|| Box::new(header)),
        external_id: body.external_id.clone(),
        parent: parent(&body.external_reference)?,
        region: region(&body.order_item, &characteristics, topology)?,
        olt,
        characteristics: characteristics.into(),
        items,
    })
}

/// The service order item the order realises, from an `externalReference` of entity type
/// `ServiceOrderItem`; other references are the client's own and name no parent.
fn parent(references: &[ExternalIdBody]) -> Result<Option<(ServiceOrderId, String)>, BadBody> {
    let Some(reference) = references
        .iter()
        .find(|reference| reference.entity_type.as_deref() == Some(SERVICE_ORDER_ITEM))
    else {
        return Ok(None);
    };
    let invalid = || {
        BadBody::new(format!(
            "externalReference `{}` of entityType ServiceOrderItem must read `SO-<n>/<item>`",
            clip(&reference.id)
        ))
    };
    let (order, item) = reference.id.split_once('/').ok_or_else(invalid)?;
    let order: ServiceOrderId = order.parse().map_err(|_| invalid())?;
    Ok(Some((order, item.to_string())))
}

/// The order's characteristics: every item's, but `rfs` and `rfsSpecification`, once each.
fn order_characteristics(items: &[ResourceOrderItemBody]) -> Vec<Characteristic> {
    let mut merged: Vec<Characteristic> = Vec::new();
    let all = items
        .iter()
        .filter_map(|item| item.resource.as_ref())
        .flat_map(|resource| resource.resource_characteristic.iter());
    for characteristic in all {
        let name = &*characteristic.name;
        if name == RFS || name == RFS_SPECIFICATION {
            continue;
        }
        if !merged.iter().any(|known| known.name == characteristic.name) {
            merged.push(characteristic.clone());
        }
    }
    merged
}

/// The region: an item's `place` (role `region`, or no role), else characteristic `region`.
fn region(
    items: &[ResourceOrderItemBody],
    characteristics: &[Characteristic],
    topology: &Topology,
) -> Result<RegionId, BadBody> {
    let place = items
        .iter()
        .filter_map(|item| item.resource.as_ref()?.place.as_ref())
        .find(|place| place.role.as_deref().is_none_or(|role| role == REGION_ROLE))
        .and_then(|place| place.name.clone().or_else(|| place.id.clone()));
    let Some(name) =
        place.or_else(|| characteristic_text(characteristics, "region").map(String::from))
    else {
        return Err(BadBody::new(
            "the region is required: orderItem.resource.place (role `region`) or a \
             resourceCharacteristic `region`",
        ));
    };
    topology
        .region_by_name(&name)
        .ok_or_else(|| BadBody::new(format!("region `{}` is not in the network", clip(&name))))
}

fn parse_item(
    index: usize,
    item: &ResourceOrderItemBody,
    catalog: &Catalog,
) -> Result<ResourceOrderItemCreate, BadBody> {
    let id = item.id.clone().unwrap_or_else(|| (index + 1).to_string());
    let action = match item.action.as_deref() {
        None => Action::Add,
        Some(name) => Action::parse(name).ok_or_else(|| {
            BadBody::new(format!("orderItem {id}: `{}` is not an action", clip(name)))
        })?,
    };
    let resource = item.resource.as_ref();
    let specification = item
        .resource_specification
        .as_ref()
        .or_else(|| resource?.resource_specification.as_ref())
        .and_then(|reference| reference.id.as_deref())
        .ok_or_else(|| {
            BadBody::new(format!(
                "orderItem {id}: resourceSpecification.id is required"
            ))
        })?;
    let (specification, kind) = resource_specification(catalog, specification)?;
    let existing = match resource.and_then(|resource| resource.id.as_deref()) {
        Some(text) if action != Action::Add => Some(text.parse::<ResourceId>().map_err(|_| {
            BadBody::new(format!(
                "orderItem {id}: resource.id `{}` is not a resource id",
                clip(text)
            ))
        })?),
        _ => None,
    };
    let characteristics = resource.map_or(&[][..], |r| &r.resource_characteristic[..]);
    Ok(ResourceOrderItemCreate {
        rfs: rfs(&id, characteristics, &specification, catalog)?,
        id,
        action,
        resource_specification: specification,
        kind,
        resource: existing,
    })
}

fn resource_specification(
    catalog: &Catalog,
    id: &str,
) -> Result<(Arc<str>, ResourceKind), BadBody> {
    catalog
        .resource_specifications
        .get_key_value(id)
        .map(|(id, specification)| (id.clone(), specification.kind))
        .ok_or_else(|| {
            BadBody::new(format!(
                "resourceSpecification `{}` is not in the catalog",
                clip(id)
            ))
        })
}

/// The RFS of item `item`: as its characteristics name it, or the catalog's RFS that uses
/// `resource_specification`.
fn rfs(
    item: &str,
    characteristics: &[Characteristic],
    resource_specification: &str,
    catalog: &Catalog,
) -> Result<Rfs, BadBody> {
    let id = match characteristic_text(characteristics, RFS) {
        None => None,
        Some(text) => Some(text.parse::<ServiceId>().map_err(|_| {
            BadBody::new(format!(
                "orderItem {item}: characteristic rfs `{}` is not a service id",
                clip(&text)
            ))
        })?),
    };
    let rfs_specifications = catalog
        .service_specifications
        .values()
        .filter(|service| service.category == ServiceCategory::Rfs);
    let specification = match characteristic_text(characteristics, RFS_SPECIFICATION) {
        Some(name) => rfs_specifications
            .map(|service| &service.id)
            .find(|known| ***known == *name)
            .ok_or_else(|| {
                BadBody::new(format!(
                    "orderItem {item}: rfsSpecification `{}` is not an RFS of the catalog",
                    clip(&name)
                ))
            })?,
        None => rfs_specifications
            .filter(|service| {
                service
                    .resources
                    .iter()
                    .any(|used| **used == *resource_specification)
            })
            .map(|service| &service.id)
            .next()
            .ok_or_else(|| {
                BadBody::new(format!(
                    "orderItem {item}: no RFS of the catalog uses resourceSpecification \
                     `{resource_specification}`"
                ))
            })?,
    };
    Ok(Rfs {
        id,
        specification: specification.clone(),
    })
}

fn clip(text: &str) -> String {
    text.chars().take(64).collect()
}
