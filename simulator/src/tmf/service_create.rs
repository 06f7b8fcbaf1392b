//! TMF640 `Service_Create` and `Service_Update` ⇄ activation requests: what ROM (or any TMF640
//! client) tells the activation layer, in attributes TMF640 v4 defines and nothing else. The
//! same bodies are what `POST` and `PATCH /service` accept in every mode and what the HTTP
//! transport sends.
//!
//! | activation needs                  | TMF640 attribute                                           |
//! |-----------------------------------|------------------------------------------------------------|
//! | what to activate                  | `serviceSpecification.id` (a TMF633 id)                    |
//! | the state wanted                  | `state`: `active` on create; `terminated` or `active` on PATCH |
//! | the values to configure           | `serviceCharacteristic[]`: the resources' values (`olt`, `ponPort`, `onuId`, `sVlan`, `cVlan`, `ipv4Address`, `region`, `dslam`, `port`, `multicastVlan`, `member`, `phoneNumber`) and the rest (speed, …) |
//! | the resources' inventory ids      | `supportingResource[]` (TMF639 ids)                       |
//! | the RFS instance                  | `supportingService[]` (a TMF638 id)                        |
//! | who asks, told the outcome        | `relatedEntity[]` role `requester`, `@referredType` `ResourceOrder` |

use std::net::Ipv4Addr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::BadBody;
use super::resource_order_create::ReferenceBody;
use super::resource_value::resource_characteristics;
use super::{RESOURCE_INVENTORY, RESOURCE_ORDERING, SERVICE_CATALOG, SERVICE_INVENTORY};
use crate::domain::catalog::Catalog;
use crate::domain::ids::{ResourceId, ResourceOrderId, ServiceId};
use crate::domain::state::ServiceState;
use crate::layers::activation::{ActivationCreate, ServiceChange};
use crate::layers::common::{Characteristic, Characteristics};
use crate::network::{ElementId, RegionId, ResourceValue, Topology};

/// The `role` of the `relatedEntity` that asked for the service.
pub const REQUESTER: &str = "requester";
/// Resources one service may use.
pub const RESOURCES_PER_SERVICE_MAX: usize = 16;
/// Characteristics one service may carry.
pub const CHARACTERISTICS_MAX: usize = 64;

