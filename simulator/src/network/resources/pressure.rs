//! Pool pressure: entries a fault takes from pools and gives back, kept apart from the
//! holdings so that they are never mistaken for real allocations (the audit sees only the
//! holdings) while the pools' own counts stay conserved (the invariants count both).

use super::{PoolRef, Resources};
use crate::network::faults::{FaultTarget, POOL_PRESSURE_ENTRIES_MAX, PressureMode, RegionPool};

impl Resources {
    /// The pools a pool-pressure fault on `target` takes from: every PON port's ONU slots of
    /// an OLT, one PON port's, a DSLAM's ports or one region pool.
    fn pressure_pools(&self, target: FaultTarget) -> Vec<PoolRef> {
        match target {
            FaultTarget::Element(element) => match self.element(element) {
                Some(super::ElementPools::Olt { onus, .. }) => (0..onus.len())
                    .filter_map(|port| u16::try_from(port).ok())
                    .map(|port| PoolRef::Onu(element, port))
                    .collect(),
                Some(super::ElementPools::Dslam { .. }) => vec![PoolRef::Dslam(element)],
                None => Vec::new(),
            },
            FaultTarget::PonPort { olt, port } => vec![PoolRef::Onu(olt, port)],
            FaultTarget::Pool { region, pool } => vec![match pool {
                RegionPool::Ipv4 => PoolRef::Ipv4(region),
                RegionPool::Multicast => PoolRef::Multicast(region),
                RegionPool::Phone => PoolRef::Phone(region),
            }],
            FaultTarget::Activation | FaultTarget::Region(_) | FaultTarget::All => Vec::new(),
        }
    }

    /// Takes entries for the fault `owner` from the pools of `target` as `mode` says (at most
    /// [`POOL_PRESSURE_ENTRIES_MAX`]); returns how many it took. Taking more for the same
    /// owner adds to what it holds.
    pub(crate) fn reserve(&mut self, owner: &str, target: FaultTarget, mode: PressureMode) -> u32 {
        let pools = self.pressure_pools(target);
        let free: u64 = pools
            .iter()
            .filter_map(|pool| self.indices(*pool))
            .map(|indices| u64::from(indices.free()))
            .sum();
        let wanted = match mode {
            PressureMode::ShrinkBy(count) => free.min(u64::from(count)),
            PressureMode::FreeLeft(count) => free.saturating_sub(u64::from(count)),
        };
        let wanted = wanted.min(u64::from(POOL_PRESSURE_ENTRIES_MAX));
        let mut taken = Vec::new();
        for pool in pools {
            while (taken.len() as u64) < wanted {
                match self.take(pool) {
                    Ok(index) => taken.push((pool, index)),
                    Err(_) => break,
                }
            }
        }
        let count = u32::try_from(taken.len()).unwrap_or(u32::MAX);
        self.reservations
            .entry(owner.to_string())
            .or_default()
            .extend(taken);
        count
    }

    /// Gives back every entry the fault `owner` took; returns how many.
    pub(crate) fn unreserve(&mut self, owner: &str) -> u32 {
        let Some(taken) = self.reservations.remove(owner) else {
            return 0;
        };
        let mut count = 0_u32;
        for (pool, index) in taken {
            match self.give_back(pool, index) {
                Ok(()) => count += 1,
                Err(error) => {
                    debug_assert!(false, "pressure entry {pool:?}/{index}: {error}");
                }
            }
        }
        count
    }

    /// Entries held by pool-pressure faults, with their pools.
    pub(super) fn reserved(&self) -> impl Iterator<Item = (&str, PoolRef, u32)> + '_ {
        self.reservations.iter().flat_map(|(owner, entries)| {
            entries
                .iter()
                .map(move |&(pool, index)| (owner.as_str(), pool, index))
        })
    }
}
