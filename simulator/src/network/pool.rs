//! Allocators for ONU slots, VLAN pairs, IPv4 addresses and number ranges.
//!
//! Every pool is an [`IndexPool`] over `0..capacity`, mapped to its values (an address, a
//! C-VLAN, a phone number) by an offset. Allocation and release are O(1): a stack of released
//! indices is reused first, then a high-water cursor hands out indices never used; a bit vector
//! says which indices are allocated, so releasing something not allocated is a typed error
//! rather than a corrupted pool. Allocation time does not grow as the pool fills, because
//! nothing is ever searched for. Choosing a PON port (or DSLAM) with a free slot in a region is
//! O(log n) through [`FreePorts`], an ordered set of the ports that still have room.

use std::collections::BTreeSet;
use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use serde::Serialize;

use crate::network::ElementId;

/// Largest pool: 2^24 entries (a /8 of IPv4), 2 MiB of membership bits.
pub const POOL_CAPACITY_MAX: u32 = 1 << 24;

/// Lowest usable VLAN id (0 is reserved: priority tagging).
pub const VLAN_ID_MIN: u16 = 1;

/// Highest usable VLAN id (4095 is reserved).
pub const VLAN_ID_MAX: u16 = 4_094;

/// Whether `vlan` is a usable VLAN id (1..=4094).
pub const fn is_valid_vlan(vlan: u16) -> bool {
    vlan >= VLAN_ID_MIN && vlan <= VLAN_ID_MAX
}

/// A pool refused an operation: an operating error, never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// Every entry is allocated.
    #[error("the pool is exhausted: all {capacity} entries are allocated")]
    Exhausted {
        /// The pool's capacity.
        capacity: u32,
    },
    /// Released, but not allocated (a double release, or never allocated).
    #[error("{value} is not allocated")]
    NotAllocated {
        /// The value, in the pool's units (index, address, VLAN id, number).
        value: u64,
    },
    /// The value does not belong to this pool.
    #[error("{value} is outside the pool")]
    OutOfRange {
        /// The value, in the pool's units.
        value: u64,
    },
    /// The pool asked for is larger than [`POOL_CAPACITY_MAX`].
    #[error("a pool of {capacity} entries is larger than the maximum {max}")]
    TooLarge {
        /// What was asked for.
        capacity: u64,
        /// The maximum.
        max: u32,
    },
}

/// A fixed-length vector of bits, one per pool index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    fn new(len: u32) -> BitSet {
        BitSet {
            words: vec![0; (len as usize).div_ceil(64)],
        }
    }

    fn get(&self, index: u32) -> bool {
        let (word, bit) = (index as usize / 64, index % 64);
        self.words.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }

    fn set(&mut self, index: u32, value: bool) {
        let (word, bit) = (index as usize / 64, index % 64);
        if let Some(w) = self.words.get_mut(word) {
            if value {
                *w |= 1 << bit;
            } else {
                *w &= !(1 << bit);
            }
        }
    }

    fn count_ones(&self) -> u64 {
        self.words.iter().map(|w| u64::from(w.count_ones())).sum()
    }
}

/// Indices `0..capacity`, each allocated at most once at a time; O(1) allocate and release.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndexPool {
    /// How many indices there are.
    capacity: u32,
    /// Indices at or above this have never been allocated.
    never_used: u32,
    /// Released indices, reused last-in first-out before the cursor moves.
    released: Vec<u32>,
    /// Which indices are allocated.
    members: BitSet,
    /// How many are allocated.
    allocated: u32,
}

impl IndexPool {
    /// A pool of `capacity` indices, none allocated.
    pub fn new(capacity: u32) -> Result<IndexPool, PoolError> {
        if capacity > POOL_CAPACITY_MAX {
            return Err(PoolError::TooLarge {
                capacity: u64::from(capacity),
                max: POOL_CAPACITY_MAX,
            });
        }
        Ok(IndexPool {
            capacity,
            never_used: 0,
            released: Vec::new(),
            members: BitSet::new(capacity),
            allocated: 0,
        })
    }

