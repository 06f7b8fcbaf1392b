//! A reconciling layer's questions over HTTP (issue 11): after a restart without its state,
//! ROM and activation ask what the layers around them hold (see
//! [`crate::layers::rom::reconcile`] and [`crate::layers::activation::reconcile`]). Each
//! question is a paged `GET`; the whole answer becomes one message in this process.
//!
//! | question                            | on the wire                                               | answer                         |
//! |-------------------------------------|-----------------------------------------------------------|--------------------------------|
//! | `NetworkInput::ListAllocations`     | `GET /network/v1/allocation` (see [`super::wire`])        | `RomInput::NetworkAllocations` |
//! | `ActivationInput::ListActive`       | `GET {TMF640}/service?state=active`                       | `RomInput::ActiveServices`     |
//! | `InventoryInput::ListLiveResources` | `GET {TMF638}/service?state=active` of SOM's process: the `supportingResource` ids | `RomInput::LiveResources` |
//! | `NetworkInput::ListServices`        | `GET /network/v1/configuration` (see [`super::wire`])     | `ActivationInput::ElementServices` |
//! | `RomInput::ListActivations`         | `GET {TMF639}/resource?resourceStatus=available` of ROM's process: each record's `relatedEntity` with role [`ACTIVATION_ROLE`] | `ActivationInput::OwnedByRom` |
//!
//! Pages of [`PAGE`] entries (`offset`, `limit`), at most [`PAGES_MAX`] of them. A TMF640
//! service that does not read back as a service this chain could have created fails the whole
//! answer: ROM then releases nothing rather than something still in use. Without SOM's
//! address, or without its answer, the parent's answer is "unknown" (`None`), and ROM keeps
//! every active service. Any other question unanswered ends the reconciliation without a
//! change ([`Census::unanswered`]): nothing is released or deactivated on half the facts.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use std::collections::BTreeMap;

use super::wire::{ALLOCATIONS_PATH, AllocationWire, CONFIGURATIONS_PATH, ConfigurationWire};
use super::{ATTEMPTS_MAX, codec::CodecError};
use crate::domain::catalog::Catalog;
use crate::domain::ids::{ActivationId, AllocationId, ResourceId, ResourceOrderId, ServiceId};
use crate::layers::activation::ActivationInput;
use crate::layers::inventory::InventoryInput;
use crate::layers::rom::reconcile::ActiveService;
use crate::layers::rom::{Rfs, RomInput};
use crate::layers::{LayerId, Message};
use crate::network::{NetworkInput, Topology};
use crate::tmf::read::{IdStateView, ResourceView, ServiceView, with_role};
use crate::tmf::resource_order_create::ReferenceBody;
use crate::tmf::{
    ACTIVATION_ROLE, RESOURCE_INVENTORY, RFS_ROLE, SERVICE_ACTIVATION, SERVICE_INVENTORY,
    service_create,
};

/// Entries per page.
pub const PAGE: usize = 1_000;
/// Pages per question: the answer's bound.
pub const PAGES_MAX: usize = 10_000;
/// First retry delay of a page; doubled per attempt.
const BACKOFF_FIRST: Duration = Duration::from_millis(50);

/// What a reconciling ROM or activation layer asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Census {
    /// The network's allocations (for ROM).
    Allocations,
    /// Activation's `active` services (for ROM).
    ActiveServices,
    /// The resources supporting SOM's `active` services (for ROM).
    InService,
    /// The services configured on the network's elements (for activation).
    Configurations,
    /// The TMF640 services configuring ROM's resources in service (for activation).
    Activations,
}

impl Census {
    /// The question `message` is, if it is one.
    pub fn of(message: &Message) -> Option<Census> {
        match message {
            Message::Network(NetworkInput::ListAllocations {
                reply_to: LayerId::Rom,
            }) => Some(Census::Allocations),
            Message::Activation(ActivationInput::ListActive) => Some(Census::ActiveServices),
            Message::Inventory(InventoryInput::ListLiveResources {
                reply_to: LayerId::Rom,
            }) => Some(Census::InService),
            Message::Network(NetworkInput::ListServices {
                reply_to: LayerId::Activation,
            }) => Some(Census::Configurations),
            Message::Rom(RomInput::ListActivations) => Some(Census::Activations),
            _ => None,
        }
    }

    /// The layer whose process is asked.
    pub fn to(self) -> LayerId {
        match self {
            Census::Allocations | Census::Configurations => LayerId::Network,
            Census::ActiveServices => LayerId::Activation,
            Census::InService => LayerId::Som,
            Census::Activations => LayerId::Rom,
        }
    }

