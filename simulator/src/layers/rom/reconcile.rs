//! Reconciliation after a restart without state (issue 11).
//!
//! A ROM that lost its store no longer knows the allocations its lost orders made, nor the
//! resources it has in service (what a later cease releases). On
//! [`RomInput::Reconcile`](super::RomInput::Reconcile) it notes its next numbers (every
//! allocation and order it names from then on is its own) and asks four questions:
//! - the network: every allocation held, with its value;
//! - the inventory (TMF639, this process's records): every resource not in `standby`;
//! - activation (TMF640): every `active` service with its resources;
//! - the parent's service inventory (TMF638, SOM's process when split): the resources
//!   supporting an `active` RFS, i.e. what is in service for a product. Over HTTP without
//!   SOM's address the answer is "unknown", and every active service is kept.
//!
//! Once all answered, against the store as it is then (orders that ran meanwhile keep
//! whatever they named): an active service of a former order whose resources are in service
//! becomes a live resource again (its TMF639 record is written back if this process lost
//! it); one whose resources are not (its order was lost in flight) is terminated; and every
//! allocation older than the restart that nothing owns is released. A service of a former
//! order that turns `active` later is terminated when its report arrives.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use std::sync::Arc;

use super::{
    ActivationSummary, LiveResource, PendingOperation, ResourceOrderCreate, Rfs, RomInput, RomLayer,
};
use crate::domain::catalog::ResourceKind;
use crate::domain::ids::{ActivationId, AllocationId, ResourceId, ResourceOrderId};
use crate::domain::state::ServiceState;
use crate::domain::time::Time;
use crate::layers::activation::ActivationInput;
use crate::layers::common::Action;
use crate::layers::inventory::{InventoryInput, ResourceRecord, ResourceStatus};
use crate::layers::{Effects, LayerId, Message};
use crate::network::{NetworkInput, ResourceValue};

/// A TMF639 resource not in `standby`, as the inventory reports it to a reconciling ROM.
#[derive(Clone, Debug, PartialEq)]
pub struct HeldRecord {
    /// The network allocation holding it.
    pub allocation: AllocationId,
    /// Its inventory id.
    pub resource: ResourceId,
    /// Its status (`reserved` or `available`).
    pub status: ResourceStatus,
}

/// An `active` TMF640 service, as activation reports it to a reconciling ROM.
#[derive(Clone, Debug, PartialEq)]
pub struct ActiveService {
    /// The TMF640 service.
    pub id: ActivationId,
    /// The resource order that asked for it.
    pub parent: Option<ResourceOrderId>,
    /// The RFS it activates.
    pub rfs: Rfs,
    /// Its resources: TMF639 id (`supportingResource[i]`) and value.
    pub resources: Vec<(ResourceId, ResourceValue)>,
}

/// A reconciliation waiting for its answers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reconciliation {
    /// ROM's next number when it began: allocations numbered from here on are the new store's.
    pub cutoff: u64,
    /// ROM's next order number when it began: orders below it are a former life's.
    pub orders_below: u64,
    /// The network's allocations and their values, once it answered.
    pub network: Option<Vec<(AllocationId, ResourceValue)>>,
    /// The inventory's records not in `standby`, once it answered.
    pub inventory: Option<Vec<HeldRecord>>,
    /// Activation's `active` services, once it answered.
    pub active: Option<Vec<ActiveService>>,
    /// The parent's answer: the resources in service (`None` inside: it could not be asked).
    pub in_service: Option<Option<Vec<ResourceId>>>,
}

impl Reconciliation {
    fn ready(&self) -> bool {
        self.network.is_some()
            && self.inventory.is_some()
            && self.active.is_some()
            && self.in_service.is_some()
    }
}