    /// The index [`IndexPool::allocate`] would return, without taking it.
    pub fn peek(&self) -> Result<u32, PoolError> {
        match self.released.last() {
            Some(&index) => Ok(index),
            None if self.never_used < self.capacity => Ok(self.never_used),
            None => Err(PoolError::Exhausted {
                capacity: self.capacity,
            }),
        }
    }

    /// Takes a free index.
    pub fn allocate(&mut self) -> Result<u32, PoolError> {
        let index = match self.released.pop() {
            Some(index) => index,
            None if self.never_used < self.capacity => {
                self.never_used += 1;
                self.never_used - 1
            }
            None => {
                return Err(PoolError::Exhausted {
                    capacity: self.capacity,
                });
            }
        };
        debug_assert!(!self.members.get(index), "index {index} handed out twice");
        self.members.set(index, true);
        self.allocated += 1;
        Ok(index)
    }

    /// Gives `index` back; an index not allocated (or out of range) is an error.
    pub fn release(&mut self, index: u32) -> Result<(), PoolError> {
        if index >= self.capacity {
            return Err(PoolError::OutOfRange {
                value: u64::from(index),
            });
        }
        if !self.members.get(index) {
            return Err(PoolError::NotAllocated {
                value: u64::from(index),
            });
        }
        self.members.set(index, false);
        self.released.push(index);
        self.allocated -= 1;
        Ok(())
    }

    /// Whether `index` is allocated.
    pub fn is_allocated(&self, index: u32) -> bool {
        self.members.get(index)
    }

    /// How many indices the pool has.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// How many are allocated.
    pub fn allocated(&self) -> u32 {
        self.allocated
    }

    /// How many are free.
    pub fn free(&self) -> u32 {
        self.capacity - self.allocated
    }

    /// Checks the pool's own bookkeeping (never-used + released = free, and the membership
    /// bits count the allocated); O(capacity / 64). Returns what is wrong, if anything.
    pub fn check(&self) -> Result<(), String> {
        let free_by_cursor =
            u64::from(self.capacity - self.never_used) + self.released.len() as u64;
        if free_by_cursor != u64::from(self.free()) {
            return Err(format!(
                "{} never used + {} released != {} free",
                self.capacity - self.never_used,
                self.released.len(),
                self.free()
            ));
        }
        let ones = self.members.count_ones();
        if ones != u64::from(self.allocated) {
            return Err(format!(
                "{ones} membership bits set but {} allocated",
                self.allocated
            ));
        }
        Ok(())
    }
}

/// An IPv4 network in CIDR notation, host bits zero.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ipv4Cidr {
    /// The network address.
    pub network: Ipv4Addr,
    /// The prefix length, 0..=32.
    pub prefix: u8,
}

/// A CIDR string that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    /// Not `a.b.c.d/n`.
    #[error("`{text}` is not an IPv4 CIDR like 10.0.0.0/16")]
    Syntax {
        /// What was given (truncated).
        text: String,
    },
    /// The address has bits set beyond the prefix.
    #[error("`{text}` has host bits set")]
    HostBitsSet {
        /// What was given (truncated).
        text: String,
    },
}

impl Ipv4Cidr {
    /// The usable host addresses: the first one and how many. The network and broadcast
    /// addresses are excluded for prefixes shorter than /31 (RFC 3021 for /31, /32 is one).
    pub fn hosts(&self) -> (u32, u64) {
        let network = u32::from(self.network);
        let size = 1_u64 << (32 - u32::from(self.prefix));
        if self.prefix >= 31 {
            (network, size)
        } else {
            (network + 1, size - 2)
        }
    }
}

impl FromStr for Ipv4Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let shown = || text.chars().take(64).collect::<String>();
        let (address, prefix) = text
            .split_once('/')
            .ok_or_else(|| CidrError::Syntax { text: shown() })?;
        let network = address
            .parse::<Ipv4Addr>()
            .map_err(|_| CidrError::Syntax { text: shown() })?;
        // Plain decimal only: no sign, no leading zero.
        let canonical = !prefix.is_empty()
            && prefix.len() <= 2
            && prefix.bytes().all(|b| b.is_ascii_digit())
            && !(prefix.len() == 2 && prefix.starts_with('0'));
        let prefix = prefix
            .parse::<u8>()
            .ok()
            .filter(|prefix| canonical && *prefix <= 32)
            .ok_or_else(|| CidrError::Syntax { text: shown() })?;
        let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
        if u32::from(network) & !mask != 0 {
            return Err(CidrError::HostBitsSet { text: shown() });
        }
        Ok(Ipv4Cidr { network, prefix })
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The host addresses of a CIDR; O(1) allocate and release at any fill level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ipv4Pool {
    cidr: Ipv4Cidr,
    first: u32,
    pool: IndexPool,
}