    /// The path and filter asked, from the process's base URL on.
    fn path(self) -> (String, Option<(&'static str, &'static str)>) {
        match self {
            Census::Allocations => (ALLOCATIONS_PATH.to_string(), None),
            Census::ActiveServices => (
                format!("{SERVICE_ACTIVATION}/service"),
                Some(("state", "active")),
            ),
            Census::InService => (
                format!("{SERVICE_INVENTORY}/service"),
                Some(("state", "active")),
            ),
            Census::Configurations => (CONFIGURATIONS_PATH.to_string(), None),
            Census::Activations => (
                format!("{RESOURCE_INVENTORY}/resource"),
                Some(("resourceStatus", "available")),
            ),
        }
    }

    /// What the asking layer is told when the question could not be asked or answered:
    /// "unknown" for ROM's question to the parent (ROM then keeps every active service);
    /// otherwise that its reconciliation cannot be done (it ends, changing nothing).
    pub fn unanswered(self) -> Message {
        match self {
            Census::InService => Message::Rom(RomInput::LiveResources(None)),
            Census::Allocations | Census::ActiveServices => {
                Message::Rom(RomInput::ReconcileUnanswered)
            }
            Census::Configurations | Census::Activations => {
                Message::Activation(ActivationInput::ReconcileUnanswered)
            }
        }
    }

    /// The answer for the asking layer from every entry listed.
    pub fn answer(
        self,
        entries: Vec<Value>,
        catalog: &Catalog,
        topology: &Topology,
    ) -> Result<Message, CodecError> {
        let answer = match self {
            Census::Allocations => {
                let held = entries.into_iter().map(|entry| {
                    let wire: AllocationWire = serde_json::from_value(entry)
                        .map_err(|error| CodecError(format!("allocation: {error}")))?;
                    Ok((AllocationId(wire.id), wire.value))
                });
                RomInput::NetworkAllocations(held.collect::<Result<_, CodecError>>()?)
            }
            Census::ActiveServices => {
                let active = entries
                    .into_iter()
                    .map(|entry| active_service(entry, catalog, topology));
                RomInput::ActiveServices(active.collect::<Result<_, CodecError>>()?)
            }
            Census::InService => {
                let services = entries.iter().map(|entry| {
                    ServiceView::deserialize(entry)
                        .map_err(|error| CodecError(format!("service: {error}")))
                });
                let services = services.collect::<Result<Vec<_>, CodecError>>()?;
                let references = (services.iter())
                    .flat_map(|service| service.supporting_resource.iter().flatten());
                let ids = references.filter_map(|reference| reference.id.as_deref()?.parse().ok());
                RomInput::LiveResources(Some(ids.collect()))
            }
            Census::Configurations => {
                let configured = entries.into_iter().map(|entry| {
                    let wire: ConfigurationWire = serde_json::from_value(entry)
                        .map_err(|error| CodecError(format!("configuration: {error}")))?;
                    Ok((wire.element, ActivationId(wire.service)))
                });
                let configured = configured.collect::<Result<_, CodecError>>()?;
                return Ok(Message::Activation(ActivationInput::ElementServices(
                    configured,
                )));
            }
            Census::Activations => {
                let services = activations_in_service(entries, topology)?;
                return Ok(Message::Activation(ActivationInput::OwnedByRom(services)));
            }
        };
        Ok(Message::Rom(answer))
    }
}

/// ROM's TMF639 resources in service, grouped by the TMF640 service configuring each (a
/// record naming none is not in service through activation, and is skipped).
fn activations_in_service(
    records: Vec<Value>,
    topology: &Topology,
) -> Result<Vec<ActiveService>, CodecError> {
    let mut by_service: BTreeMap<ActivationId, ActiveService> = BTreeMap::new();
    for record in records {
        let record = ResourceView::deserialize(&record)
            .map_err(|error| CodecError(format!("resource: {error}")))?;
        let id = record.id.as_deref().unwrap_or_default();
        let resource: ResourceId =
            (id.parse()).map_err(|_| CodecError(format!("resource id `{id}`")))?;
        let related = record.related_entity.as_deref();
        let Some(activation) = with_role(related, ACTIVATION_ROLE) else {
            continue;
        };
        let Some(service) = related_id::<ActivationId>(Some(activation))? else {
            return Err(CodecError(format!(
                "resource {resource}: activation without id"
            )));
        };
        let rfs_id = related_id::<ServiceId>(with_role(related, RFS_ROLE))?;
        let parent = related_id::<ResourceOrderId>(with_role(related, "lastOrder"))?;
        let listed = record.resource_characteristic.unwrap_or_default();
        let values = service_create::resource_values(&listed, topology)
            .map_err(|error| CodecError(format!("resource {resource}: {error}")))?;
        let specification = activation.name.as_deref().unwrap_or_default();
        let known = by_service.entry(service).or_insert_with(|| ActiveService {
            id: service,
            parent,
            rfs: Rfs {
                id: rfs_id,
                specification: specification.into(),
            },
            resources: Vec::new(),
        });
        known
            .resources
            .extend(values.into_iter().map(|value| (resource, value)));
    }
    Ok(by_service.into_values().collect())
}

