//! Reconciliation after a restart without state (issue 11).
//!
//! A ROM that lost its store no longer knows the allocations its lost orders made; their
//! parents fail those orders as `childLost`, but nobody would ever give the resources back.
//! On [`RomInput::Reconcile`](super::RomInput::Reconcile) ROM notes its next number (every
//! allocation it names from then on is its own), then asks the network for every allocation
//! it holds and the inventory for every resource not in `standby`. Once both answered it
//! releases each allocation that is still unowned: not backing an `available` resource, not
//! named by any order, live resource or release in its (new) store, and older than the
//! restart. Deciding only after both answers arrived, against the store as it is then, keeps
//! orders that ran meanwhile safe: whatever they named is theirs.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::{PendingOperation, RomLayer};
use crate::domain::ids::{AllocationId, ResourceId};
use crate::domain::time::Time;
use crate::layers::inventory::{InventoryInput, ResourceStatus};
use crate::layers::{Effects, LayerId, Message};
use crate::network::NetworkInput;

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

/// A reconciliation waiting for its answers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reconciliation {
    /// ROM's next number when it began: allocations numbered from here on are the new store's.
    pub cutoff: u64,
    /// The network's allocations, once it answered.
    pub network: Option<Vec<AllocationId>>,
    /// The inventory's live resources, once it answered.
    pub inventory: Option<Vec<HeldRecord>>,
}

impl RomLayer {
    /// Begins a reconciliation: asks the network and the inventory what they hold.
    pub(super) fn reconcile(&mut self, now: Time, effects: &mut Effects) {
        self.reconciliation = Some(Reconciliation {
            cutoff: self.next_number,
            ..Reconciliation::default()
        });
        let reply_to = LayerId::Rom;
        effects.send(
            now,
            Message::Network(NetworkInput::ListAllocations { reply_to }),
        );
        effects.send(
            now,
            Message::Inventory(InventoryInput::ListResources { reply_to }),
        );
    }

    /// The network answered.
    pub(super) fn network_answered(
        &mut self,
        held: Vec<AllocationId>,
        now: Time,
        effects: &mut Effects,
    ) {
        if let Some(reconciliation) = self.reconciliation.as_mut() {
            reconciliation.network = Some(held);
            self.finish_reconciliation(now, effects);
        }
    }

    /// The inventory answered.
    pub(super) fn inventory_answered(
        &mut self,
        records: Vec<HeldRecord>,
        now: Time,
        effects: &mut Effects,
    ) {
        if let Some(reconciliation) = self.reconciliation.as_mut() {
            reconciliation.inventory = Some(records);
            self.finish_reconciliation(now, effects);
        }
    }

    /// Once both answered: releases every allocation nobody owns.
    fn finish_reconciliation(&mut self, now: Time, effects: &mut Effects) {
        let ready = self
            .reconciliation
            .as_ref()
            .is_some_and(|r| r.network.is_some() && r.inventory.is_some());
        let Some(Reconciliation {
            cutoff,
            network: Some(held),
            inventory: Some(records),
        }) = self.reconciliation.take_if(|_| ready)
        else {
            return;
        };
        let records: BTreeMap<AllocationId, HeldRecord> =
            records.into_iter().map(|r| (r.allocation, r)).collect();
        let owned = self.owned_allocations();
        for allocation in held {
            if allocation.0 >= cutoff || owned.contains(&allocation) {
                continue;
            }
            let record = records.get(&allocation);
            if record.is_some_and(|r| r.status == ResourceStatus::Available) {
                continue;
            }
            let resource = record.map(|r| r.resource);
            self.release(allocation, resource, 1, None, Duration::ZERO, now, effects);
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