impl Ipv4Pool {
    /// A pool of `cidr`'s host addresses (at most [`POOL_CAPACITY_MAX`]).
    pub fn new(cidr: Ipv4Cidr) -> Result<Ipv4Pool, PoolError> {
        let (first, count) = cidr.hosts();
        let capacity = u32::try_from(count)
            .ok()
            .filter(|capacity| *capacity <= POOL_CAPACITY_MAX)
            .ok_or(PoolError::TooLarge {
                capacity: count,
                max: POOL_CAPACITY_MAX,
            })?;
        Ok(Ipv4Pool {
            cidr,
            first,
            pool: IndexPool::new(capacity)?,
        })
    }

    /// The CIDR it serves.
    pub fn cidr(&self) -> Ipv4Cidr {
        self.cidr
    }

    fn address(&self, index: u32) -> Ipv4Addr {
        Ipv4Addr::from(self.first + index)
    }

    /// The pool index of `address`, if it is one of the pool's hosts.
    pub fn index_of(&self, address: Ipv4Addr) -> Option<u32> {
        u32::from(address)
            .checked_sub(self.first)
            .filter(|index| *index < self.pool.capacity())
    }

    /// The address [`Ipv4Pool::allocate`] would return, without taking it.
    pub fn peek(&self) -> Result<Ipv4Addr, PoolError> {
        self.pool.peek().map(|index| self.address(index))
    }

    /// Takes a free address.
    pub fn allocate(&mut self) -> Result<Ipv4Addr, PoolError> {
        self.pool.allocate().map(|index| self.address(index))
    }

    /// Gives `address` back.
    pub fn release(&mut self, address: Ipv4Addr) -> Result<(), PoolError> {
        let value = u64::from(u32::from(address));
        let index = self
            .index_of(address)
            .ok_or(PoolError::OutOfRange { value })?;
        self.pool
            .release(index)
            .map_err(|_| PoolError::NotAllocated { value })
    }

    /// Whether `address` is allocated.
    pub fn is_allocated(&self, address: Ipv4Addr) -> bool {
        self.index_of(address)
            .is_some_and(|index| self.pool.is_allocated(index))
    }

    /// The underlying index pool (counts and bookkeeping check).
    pub fn indices(&self) -> &IndexPool {
        &self.pool
    }
}

/// The C-VLANs of one S-VLAN: 1..=4094, each unique within it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CVlanPool {
    s_vlan: u16,
    pool: IndexPool,
}

impl CVlanPool {
    /// The C-VLAN pool of `s_vlan`, which must be a usable VLAN id.
    pub fn new(s_vlan: u16) -> Result<CVlanPool, PoolError> {
        if !is_valid_vlan(s_vlan) {
            return Err(PoolError::OutOfRange {
                value: u64::from(s_vlan),
            });
        }
        Ok(CVlanPool {
            s_vlan,
            pool: IndexPool::new(u32::from(VLAN_ID_MAX - VLAN_ID_MIN + 1))?,
        })
    }

    /// The outer tag.
    pub fn s_vlan(&self) -> u16 {
        self.s_vlan
    }

    fn c_vlan(index: u32) -> u16 {
        // The index is below 4094, so the sum is at most 4094.
        VLAN_ID_MIN + u16::try_from(index).unwrap_or(VLAN_ID_MAX)
    }

    /// The C-VLAN [`CVlanPool::allocate`] would return, without taking it.
    pub fn peek(&self) -> Result<u16, PoolError> {
        self.pool.peek().map(Self::c_vlan)
    }

    /// Takes a free C-VLAN.
    pub fn allocate(&mut self) -> Result<u16, PoolError> {
        self.pool.allocate().map(Self::c_vlan)
    }