impl RomLayer {
    /// The TMF640 services backing live resources, each with its resources: a restarted
    /// activation layer's question (it keeps, and knows again, what ROM has in service).
    pub(super) fn activations_in_service(&self) -> Vec<ActiveService> {
        let mut by_service: BTreeMap<ActivationId, ActiveService> = BTreeMap::new();
        for (resource, live) in &self.live {
            let Some(id) = live.activation else { continue };
            let service = by_service.entry(id).or_insert_with(|| ActiveService {
                id,
                parent: live.order,
                rfs: live.rfs.clone(),
                resources: Vec::new(),
            });
            service.resources.push((*resource, live.value));
        }
        by_service.into_values().collect()
    }

    /// Begins a reconciliation: asks the network, the inventories and activation at once, and
    /// the network again an element timeout later (see [`Self::late_sweep`]).
    pub(super) fn reconcile(&mut self, now: Time, effects: &mut Effects) {
        self.reconciliation = Some(Reconciliation {
            cutoff: self.next_number,
            orders_below: self.next_order,
            ..Reconciliation::default()
        });
        self.late_sweep = None;
        let reply_to = LayerId::Rom;
        effects.send_at(
            now.after(self.element_timeout),
            Message::Network(NetworkInput::ListAllocations { reply_to }),
        );
        let questions = [
            Message::Network(NetworkInput::ListAllocations { reply_to }),
            Message::Inventory(InventoryInput::ListResources { reply_to }),
            Message::Inventory(InventoryInput::ListLiveResources { reply_to }),
            Message::Activation(ActivationInput::ListActive),
        ];
        for question in questions {
            effects.send(now, question);
        }
    }

    /// One of the answers: records it, and finishes once all four are in.
    pub(super) fn reconcile_answer(&mut self, answer: RomInput, now: Time, effects: &mut Effects) {
        let Some(reconciliation) = self.reconciliation.as_mut() else {
            if let RomInput::NetworkAllocations(held) = answer {
                self.late_sweep(held, now, effects);
            }
            return;
        };
        match answer {
            RomInput::NetworkAllocations(held) => reconciliation.network = Some(held),
            RomInput::InventoryResources(records) => reconciliation.inventory = Some(records),
            RomInput::ActiveServices(active) => reconciliation.active = Some(active),
            RomInput::LiveResources(live) => reconciliation.in_service = Some(live),
            _ => return,
        }
        if let Some(done) = self.reconciliation.take_if(|r| r.ready()) {
            self.finish_reconciliation(done, now, effects);
        }
    }

    /// All answered: adopts the services in service, terminates the others of former orders,
    /// and releases every allocation nobody owns.
    fn finish_reconciliation(&mut self, done: Reconciliation, now: Time, effects: &mut Effects) {
        let (Some(held), Some(records), Some(active), Some(in_service)) =
            (done.network, done.inventory, done.active, done.in_service)
        else {
            return;
        };
        let records: BTreeMap<ResourceId, HeldRecord> =
            records.into_iter().map(|r| (r.resource, r)).collect();
        let by_value: BTreeMap<ResourceValue, AllocationId> = held
            .iter()
            .map(|(allocation, value)| (*value, *allocation))
            .collect();
        let in_service: Option<BTreeSet<ResourceId>> = in_service.map(BTreeSet::from_iter);
        let served = |resource: &ResourceId| {
            let available = records
                .get(resource)
                .is_some_and(|r| r.status == ResourceStatus::Available);
            available || in_service.as_ref().is_none_or(|set| set.contains(resource))
        };
        let adopted: BTreeSet<ActivationId> = self
            .live
            .values()
            .filter_map(|live| live.activation)
            .collect();
        for service in active {
            let ours_now = service.parent.is_some_and(|parent| {
                parent.0 >= done.orders_below || self.orders.contains_key(&parent)
            });
            if ours_now || adopted.contains(&service.id) {
                continue;
            }
            if !service.resources.is_empty() && service.resources.iter().all(|(r, _)| served(r)) {
                self.adopt(&service, &by_value, &records, now, effects);
            } else {
                effects.send(
                    now,
                    Message::Activation(ActivationInput::Terminate(service.id)),
                );
            }
        }
        if in_service.is_some() {
            self.former_orders_below = Some(done.orders_below);
        }
        let listed = held.iter().map(|(allocation, _)| *allocation).collect();
        self.late_sweep = Some((done.cutoff, listed));
        let owned = self.owned_allocations();
        let kept = records
            .values()
            .filter(|r| r.status == ResourceStatus::Available);
        let kept: BTreeSet<AllocationId> = kept.map(|r| r.allocation).collect();
        for (allocation, _) in held {
            if allocation.0 >= done.cutoff
                || owned.contains(&allocation)
                || kept.contains(&allocation)
            {
                continue;
            }
            let resource = records
                .values()
                .find(|r| r.allocation == allocation)
                .map(|r| r.resource);
            self.release(allocation, resource, 1, None, Duration::ZERO, now, effects);
        }
        self.take_up_deferred(now, effects);
    }