/// TMF640 `Service_Create` / `Service_Update` (the attributes activation reads).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceBody {
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `RFS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The state wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// What it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_specification: Option<ReferenceBody>,
    /// What to configure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_characteristic: Option<Vec<Characteristic>>,
    /// The resources it uses (TMF639).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supporting_resource: Vec<ReferenceBody>,
    /// The RFS instance (TMF638).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supporting_service: Vec<ReferenceBody>,
    /// Who asks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related_entity: Vec<ReferenceBody>,
    /// `Service`.
    #[serde(rename = "@type", default, skip_serializing_if = "Option::is_none")]
    pub at_type: Option<String>,
}

/// `{public_url}{base}/{resource}/{id}`: a link in a body the transport sends (the sender's
/// own base URL, where the entities it names live).
pub fn link(public_url: &str, base: &str, resource: &str, id: impl std::fmt::Display) -> String {
    format!("{public_url}{base}/{resource}/{id}")
}

/// The `relatedEntity` naming resource order `parent` as the requester.
pub fn requester(parent: ResourceOrderId, public_url: &str) -> ReferenceBody {
    ReferenceBody {
        id: Some(parent.to_string()),
        href: Some(link(public_url, RESOURCE_ORDERING, "resourceOrder", parent)),
        role: Some(REQUESTER.to_string()),
        referred_type: Some("ResourceOrder".to_string()),
        ..ReferenceBody::default()
    }
}

/// The `serviceCharacteristic` of a service: its characteristics, then its resources' values
/// (each name once: the region is usually a characteristic of the service already).
pub fn service_characteristics(
    characteristics: &[Characteristic],
    resources: &[ResourceValue],
    topology: Option<&Topology>,
) -> Vec<Characteristic> {
    let mut listed = characteristics.to_vec();
    for value in resources {
        for entry in resource_characteristics(value, topology) {
            if !listed.iter().any(|known| known.name == entry.name) {
                listed.push(entry);
            }
        }
    }
    listed
}

/// The body of `POST /service` for `service`, with links to `public_url`.
pub fn create_body(
    service: &ActivationCreate,
    topology: &Topology,
    public_url: &str,
) -> ServiceBody {
    ServiceBody {
        name: service.name.clone(),
        category: Some("RFS".to_string()),
        state: Some(ServiceState::Active.as_str().to_string()),
        service_specification: Some(ReferenceBody {
            id: Some(service.service_specification.to_string()),
            href: Some(link(
                public_url,
                SERVICE_CATALOG,
                "serviceSpecification",
                &service.service_specification,
            )),
            ..ReferenceBody::default()
        }),
        service_characteristic: Some(service_characteristics(
            &service.characteristics,
            &service.resources,
            Some(topology),
        )),
        supporting_resource: service
            .supporting_resources
            .iter()
            .map(|id| ReferenceBody {
                id: Some(id.to_string()),
                href: Some(link(public_url, RESOURCE_INVENTORY, "resource", id)),
                referred_type: Some("LogicalResource".to_string()),
                ..ReferenceBody::default()
            })
            .collect(),
        supporting_service: service
            .service
            .iter()
            .map(|id| ReferenceBody {
                id: Some(id.to_string()),
                href: Some(link(public_url, SERVICE_INVENTORY, "service", id)),
                referred_type: Some("Service".to_string()),
                ..ReferenceBody::default()
            })
            .collect(),
        related_entity: service
            .parent
            .map(|parent| requester(parent, public_url))
            .into_iter()
            .collect(),
        at_type: Some("Service".to_string()),
    }
}

/// The body of a `PATCH /service/{id}` for `change`, with links to `public_url`.
pub fn patch_body(change: &ServiceChange, public_url: &str) -> ServiceBody {
    match change {
        ServiceChange::Terminate => ServiceBody {
            state: Some(ServiceState::Terminated.as_str().to_string()),
            ..ServiceBody::default()
        },
        ServiceChange::Restore => ServiceBody {
            state: Some(ServiceState::Active.as_str().to_string()),
            ..ServiceBody::default()
        },
        ServiceChange::Reconfigure {
            parent,
            characteristics,
        } => ServiceBody {
            service_characteristic: Some(characteristics.to_vec()),
            related_entity: parent
                .map(|parent| requester(parent, public_url))
                .into_iter()
                .collect(),
            ..ServiceBody::default()
        },
    }
}

fn read(body: Value) -> Result<ServiceBody, BadBody> {
    serde_json::from_value(body).map_err(|error| BadBody::new(format!("service: {error}")))
}

/// Parses and checks a `POST /service` body: the specification must be in the catalog and
/// the element and region names in the network; a 400 names what is wrong.
pub fn parse_create(
    body: Value,
    catalog: &Catalog,
    topology: &Topology,
) -> Result<ActivationCreate, BadBody> {
    let update = ServiceUpdate::checked(&body)?;
    if let Some(name) = update.unkept(false) {
        return Err(BadBody::new(format!(
            "`{name}` is not kept by the activation layer: a service is made from \
             `serviceSpecification`, `serviceCharacteristic`, `supportingResource`, \
             `supportingService`, `relatedEntity`, `name`, `category` and `state`"
        )));
    }
    read_back(body, catalog, topology)
}

/// A TMF640 service as activation lists it (its `startDate`, `note` … read past), checked
/// as [`parse_create`] checks a create: what a reconciling ROM reads back.
pub fn read_back(
    body: Value,
    catalog: &Catalog,
    topology: &Topology,
) -> Result<ActivationCreate, BadBody> {
    let body = read(body)?;
    match body.state.as_deref() {
        None => {}
        Some(state) if state == ServiceState::Active.as_str() => {}
        Some(state) => {
            return Err(BadBody::new(format!(
                "state `{}`: a service is created `active` (configured and activated)",
                clip(state)
            )));
        }
    }
    let specification = body
        .service_specification
        .as_ref()
        .and_then(|reference| reference.id.as_deref())
        .ok_or_else(|| BadBody::new("serviceSpecification.id is required"))?;
    let specification: Arc<str> = catalog
        .service_specifications
        .get_key_value(specification)
        .map(|(id, _)| id.clone())
        .ok_or_else(|| {
            BadBody::new(format!(
                "serviceSpecification `{}` is not in the catalog",
                clip(specification)
            ))
        })?;
    let listed = body.service_characteristic.clone().unwrap_or_default();
    if listed.len() > CHARACTERISTICS_MAX {
        return Err(BadBody::new(format!(
            "serviceCharacteristic has more than {CHARACTERISTICS_MAX} entries"
        )));
    }
    let (resources, characteristics) = split_resources(&listed, topology)?;
    if body.supporting_resource.len() > RESOURCES_PER_SERVICE_MAX {
        return Err(BadBody::new(format!(
            "supportingResource has more than {RESOURCES_PER_SERVICE_MAX} entries"
        )));
    }
    let supporting_resources = body
        .supporting_resource
        .iter()
        .map(|reference| reference_id::<ResourceId>(reference, "supportingResource"))
        .collect::<Result<Vec<_>, _>>()?;
    let service = match body.supporting_service.first() {
        Some(reference) => Some(reference_id::<ServiceId>(reference, "supportingService")?),
        None => None,
    };
    Ok(ActivationCreate {
        parent: requester_of(&body)?,
        service,
        service_specification: specification,
        name: body.name,
        resources,
        supporting_resources,
        characteristics,
    })
}

/// TMF640 v4 `Service_Update`, every attribute with its type: what a PATCH body is checked
/// against before anything is acted on, so a schema-invalid body is a 400 whatever attribute
/// it is in. Lists of TMF sub-objects are checked as lists of objects.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServiceUpdate {
    category: Option<String>,
    description: Option<String>,
    end_date: Option<String>,
    has_started: Option<bool>,
    is_bundle: Option<bool>,
    is_service_enabled: Option<bool>,
    is_stateful: Option<bool>,
    name: Option<String>,
    service_type: Option<String>,
    start_date: Option<String>,
    start_mode: Option<String>,
    feature: Option<Vec<JsonObject>>,
    note: Option<Vec<JsonObject>>,
    place: Option<Vec<JsonObject>>,
    related_party: Option<Vec<JsonObject>>,
    service_order_item: Option<Vec<JsonObject>>,
    service_relationship: Option<Vec<JsonObject>>,
    service_specification: Option<ReferenceBody>,
    supporting_resource: Option<Vec<ReferenceBody>>,
    supporting_service: Option<Vec<JsonObject>>,
    state: Option<String>,
    service_characteristic: Option<Vec<Characteristic>>,
    related_entity: Option<Vec<ReferenceBody>>,
    #[serde(rename = "@baseType")]
    _base_type: Option<String>,
    #[serde(rename = "@schemaLocation")]
    _schema_location: Option<String>,
    #[serde(rename = "@type")]
    _at_type: Option<String>,
}

/// A JSON object whose content is not read.
type JsonObject = serde_json::Map<String, Value>;

impl ServiceUpdate {
    /// `body` read as a `Service_Update`: a wrong type anywhere is refused, naming its path.
    fn checked(body: &Value) -> Result<ServiceUpdate, BadBody> {
        serde_path_to_error::deserialize(body)
            .map_err(|error| BadBody::new(format!("Service_Update.{error}")))
    }

    /// The first attribute the activation layer would not keep, by its TMF name: on a PATCH
    /// (`patch`) anything but the state and the characteristics (what configures the
    /// network); on a create also not the attributes a service is made from.
    fn unkept(&self, patch: bool) -> Option<&'static str> {
        let made_from = [
            ("category", self.category.is_some()),
            ("name", self.name.is_some()),
            ("serviceSpecification", self.service_specification.is_some()),
            ("supportingResource", self.supporting_resource.is_some()),
            ("supportingService", self.supporting_service.is_some()),
        ];
        let never = [
            ("description", self.description.is_some()),
            ("endDate", self.end_date.is_some()),
            ("hasStarted", self.has_started.is_some()),
            ("isBundle", self.is_bundle.is_some()),
            ("isServiceEnabled", self.is_service_enabled.is_some()),
            ("isStateful", self.is_stateful.is_some()),
            ("serviceType", self.service_type.is_some()),
            ("startDate", self.start_date.is_some()),
            ("startMode", self.start_mode.is_some()),
            ("feature", self.feature.is_some()),
            ("note", self.note.is_some()),
            ("place", self.place.is_some()),
            ("relatedParty", self.related_party.is_some()),
            ("serviceOrderItem", self.service_order_item.is_some()),
            ("serviceRelationship", self.service_relationship.is_some()),
        ];
        let made_from = made_from.into_iter().filter(|_| patch);
        let mut all = made_from.chain(never);
        all.find(|(_, present)| *present).map(|(name, _)| name)
    }
}

/// Parses a `PATCH /service/{id}` body, checked whole against TMF640 `Service_Update` first:
/// `state: terminated` terminates; `state: active` restores the configuration before the last
/// reconfigure; new `serviceCharacteristic` reconfigures (told to the `relatedEntity`
/// requester, if any); an empty body changes nothing (`None`). An attribute the activation
/// layer does not keep is refused by name rather than dropped.
pub fn parse_patch(body: Value) -> Result<Option<ServiceChange>, BadBody> {
    let update = ServiceUpdate::checked(&body)?;
    if let Some(name) = update.unkept(true) {
        return Err(BadBody::new(format!(
            "`{name}` cannot be patched: the activation layer keeps only `state` and \
             `serviceCharacteristic` (what configures the network)"
        )));
    }
    match update.state.as_deref() {
        Some(state) if state == ServiceState::Terminated.as_str() => {
            return Ok(Some(ServiceChange::Terminate));
        }
        Some(state) if state == ServiceState::Active.as_str() => {
            return Ok(Some(ServiceChange::Restore));
        }
        Some(state) => {
            return Err(BadBody::new(format!(
                "state can only be patched to `terminated` or `active`, not `{}`",
                clip(state)
            )));
        }
        None => {}
    }
    let Some(characteristics) = update.service_characteristic else {
        return Ok(None);
    };
    if characteristics.len() > CHARACTERISTICS_MAX {
        return Err(BadBody::new(format!(
            "serviceCharacteristic has more than {CHARACTERISTICS_MAX} entries"
        )));
    }
    let body = ServiceBody {
        related_entity: update.related_entity.unwrap_or_default(),
        ..ServiceBody::default()
    };
    Ok(Some(ServiceChange::Reconfigure {
        parent: requester_of(&body)?,
        characteristics: characteristics.into(),
    }))
}

fn requester_of(body: &ServiceBody) -> Result<Option<ResourceOrderId>, BadBody> {
    body.related_entity
        .iter()
        .find(|entity| entity.role.as_deref() == Some(REQUESTER))
        .map(|entity| reference_id(entity, "relatedEntity"))
        .transpose()
}

fn reference_id<T: std::str::FromStr>(reference: &ReferenceBody, what: &str) -> Result<T, BadBody> {
    let text = reference.id.as_deref().unwrap_or("");
    text.parse()
        .map_err(|_| BadBody::new(format!("{what}.id `{}` is not known", clip(text))))
}

/// Names of the characteristics that carry resource values.
const RESOURCE_NAMES: [&str; 11] = [
    "olt",
    "ponPort",
    "onuId",
    "sVlan",
    "cVlan",
    "ipv4Address",
    "dslam",
    "port",
    "multicastVlan",
    "member",
    "phoneNumber",
];

/// The resource values `listed` characteristics describe (TMF639 `resourceCharacteristic`
/// or TMF640 `serviceCharacteristic`); a 400 names a bad one.
pub fn resource_values(
    listed: &[Characteristic],
    topology: &Topology,
) -> Result<Vec<ResourceValue>, BadBody> {
    Ok(split_resources(listed, topology)?.0)
}

/// Splits `serviceCharacteristic` into the resources' values and the other characteristics
/// (`region` stays a characteristic as well).
fn split_resources(
    listed: &[Characteristic],
    topology: &Topology,
) -> Result<(Vec<ResourceValue>, Characteristics), BadBody> {
    let find = |name: &str| listed.iter().find(|c| &*c.name == name).map(|c| &c.value);
    let number = |name: &str| -> Result<Option<u64>, BadBody> {
        match find(name) {
            None => Ok(None),
            Some(value) => value
                .as_u64()
                .or_else(|| value.as_str().and_then(|text| text.parse().ok()))
                .map(Some)
                .ok_or_else(|| BadBody::new(format!("characteristic {name}: not a number"))),
        }
    };
    let small = |name: &str| -> Result<Option<u16>, BadBody> {
        number(name)?
            .map(|n| {
                u16::try_from(n)
                    .map_err(|_| BadBody::new(format!("characteristic {name}: too large")))
            })
            .transpose()
    };
    let element = |name: &str| -> Result<Option<ElementId>, BadBody> {
        let Some(value) = find(name) else {
            return Ok(None);
        };
        let text = value.as_str().unwrap_or("");
        topology.element_by_name(text).map(Some).ok_or_else(|| {
            BadBody::new(format!(
                "characteristic {name}: element `{}` is not in the network",
                clip(text)
            ))
        })
    };
    let region = || -> Result<RegionId, BadBody> {
        let text = find("region").and_then(Value::as_str).unwrap_or("");
        topology.region_by_name(text).ok_or_else(|| {
            BadBody::new(format!(
                "characteristic region: `{}` is not in the network",
                clip(text)
            ))
        })
    };
    let mut resources = Vec::new();
    let olt = element("olt")?;
    if let (Some(olt), Some(pon_port)) = (olt, small("ponPort")?) {
        if let Some(onu) = small("onuId")? {
            resources.push(ResourceValue::OnuSlot { olt, pon_port, onu });
        }
        if let (Some(s_vlan), Some(c_vlan)) = (small("sVlan")?, small("cVlan")?) {
            resources.push(ResourceValue::VlanPair {
                olt,
                pon_port,
                s_vlan,
                c_vlan,
            });
        }
    }
    if let (Some(dslam), Some(port)) = (element("dslam")?, small("port")?) {
        resources.push(ResourceValue::DslamPort { dslam, port });
    }
    if let Some(value) = find("ipv4Address") {
        let address = value
            .as_str()
            .and_then(|text| text.parse::<Ipv4Addr>().ok())
            .ok_or_else(|| BadBody::new("characteristic ipv4Address: not an IPv4 address"))?;
        resources.push(ResourceValue::Ipv4Address {
            region: region()?,
            address,
        });
    }
    if let (Some(vlan), Some(member)) = (small("multicastVlan")?, number("member")?) {
        let member =
            u32::try_from(member).map_err(|_| BadBody::new("characteristic member: too large"))?;
        resources.push(ResourceValue::MulticastVlan {
            region: region()?,
            vlan,
            member,
        });
    }
    if let Some(number) = number("phoneNumber")? {
        resources.push(ResourceValue::PhoneNumber {
            region: region()?,
            number,
        });
    }
    let rest: Vec<Characteristic> = listed
        .iter()
        .filter(|c| !RESOURCE_NAMES.contains(&&*c.name))
        .cloned()
        .collect();
    Ok((resources, rest.into()))
}

fn clip(text: &str) -> String {
    text.chars().take(64).collect()
}