    /// Gives `c_vlan` back.
    pub fn release(&mut self, c_vlan: u16) -> Result<(), PoolError> {
        let value = u64::from(c_vlan);
        if !is_valid_vlan(c_vlan) {
            return Err(PoolError::OutOfRange { value });
        }
        self.pool
            .release(u32::from(c_vlan - VLAN_ID_MIN))
            .map_err(|_| PoolError::NotAllocated { value })
    }

    /// Whether `c_vlan` is allocated.
    pub fn is_allocated(&self, c_vlan: u16) -> bool {
        is_valid_vlan(c_vlan) && self.pool.is_allocated(u32::from(c_vlan - VLAN_ID_MIN))
    }

    /// The underlying index pool.
    pub fn indices(&self) -> &IndexPool {
        &self.pool
    }
}

/// The ports (an element and a port number) that still have a free slot, ordered, so that a
/// port with room is found in O(log n) without looking at full ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FreePorts {
    ports: BTreeSet<(ElementId, u16)>,
}

impl FreePorts {
    /// Records whether `(element, port)` has a free slot.
    pub fn set(&mut self, element: ElementId, port: u16, has_free: bool) {
        if has_free {
            self.ports.insert((element, port));
        } else {
            self.ports.remove(&(element, port));
        }
    }

    /// Whether `(element, port)` is recorded as having a free slot.
    pub fn contains(&self, element: ElementId, port: u16) -> bool {
        self.ports.contains(&(element, port))
    }

    /// The first port with room on `element`.
    pub fn first_on(&self, element: ElementId) -> Option<u16> {
        self.ports
            .range((element, 0)..=(element, u16::MAX))
            .next()
            .map(|&(_, port)| port)
    }

    /// The first port with room on an element for which `skip` is false. Each skipped
    /// element costs one more O(log n) step, so outages cost little.
    pub fn first(&self, skip: impl Fn(ElementId) -> bool) -> Option<(ElementId, u16)> {
        let mut from = (ElementId(0), 0);
        loop {
            let &(element, port) = self.ports.range(from..).next()?;
            if !skip(element) {
                return Some((element, port));
            }
            from = (ElementId(element.0.checked_add(1)?), 0);
        }
    }

    /// How many ports have room.
    pub fn len(&self) -> usize {
        self.ports.len()
    }

    /// Whether no port has room.
    pub fn is_empty(&self) -> bool {
        self.ports.is_empty()
    }
}

/// What a pool holds.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PoolKind {
    /// ONU slots of a PON port.
    OnuSlot,
    /// C-VLANs of a PON port's S-VLAN.
    CVlan,
    /// IPv4 addresses of a region.
    Ipv4Address,
    /// Subscriber ports of a DSLAM.
    DslamPort,
    /// Members of a region's multicast VLAN.
    MulticastMember,
    /// Telephone numbers of a region.
    PhoneNumber,
}

impl PoolKind {
    /// The short name used in pool names and metric labels.
    pub const fn as_str(self) -> &'static str {
        match self {
            PoolKind::OnuSlot => "onu",
            PoolKind::CVlan => "cvlan",
            PoolKind::Ipv4Address => "ipv4",
            PoolKind::DslamPort => "port",
            PoolKind::MulticastMember => "multicast",
            PoolKind::PhoneNumber => "phone",
        }
    }
}