    /// The second listing, an element timeout after the first: an allocation of the former
    /// life that was still in flight then has landed since. One that the first listing did
    /// not show and nothing owns is released (a release from before is idempotent).
    fn late_sweep(
        &mut self,
        held: Vec<(AllocationId, ResourceValue)>,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some((cutoff, listed)) = self.late_sweep.take() else {
            return;
        };
        let owned = self.owned_allocations();
        for (allocation, _) in held {
            if allocation.0 < cutoff
                && !listed.contains(&allocation)
                && !owned.contains(&allocation)
            {
                self.release(allocation, None, 1, None, Duration::ZERO, now, effects);
            }
        }
    }

    /// A question went unanswered: changes nothing (releasing or terminating on half the
    /// answers could undo what is in use), and stops holding orders for the reconciliation.
    pub(super) fn abandon_reconciliation(&mut self, now: Time, effects: &mut Effects) {
        if self.reconciliation.take().is_some() {
            self.take_up_deferred(now, effects);
        }
    }

    fn take_up_deferred(&mut self, now: Time, effects: &mut Effects) {
        for (reply, request) in std::mem::take(&mut self.deferred) {
            self.create(reply, request, now, effects);
        }
    }

    /// Whether `request` must wait for the reconciliation under way: it changes or ceases a
    /// resource this ROM does not know (yet).
    pub(super) fn waits_for_reconciliation(&self, request: &ResourceOrderCreate) -> bool {
        self.reconciliation.is_some()
            && request.items.iter().any(|item| {
                matches!(item.action, Action::Modify | Action::Delete)
                    && item.resource.is_none_or(|r| !self.live.contains_key(&r))
            })
    }

    /// Makes a former order's service in service a live resource again, writing its TMF639
    /// records back when this process lost them.
    fn adopt(
        &mut self,
        service: &ActiveService,
        by_value: &BTreeMap<ResourceValue, AllocationId>,
        records: &BTreeMap<ResourceId, HeldRecord>,
        now: Time,
        effects: &mut Effects,
    ) {
        for (resource, value) in &service.resources {
            let Some(allocation) = by_value.get(value).copied() else {
                continue; // the network no longer holds it: nothing to keep
            };
            let kind = value.kind();
            let resource_specification = self.resource_specification(&service.rfs, kind);
            if !records.contains_key(resource)
                && let Some(order) = service.parent
            {
                let record = ResourceRecord {
                    id: *resource,
                    specification: resource_specification.clone(),
                    kind,
                    value: *value,
                    allocation,
                    status: ResourceStatus::Available,
                    order,
                    activation: Some((service.id, service.rfs.clone())),
                };
                effects.send(now, Message::Inventory(InventoryInput::Resource(record)));
            }
            let live = LiveResource {
                allocation,
                value: *value,
                rfs: service.rfs.clone(),
                activation: Some(service.id),
                order: service.parent,
                resource_specification,
                kind,
            };
            self.live.insert(*resource, Box::new(live));
        }
    }

    /// The RFS specification's resource specification of `kind` in the catalog (the RFS's own
    /// specification when the catalog does not say, as for a foreign service).
    fn resource_specification(&self, rfs: &Rfs, kind: ResourceKind) -> Arc<str> {
        let catalog = &self.catalog;
        let listed = catalog.service_specification(&rfs.specification);
        let mut resources = listed.into_iter().flat_map(|spec| spec.resources.iter());
        resources
            .find(|id| {
                catalog
                    .resource_specification(id)
                    .is_some_and(|r| r.kind == kind)
            })
            .cloned()
            .unwrap_or_else(|| rfs.specification.clone())
    }