/// The id a `relatedEntity` entry names, if there is an entry.
fn related_id<T: std::str::FromStr>(
    entry: Option<&ReferenceBody>,
) -> Result<Option<T>, CodecError> {
    let Some(entry) = entry else { return Ok(None) };
    let id = entry.id.as_deref().unwrap_or_default();
    let parsed = id
        .parse()
        .map_err(|_| CodecError(format!("relatedEntity id `{id}`")));
    parsed.map(Some)
}

/// A listed TMF640 service, read back as what ROM asked for.
fn active_service(
    entry: Value,
    catalog: &Catalog,
    topology: &Topology,
) -> Result<ActiveService, CodecError> {
    let id = IdStateView::deserialize(&entry)
        .ok()
        .and_then(|view| view.id);
    let id = id.unwrap_or_default();
    let id: ActivationId = id
        .parse()
        .map_err(|_| CodecError(format!("service id `{id}`")))?;
    let service = service_create::read_back(entry, catalog, topology)
        .map_err(|error| CodecError(format!("service {id}: {error}")))?;
    let resources: Vec<(ResourceId, _)> = (service.supporting_resources.into_iter())
        .zip(service.resources)
        .collect();
    Ok(ActiveService {
        id,
        parent: service.parent,
        rfs: Rfs {
            id: service.service,
            specification: service.service_specification,
        },
        resources,
    })
}

/// Every entry `census` lists at `base` (a process's base URL), page by page; `None` when a
/// page never came, or the listing exceeds its bound.
pub async fn list(client: &reqwest::Client, base: &str, census: Census) -> Option<Vec<Value>> {
    let (path, filter) = census.path();
    let mut entries = Vec::new();
    for page in 0..PAGES_MAX {
        let offset = (page * PAGE).to_string();
        let limit = PAGE.to_string();
        let mut params = vec![("offset", offset.as_str()), ("limit", limit.as_str())];
        params.extend(filter);
        let url = reqwest::Url::parse_with_params(&format!("{base}{path}"), params).ok()?;
        let listed = fetch(client, url).await?;
        let full = listed.len() == PAGE;
        entries.extend(listed);
        if !full {
            return Some(entries);
        }
    }
    tracing::warn!(
        ?census,
        "reconciliation census over its bound; not answered"
    );
    None
}

/// One page, tried [`ATTEMPTS_MAX`] times.
async fn fetch(client: &reqwest::Client, url: reqwest::Url) -> Option<Vec<Value>> {
    let mut backoff = BACKOFF_FIRST;
    for attempt in 1..=ATTEMPTS_MAX {
        if attempt > 1 {
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
        let Ok(response) = client.get(url.clone()).send().await else {
            continue;
        };
        if !response.status().is_success() {
            continue;
        }
        return response.json::<Vec<Value>>().await.ok();
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::network::ResourceValue;

    #[test]
    fn the_parent_s_view_lists_supporting_resources_and_is_unknown_when_unanswered() {
        let (catalog, topology) = (Catalog::builtin(), Topology::default());
        let services = vec![
            json!({"id": "SVC-1", "supportingResource": [{"id": "R-4"}, {"id": "R-5"}]}),
            json!({"id": "SVC-2", "supportingService": [{"id": "SVC-1"}]}),
        ];
        let answer = Census::InService.answer(services, &catalog, &topology);
        let expected = RomInput::LiveResources(Some(vec![ResourceId(4), ResourceId(5)]));
        assert!(
            matches!(answer, Ok(Message::Rom(ref got)) if format!("{got:?}") == format!("{expected:?}"))
        );
        let unanswered = Census::InService.unanswered();
        assert!(matches!(
            unanswered,
            Message::Rom(RomInput::LiveResources(None))
        ));
        assert!(matches!(
            Census::Allocations.unanswered(),
            Message::Rom(RomInput::ReconcileUnanswered)
        ));
        assert!(matches!(
            Census::Activations.unanswered(),
            Message::Activation(ActivationInput::ReconcileUnanswered)
        ));
    }

    #[test]
    fn allocations_read_back_with_their_values_and_a_bad_one_fails_the_answer() {
        let (catalog, topology) = (Catalog::builtin(), Topology::default());
        let value = ResourceValue::PhoneNumber {
            region: crate::network::RegionId(0),
            number: 5_550_100,
        };
        let listed = vec![serde_json::to_value(AllocationWire { id: 7, value }).expect("json")];
        let answer = Census::Allocations.answer(listed, &catalog, &topology);
        assert!(matches!(
            answer,
            Ok(Message::Rom(RomInput::NetworkAllocations(ref held))) if held == &[(AllocationId(7), value)]
        ));
        let bad = Census::Allocations.answer(vec![json!({"id": "x"})], &catalog, &topology);
        assert!(bad.is_err());
    }
}