/// Counts of one pool (or of a group of pools), for operators and the audit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PoolStats {
    /// Its name, e.g. `olt-north-1/pon-3/onu` or `north/ipv4`.
    pub name: String,
    /// What it holds.
    pub kind: PoolKind,
    /// How many entries.
    pub capacity: u64,
    /// How many are allocated.
    pub allocated: u64,
    /// How many are free.
    pub free: u64,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn index_pool_allocates_each_index_once_then_is_exhausted() {
        let mut pool = IndexPool::new(3).expect("small pool");
        let taken: Vec<u32> = (0..3)
            .map(|_| pool.allocate().expect("free index"))
            .collect();
        assert_eq!(taken, vec![0, 1, 2]);
        assert_eq!(pool.allocate(), Err(PoolError::Exhausted { capacity: 3 }));
        assert_eq!(pool.peek(), Err(PoolError::Exhausted { capacity: 3 }));
        assert_eq!((pool.capacity(), pool.allocated(), pool.free()), (3, 3, 0));
        pool.release(1).expect("allocated");
        assert_eq!((pool.allocated(), pool.free()), (2, 1));
        assert_eq!(pool.allocate(), Ok(1));
        assert_eq!(pool.check(), Ok(()));
    }

    #[test]
    fn double_release_and_out_of_range_are_errors() {
        let mut pool = IndexPool::new(4).expect("small pool");
        let index = pool.allocate().expect("free index");
        pool.release(index).expect("allocated");
        assert_eq!(
            pool.release(index),
            Err(PoolError::NotAllocated { value: 0 })
        );
        assert_eq!(pool.release(3), Err(PoolError::NotAllocated { value: 3 }));
        assert_eq!(pool.release(4), Err(PoolError::OutOfRange { value: 4 }));
        assert_eq!(pool.free(), 4);
        assert_eq!(pool.check(), Ok(()));
    }

    #[test]
    fn peek_does_not_allocate() {
        let mut pool = IndexPool::new(2).expect("small pool");
        assert_eq!(pool.peek(), Ok(0));
        assert_eq!(pool.peek(), Ok(0));
        assert_eq!(pool.allocated(), 0);
        assert_eq!(pool.allocate(), Ok(0));
        assert_eq!(pool.peek(), Ok(1));
    }

    #[test]
    fn empty_and_oversized_pools() {
        let mut empty = IndexPool::new(0).expect("empty pool");
        assert_eq!(empty.allocate(), Err(PoolError::Exhausted { capacity: 0 }));
        assert!(matches!(
            IndexPool::new(POOL_CAPACITY_MAX + 1),
            Err(PoolError::TooLarge { .. })
        ));
    }

    #[test]
    fn cidr_parsing_and_hosts() {
        let cidr: Ipv4Cidr = "10.0.0.0/8".parse().expect("valid");
        assert_eq!(
            cidr.hosts(),
            (u32::from(Ipv4Addr::new(10, 0, 0, 1)), (1 << 24) - 2)
        );
        assert_eq!(cidr.to_string(), "10.0.0.0/8");
        let p31: Ipv4Cidr = "192.168.0.0/31".parse().expect("valid");
        assert_eq!(p31.hosts().1, 2);
        let p32: Ipv4Cidr = "192.168.0.7/32".parse().expect("valid");
        assert_eq!(p32.hosts(), (u32::from(Ipv4Addr::new(192, 168, 0, 7)), 1));
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0/8",
            "x/8",
            "10.0.0.0/+8",
            "10.0.0.0/08",
        ] {
            assert!(
                matches!(bad.parse::<Ipv4Cidr>(), Err(CidrError::Syntax { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            "10.0.0.1/8".parse::<Ipv4Cidr>(),
            Err(CidrError::HostBitsSet { .. })
        ));
        let huge: Ipv4Cidr = "0.0.0.0/0".parse().expect("valid");
        assert!(matches!(
            Ipv4Pool::new(huge),
            Err(PoolError::TooLarge { .. })
        ));
    }

    #[test]
    fn ipv4_pool_excludes_network_and_broadcast() {
        let mut pool = Ipv4Pool::new("192.168.1.0/30".parse().expect("valid")).expect("small");
        assert_eq!(pool.peek(), Ok(Ipv4Addr::new(192, 168, 1, 1)));
        assert_eq!(pool.allocate(), Ok(Ipv4Addr::new(192, 168, 1, 1)));
        assert_eq!(pool.allocate(), Ok(Ipv4Addr::new(192, 168, 1, 2)));
        assert!(matches!(
            pool.allocate(),
            Err(PoolError::Exhausted { capacity: 2 })
        ));
        assert!(matches!(
            pool.release(Ipv4Addr::new(192, 168, 1, 3)),
            Err(PoolError::OutOfRange { .. })
        ));
        assert!(matches!(
            pool.release(Ipv4Addr::new(192, 168, 1, 0)),
            Err(PoolError::OutOfRange { .. })
        ));
        pool.release(Ipv4Addr::new(192, 168, 1, 2))
            .expect("allocated");
        assert!(matches!(
            pool.release(Ipv4Addr::new(192, 168, 1, 2)),
            Err(PoolError::NotAllocated { .. })
        ));
        assert!(pool.is_allocated(Ipv4Addr::new(192, 168, 1, 1)));
        assert!(!pool.is_allocated(Ipv4Addr::new(192, 168, 1, 2)));
    }

    #[test]
    fn c_vlans_are_1_to_4094_within_their_s_vlan() {
        assert!(CVlanPool::new(0).is_err());
        assert!(CVlanPool::new(4_095).is_err());
        let mut pool = CVlanPool::new(100).expect("valid S-VLAN");
        let mut seen = BTreeSet::new();
        while let Ok(c_vlan) = pool.allocate() {
            assert!(is_valid_vlan(c_vlan));
            assert!(seen.insert(c_vlan), "C-VLAN {c_vlan} twice");
        }
        assert_eq!(seen.len(), 4_094);
        assert_eq!(pool.release(0), Err(PoolError::OutOfRange { value: 0 }));
        pool.release(4_094).expect("allocated");
        assert_eq!(pool.peek(), Ok(4_094));
    }

    #[test]
    fn free_ports_skip_elements() {
        let mut ports = FreePorts::default();
        ports.set(ElementId(0), 3, true);
        ports.set(ElementId(1), 0, true);
        ports.set(ElementId(2), 5, true);
        assert_eq!(ports.first(|_| false), Some((ElementId(0), 3)));
        assert_eq!(ports.first(|e| e.0 < 2), Some((ElementId(2), 5)));
        assert_eq!(ports.first(|_| true), None);
        assert_eq!(ports.first_on(ElementId(2)), Some(5));
        ports.set(ElementId(2), 5, false);
        assert_eq!(ports.first_on(ElementId(2)), None);
        assert_eq!(ports.len(), 2);
    }

    proptest! {
        #[test]
        fn index_pool_never_double_allocates(
            capacity in 0_u32..64,
            steps in proptest::collection::vec((any::<bool>(), any::<u32>()), 0..300),
        ) {
            let mut pool = IndexPool::new(capacity).expect("small pool");
            let mut held = BTreeSet::new();
            for (allocate, pick) in steps {
                if allocate {
                    match pool.allocate() {
                        Ok(index) => prop_assert!(held.insert(index), "{} twice", index),
                        Err(error) => {
                            prop_assert_eq!(error, PoolError::Exhausted { capacity });
                            prop_assert_eq!(held.len() as u32, capacity);
                        }
                    }
                } else if held.is_empty() {
                    prop_assert!(pool.release(pick % capacity.max(1)).is_err());
                } else {
                    let index = *held.iter().nth(pick as usize % held.len()).expect("non-empty");
                    held.remove(&index);
                    prop_assert_eq!(pool.release(index), Ok(()));
                    prop_assert!(pool.release(index).is_err());
                }
                prop_assert_eq!(pool.allocated() as usize, held.len());
                prop_assert_eq!(pool.allocated() + pool.free(), capacity);
                prop_assert_eq!(pool.check(), Ok(()));
            }
        }

        #[test]
        fn ipv4_pool_never_double_allocates(
            prefix in 22_u8..=32,
            steps in proptest::collection::vec((any::<bool>(), any::<u32>()), 0..300),
        ) {
            let cidr = Ipv4Cidr { network: Ipv4Addr::new(10, 1, 0, 0), prefix };
            let mut pool = Ipv4Pool::new(cidr).expect("small pool");
            let capacity = pool.indices().capacity();
            let mut held = BTreeSet::new();
            for (allocate, pick) in steps {
                if allocate {
                    if let Ok(address) = pool.allocate() {
                        prop_assert!(pool.index_of(address).is_some());
                        prop_assert!(held.insert(address), "{} twice", address);
                    } else {
                        prop_assert_eq!(held.len() as u32, capacity);
                    }
                } else if let Some(&address) = held.iter().nth(pick as usize % held.len().max(1)) {
                    held.remove(&address);
                    prop_assert_eq!(pool.release(address), Ok(()));
                    prop_assert!(pool.release(address).is_err());
                }
                prop_assert_eq!(pool.indices().allocated() as usize, held.len());
                prop_assert_eq!(pool.indices().check(), Ok(()));
            }
        }
    }
}