    /// A report about a service of a former order that nobody adopted: its order was lost in
    /// flight, so the service is terminated (once the reconciliation knew what is in service).
    pub(super) fn orphan_reported(
        &self,
        summary: &ActivationSummary,
        now: Time,
        effects: &mut Effects,
    ) {
        let former = self
            .former_orders_below
            .is_some_and(|below| summary.parent.0 < below);
        let adopted = self
            .live
            .values()
            .any(|live| live.activation == Some(summary.id));
        if former && !adopted && summary.state == ServiceState::Active {
            effects.send(
                now,
                Message::Activation(ActivationInput::Terminate(summary.id)),
            );
        }
    }

    /// Every allocation the store names: its orders' items, its live resources and the
    /// releases in flight.
    fn owned_allocations(&self) -> BTreeSet<AllocationId> {
        let items = self.orders.values().flat_map(|order| &order.items);
        let releases = self
            .operations
            .values()
            .filter_map(|operation| match operation {
                PendingOperation::Release { allocation, .. } => Some(*allocation),
                PendingOperation::Allocate { .. } => None,
            });
        items
            .map(|item| item.allocation)
            .chain(self.live.values().map(|live| live.allocation))
            .chain(releases)
            .collect()
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::config::SimConfig;
    use crate::domain::catalog::Catalog;
    use crate::network::{ElementId, ElementOperation, RegionId};

    fn handle(layer: &mut RomLayer, input: RomInput) -> Vec<Message> {
        crate::layers::sent_at_zero(layer, input)
    }

    fn released(messages: &[Message]) -> BTreeSet<AllocationId> {
        let requests = messages.iter().filter_map(|message| match message {
            Message::Network(NetworkInput::Request(request)) => Some(&request.operation),
            _ => None,
        });
        let releases = requests.filter_map(|operation| match operation {
            ElementOperation::Release { allocation } => Some(*allocation),
            _ => None,
        });
        releases.collect()
    }

    fn terminated(messages: &[Message]) -> Vec<ActivationId> {
        let terminations = messages.iter().filter_map(|message| match message {
            Message::Activation(ActivationInput::Terminate(id)) => Some(*id),
            _ => None,
        });
        terminations.collect()
    }

    fn onu(onu: u16) -> ResourceValue {
        ResourceValue::OnuSlot {
            olt: ElementId(0),
            pon_port: 0,
            onu,
        }
    }

    /// A ROM restarted after a former life that made allocations 1–3 (ids below 100) and
    /// services 1 and 2, asked its four questions.
    fn restarted() -> RomLayer {
        let config = SimConfig::default();
        let catalog = std::sync::Arc::new(Catalog::builtin());
        let mut rom = RomLayer::new(catalog, &config.chain, config.limits.clone());
        (rom.next_order, rom.next_number) = (100, 100);
        let asked = handle(&mut rom, RomInput::Reconcile);
        // Four questions, the network's twice: now, and an element timeout later.
        assert_eq!(asked.len(), 5, "{asked:?}");
        rom
    }

    /// The answers but the parent's: allocation n holds ONU n; service n uses resource n.
    fn answer_below_the_parent(rom: &mut RomLayer) -> Vec<Message> {
        let held = (1..=3).map(|n| (AllocationId(n), onu(n as u16))).collect();
        let active = (1..=2).map(|n| ActiveService {
            id: ActivationId(n),
            parent: Some(ResourceOrderId(n)),
            rfs: Rfs {
                id: None,
                specification: "gpon-access".into(),
            },
            resources: vec![(ResourceId(n), onu(n as u16))],
        });
        let mut sent = handle(rom, RomInput::NetworkAllocations(held));
        sent.extend(handle(rom, RomInput::InventoryResources(Vec::new())));
        sent.extend(handle(rom, RomInput::ActiveServices(active.collect())));
        sent
    }

    #[test]
    fn what_the_parent_has_in_service_is_adopted_and_the_rest_undone() {
        let mut rom = restarted();
        let early = answer_below_the_parent(&mut rom);
        assert!(
            early.is_empty(),
            "nothing decided before every answer: {early:?}"
        );
        let live = Some(vec![ResourceId(1)]);
        let sent = handle(&mut rom, RomInput::LiveResources(live));

        let adopted = rom
            .live
            .get(&ResourceId(1))
            .expect("resource 1 is live again");
        assert_eq!(adopted.allocation, AllocationId(1));
        assert_eq!(adopted.activation, Some(ActivationId(1)));
        assert_eq!(adopted.kind, ResourceKind::OnuSlot);
        assert_eq!(rom.live.len(), 1);
        let written = sent.iter().any(|message| {
            matches!(message, Message::Inventory(InventoryInput::Resource(record))
                if record.id == ResourceId(1) && record.status == ResourceStatus::Available)
        });
        assert!(written, "its lost TMF639 record is written back: {sent:?}");
        assert_eq!(terminated(&sent), [ActivationId(2)]);
        let expected = BTreeSet::from([AllocationId(2), AllocationId(3)]);
        assert_eq!(released(&sent), expected);

        // A service of a former order that turns active later was lost in flight.
        let late = ActivationSummary {
            id: ActivationId(7),
            parent: ResourceOrderId(5),
            rfs: adopted.rfs.clone(),
            state: ServiceState::Active,
            error: None,
        };
        let sent = handle(&mut rom, RomInput::ActivationChanged(late));
        assert_eq!(terminated(&sent), [ActivationId(7)]);

        // The second listing shows allocation 4, which the former life had in flight: it is
        // released; 1 (live again) and 2 (being released) are not touched again.
        let onu = |onu| ResourceValue::OnuSlot {
            olt: crate::network::ElementId(0),
            pon_port: 0,
            onu,
        };
        let later = (1..=4).map(|n| (AllocationId(n), onu(n as u16))).collect();
        let swept = handle(&mut rom, RomInput::NetworkAllocations(later));
        assert_eq!(released(&swept), BTreeSet::from([AllocationId(4)]));
        assert!(rom.late_sweep.is_none(), "one sweep");
    }

    #[test]
    fn without_the_parent_s_view_every_active_service_is_kept() {
        let mut rom = restarted();
        answer_below_the_parent(&mut rom);
        let sent = handle(&mut rom, RomInput::LiveResources(None));
        assert_eq!(rom.live.len(), 2);
        assert!(terminated(&sent).is_empty(), "{sent:?}");
        assert_eq!(released(&sent), BTreeSet::from([AllocationId(3)]));
        assert_eq!(rom.former_orders_below, None, "late reports are not judged");
    }

    #[test]
    fn a_cease_waits_for_the_reconciliation_and_then_finds_its_resource() {
        let mut rom = restarted();
        let cease = ResourceOrderCreate {
            header: None,
            items: vec![super::super::ResourceOrderItemCreate {
                id: "1".into(),
                action: Action::Delete,
                resource_specification: "onu-slot".into(),
                kind: ResourceKind::OnuSlot,
                rfs: Rfs {
                    id: None,
                    specification: "gpon-access".into(),
                },
                resource: Some(ResourceId(1)),
            }],
            external_id: None,
            parent: None,
            region: RegionId(0),
            olt: None,
            characteristics: Default::default(),
        };
        let create = RomInput::Create {
            reply: None,
            order: Box::new(cease),
        };
        assert!(handle(&mut rom, create).is_empty());
        assert_eq!(rom.deferred.len(), 1);
        answer_below_the_parent(&mut rom);
        let sent = handle(&mut rom, RomInput::LiveResources(Some(vec![ResourceId(1)])));
        assert!(rom.deferred.is_empty());
        assert_eq!(rom.orders.len(), 1, "the cease was taken up: {sent:?}");
    }
}
