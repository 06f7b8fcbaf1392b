//! What to send: a seeded choice of operation and its TMF622 payload.
//!
//! The mix is a set of integer weights; one ChaCha8 RNG seeded from the scenario makes every
//! choice (operation, region, speed, cancel delay), so the same seed gives the same sequence of
//! requests. Modify and delete need an existing product; the products come from completed
//! orders (a bounded [`ProductPool`] fed by the tracker); while the pool is empty those
//! operations fall back to a fibre add and are counted as fallbacks.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use crate::plan::order_body::{
    CharacteristicRequest, ItemRequest, OfferingRef, OrderBody, OrderRequest, ProductRequest,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::plan::scenario::Regions;

/// One kind of operation in the mix.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OperationKind {
    /// Add a fibre broadband product.
    AddFibre,
    /// Add a DSL broadband product.
    AddDsl,
    /// Add a VoIP product.
    AddVoip,
    /// Add fibre broadband and IPTV in one order.
    AddBundle,
    /// Modify an existing broadband product's speed.
    ModifySpeed,
    /// Migrate a DSL product to fibre.
    ModifyMigration,
    /// Add IPTV beside an existing broadband product.
    ModifyBundle,
    /// Cease an existing product.
    Delete,
    /// Add fibre, then cancel it after the cancel delay.
    Cancel,
    /// Add fibre, then cancel it twice.
    DuplicateCancel,
    /// A deliberately bad request that must be answered 4xx.
    BadRequest,
}

impl OperationKind {
    /// Every kind, in mix order.
    pub const ALL: [OperationKind; 11] = [
        OperationKind::AddFibre,
        OperationKind::AddDsl,
        OperationKind::AddVoip,
        OperationKind::AddBundle,
        OperationKind::ModifySpeed,
        OperationKind::ModifyMigration,
        OperationKind::ModifyBundle,
        OperationKind::Delete,
        OperationKind::Cancel,
        OperationKind::DuplicateCancel,
        OperationKind::BadRequest,
    ];

    /// The name used in the mix and in reports.
    pub fn name(self) -> &'static str {
        match self {
            OperationKind::AddFibre => "add_fibre",
            OperationKind::AddDsl => "add_dsl",
            OperationKind::AddVoip => "add_voip",
            OperationKind::AddBundle => "add_bundle",
            OperationKind::ModifySpeed => "modify_speed",
            OperationKind::ModifyMigration => "modify_migration",
            OperationKind::ModifyBundle => "modify_bundle",
            OperationKind::Delete => "delete",
            OperationKind::Cancel => "cancel",
            OperationKind::DuplicateCancel => "duplicate_cancel",
            OperationKind::BadRequest => "bad_request",
        }
    }
}

/// The operation mix: one weight per kind; weights left out are 0.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Mix {
    /// Weight of [`OperationKind::AddFibre`].
    #[serde(default)]
    pub add_fibre: u32,
    /// Weight of [`OperationKind::AddDsl`].
    #[serde(default)]
    pub add_dsl: u32,
    /// Weight of [`OperationKind::AddVoip`].
    #[serde(default)]
    pub add_voip: u32,
    /// Weight of [`OperationKind::AddBundle`].
    #[serde(default)]
    pub add_bundle: u32,
    /// Weight of [`OperationKind::ModifySpeed`].
    #[serde(default)]
    pub modify_speed: u32,
    /// Weight of [`OperationKind::ModifyMigration`].
    #[serde(default)]
    pub modify_migration: u32,
    /// Weight of [`OperationKind::ModifyBundle`].
    #[serde(default)]
    pub modify_bundle: u32,
    /// Weight of [`OperationKind::Delete`].
    #[serde(default)]
    pub delete: u32,
    /// Weight of [`OperationKind::Cancel`].
    #[serde(default)]
    pub cancel: u32,
    /// Weight of [`OperationKind::DuplicateCancel`].
    #[serde(default)]
    pub duplicate_cancel: u32,
    /// Weight of [`OperationKind::BadRequest`].
    #[serde(default)]
    pub bad_request: u32,
}

impl Default for Mix {
    fn default() -> Self {
        Mix {
            add_fibre: 70,
            add_dsl: 10,
            add_voip: 10,
            add_bundle: 10,
            modify_speed: 0,
            modify_migration: 0,
            modify_bundle: 0,
            delete: 0,
            cancel: 0,
            duplicate_cancel: 0,
            bad_request: 0,
        }
    }
}

impl Mix {
    /// The weights in [`OperationKind::ALL`] order.
    pub fn weights(&self) -> [u32; 11] {
        [
            self.add_fibre,
            self.add_dsl,
            self.add_voip,
            self.add_bundle,
            self.modify_speed,
            self.modify_migration,
            self.modify_bundle,
            self.delete,
            self.cancel,
            self.duplicate_cancel,
            self.bad_request,
        ]
    }

    /// Checks that some weight is above zero and the total fits.
    pub fn validate(&self) -> Result<(), String> {
        let total: u64 = self.weights().iter().map(|w| u64::from(*w)).sum();
        match total {
            0 => Err("[load.mix] needs at least one weight above 0".into()),
            t if t > u64::from(u32::MAX) => Err("[load.mix] weights are too large".into()),
            _ => Ok(()),
        }
    }
}

/// How long after the acknowledgement a cancel is sent, in milliseconds.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(tag = "distribution", rename_all = "lowercase", deny_unknown_fields)]
pub enum CancelDelay {
    /// Always `ms`.
    Fixed {
        /// The delay.
        ms: f64,
    },
    /// Uniform in [`min_ms`, `max_ms`].
    Uniform {
        /// Lower bound.
        min_ms: f64,
        /// Upper bound.
        max_ms: f64,
    },
    /// Exponential with the given mean.
    Exponential {
        /// Mean.
        mean_ms: f64,
    },
}

impl Default for CancelDelay {
    fn default() -> Self {
        CancelDelay::Uniform {
            min_ms: 0.0,
            max_ms: 500.0,
        }
    }
}

impl CancelDelay {
    /// Draws one delay (negative or non-finite draws become zero).
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> Duration {
        let ms = match self {
            CancelDelay::Fixed { ms } => *ms,
            CancelDelay::Uniform { min_ms, max_ms } => {
                min_ms + (max_ms - min_ms) * rng.random::<f64>()
            }
            CancelDelay::Exponential { mean_ms } => {
                -mean_ms * (1.0 - rng.random::<f64>()).max(f64::MIN_POSITIVE).ln()
            }
        };
        let ms = if ms.is_finite() {
            ms.clamp(0.0, 3.6e6)
        } else {
            0.0
        };
        Duration::from_secs_f64(ms / 1_000.0)
    }
}

/// The broadband technology of a product loadgen knows of.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Technology {
    /// Fibre (GPON).
    Fibre,
    /// DSL.
    Dsl,
}

impl Technology {
    /// The catalog offering selling it.
    pub fn offering(self) -> &'static str {
        match self {
            Technology::Fibre => "fibre-broadband",
            Technology::Dsl => "dsl-broadband",
        }
    }
}

/// Products from completed orders, available for modify and delete; bounded, oldest dropped.
/// Products are kept apart by technology and by whether they already carry the IPTV add-on
/// (a second bundle change of the same product is refused), and a product taken for a change
/// remembers its add-on until the change completes and it comes back.
#[derive(Debug)]
pub struct ProductPool {
    /// Fibre, DSL, fibre with IPTV, DSL with IPTV.
    queues: [VecDeque<String>; 4],
    taken_bundled: HashSet<String>,
    capacity: usize,
}

fn queue_index(technology: Technology, bundled: bool) -> usize {
    match (technology, bundled) {
        (Technology::Fibre, false) => 0,
        (Technology::Dsl, false) => 1,
        (Technology::Fibre, true) => 2,
        (Technology::Dsl, true) => 3,
    }
}

impl ProductPool {
    /// An empty pool holding at most `capacity` products per queue.
    pub fn new(capacity: usize) -> ProductPool {
        ProductPool {
            queues: std::array::from_fn(|_| VecDeque::new()),
            taken_bundled: HashSet::new(),
            capacity: capacity.max(1),
        }
    }

    /// Adds a product (dropping the oldest of its queue when full); `bundled` when it has IPTV.
    pub fn add(&mut self, product_id: String, technology: Technology, bundled: bool) {
        let bundled = self.taken_bundled.remove(&product_id) || bundled;
        let Some(queue) = self.queues.get_mut(queue_index(technology, bundled)) else {
            return;
        };
        if queue.len() >= self.capacity {
            queue.pop_front();
        }
        queue.push_back(product_id);
    }

    /// Takes the oldest product of a technology (or either), with or without IPTV (or either).
    fn take(
        &mut self,
        technology: Option<Technology>,
        bundled: Option<bool>,
    ) -> Option<(String, Technology)> {
        let technologies = match technology {
            Some(t) => vec![t],
            None => vec![Technology::Fibre, Technology::Dsl],
        };
        let bundles = match bundled {
            Some(b) => vec![b],
            None => vec![false, true],
        };
        for technology in technologies {
            for &bundled in &bundles {
                let index = queue_index(technology, bundled);
                if let Some(product) = self.queues.get_mut(index).and_then(VecDeque::pop_front) {
                    if bundled && self.taken_bundled.len() < self.capacity {
                        self.taken_bundled.insert(product.clone());
                    }
                    return Some((product, technology));
                }
            }
        }
        None
    }

    /// Products held.
    pub fn len(&self) -> usize {
        self.queues.iter().map(VecDeque::len).sum()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One planned request.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    /// The operation.
    pub kind: OperationKind,
    /// The ProductOrder_Create body (possibly deliberately malformed).
    pub body: OrderBody,
    /// Send a cancel this long after the acknowledgement.
    pub cancel_after: Option<Duration>,
    /// How many cancel requests to send (0, 1 or 2).
    pub cancels: u8,
    /// Whether the answer must be 4xx.
    pub expect_client_error: bool,
    /// True when a modify/delete fell back to an add for want of a product.
    pub fallback: bool,
}

const SPEEDS_MBPS: [u32; 4] = [100, 300, 500, 1_000];
const DSL_SPEEDS_MBPS: [u32; 3] = [16, 50, 100];

/// The seeded operation chooser.
#[derive(Debug)]
pub struct Workload {
    rng: ChaCha8Rng,
    cumulative: [u64; 11],
    regions: Regions,
    cancel_delay: CancelDelay,
}

impl Workload {
    /// A chooser for `mix` seeded with `seed`.
    pub fn new(mix: &Mix, seed: u64, regions: Regions, cancel_delay: CancelDelay) -> Workload {
        let mut cumulative = [0_u64; 11];
        let mut sum = 0_u64;
        for (slot, weight) in cumulative.iter_mut().zip(mix.weights()) {
            sum += u64::from(weight);
            *slot = sum;
        }
        assert!(sum > 0, "a validated mix has a weight above zero");
        Workload {
            rng: ChaCha8Rng::seed_from_u64(seed),
            cumulative,
            regions,
            cancel_delay,
        }
    }

    /// Chooses the next operation, taking a product from `pool` for modify and delete.
    pub fn next(&mut self, pool: &mut ProductPool) -> Planned {
        let total = self.cumulative[10];
        let draw = self.rng.random_range(0..total);
        let index = self.cumulative.iter().position(|c| draw < *c).unwrap_or(0);
        let kind = OperationKind::ALL[index];
        match self.plan(kind, pool) {
            Some(planned) => planned,
            None => Planned {
                fallback: true,
                ..self
                    .plan(OperationKind::AddFibre, pool)
                    .unwrap_or_else(|| unreachable!("an add needs no product"))
            },
        }
    }

    fn plan(&mut self, kind: OperationKind, pool: &mut ProductPool) -> Option<Planned> {
        let items = match kind {
            OperationKind::AddFibre | OperationKind::Cancel | OperationKind::DuplicateCancel => {
                vec![self.broadband_item("1", Technology::Fibre)]
            }
            OperationKind::AddDsl => vec![self.broadband_item("1", Technology::Dsl)],
            OperationKind::AddVoip => vec![self.voip_item()],
            OperationKind::AddBundle => vec![
                self.broadband_item("1", Technology::Fibre),
                item("2", "add", "iptv", None),
            ],
            // Modify items name the product's own offering: the simulator reads a different
            // offering as a migration (and an absent one as a migration to nothing).
            OperationKind::ModifySpeed => {
                let (product, technology) = pool.take(None, None)?;
                let speed = match technology {
                    Technology::Fibre => self.pick(&SPEEDS_MBPS),
                    Technology::Dsl => self.pick(&DSL_SPEEDS_MBPS),
                };
                let characteristics =
                    vec![CharacteristicRequest::new("downstreamSpeedMbps", speed)];
                vec![item(
                    "1",
                    "modify",
                    technology.offering(),
                    Some(product_with(Some(product), characteristics)),
                )]
            }
            OperationKind::ModifyMigration => {
                let (product, _) = pool.take(Some(Technology::Dsl), None)?;
                let region = self.region(Technology::Fibre);
                let characteristics = vec![
                    CharacteristicRequest::new("region", region),
                    CharacteristicRequest::new("downstreamSpeedMbps", 500),
                ];
                vec![item(
                    "1",
                    "modify",
                    "fibre-broadband",
                    Some(product_with(Some(product), characteristics)),
                )]
            }
            OperationKind::ModifyBundle => {
                let (product, technology) = pool.take(None, Some(false))?;
                let characteristics = vec![CharacteristicRequest::new("addOn", "iptv")];
                vec![item(
                    "1",
                    "modify",
                    technology.offering(),
                    Some(product_with(Some(product), characteristics)),
                )]
            }
            OperationKind::Delete => {
                let (product, technology) = pool.take(None, None)?;
                let product = ProductRequest {
                    id: Some(product),
                    product_characteristic: None,
                };
                vec![item("1", "delete", technology.offering(), Some(product))]
            }
            OperationKind::BadRequest => return Some(self.bad_request()),
        };
        let cancels = match kind {
            OperationKind::Cancel => 1,
            OperationKind::DuplicateCancel => 2,
            _ => 0,
        };
        let cancel_after = (cancels > 0).then(|| self.cancel_delay.sample(&mut self.rng));
        let body = OrderRequest {
            description: kind.name(),
            product_order_item: items,
        };
        Some(Planned {
            kind,
            body: OrderBody::Request(body),
            cancel_after,
            cancels,
            expect_client_error: false,
            fallback: false,
        })
    }

    fn bad_request(&mut self) -> Planned {
        let body: Vec<u8> = match self.rng.random_range(0..4_u32) {
            0 => br#"{"productOrderItem": []}"#.to_vec(),
            1 => br#"{"productOrderItem": [{"id": "1", "action": "add", "productOffering": {"id": "no-such-offering"}}]}"#.to_vec(),
            2 => br#"{"productOrderItem": [{"id": "1", "action": "explode", "productOffering": {"id": "voip"}}]}"#.to_vec(),
            _ => br#"{"productOrderItem": [ this is not json"#.to_vec(),
        };
        Planned {
            kind: OperationKind::BadRequest,
            body: OrderBody::Raw(body),
            cancel_after: None,
            cancels: 0,
            expect_client_error: true,
            fallback: false,
        }
    }

    fn pick<T: Copy>(&mut self, values: &[T]) -> T {
        let index = self.rng.random_range(0..values.len());
        values[index]
    }

    fn region(&mut self, technology: Technology) -> String {
        let regions = match technology {
            Technology::Fibre => &self.regions.fibre,
            Technology::Dsl => &self.regions.dsl,
        };
        if regions.is_empty() {
            return "north".to_string();
        }
        let index = self.rng.random_range(0..regions.len());
        regions[index].clone()
    }

    fn broadband_item(&mut self, id: &'static str, technology: Technology) -> ItemRequest {
        let (offering, speed) = match technology {
            Technology::Fibre => ("fibre-broadband", self.pick(&SPEEDS_MBPS)),
            Technology::Dsl => ("dsl-broadband", self.pick(&DSL_SPEEDS_MBPS)),
        };
        let region = self.region(technology);
        let characteristics = vec![
            CharacteristicRequest::new("region", region),
            CharacteristicRequest::new("downstreamSpeedMbps", speed),
        ];
        item(
            id,
            "add",
            offering,
            Some(product_with(None, characteristics)),
        )
    }

    fn voip_item(&mut self) -> ItemRequest {
        let region = self.region(Technology::Fibre);
        let characteristics = vec![CharacteristicRequest::new("region", region)];
        item(
            "1",
            "add",
            "voip",
            Some(product_with(None, characteristics)),
        )
    }
}

/// An item of a planned order.
fn item(
    id: &'static str,
    action: &'static str,
    offering: &'static str,
    product: Option<ProductRequest>,
) -> ItemRequest {
    ItemRequest {
        id,
        action,
        product_offering: OfferingRef { id: offering },
        product,
    }
}

/// The product part of an item: the existing product (if any) and characteristics.
fn product_with(id: Option<String>, characteristics: Vec<CharacteristicRequest>) -> ProductRequest {
    ProductRequest {
        id,
        product_characteristic: Some(characteristics),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regions() -> Regions {
        Regions {
            fibre: vec!["north".into(), "south".into()],
            dsl: vec!["north".into()],
        }
    }

    fn kinds(seed: u64, mix: &Mix, count: usize) -> Vec<OperationKind> {
        let mut workload = Workload::new(mix, seed, regions(), CancelDelay::default());
        let mut pool = ProductPool::new(10);
        (0..count).map(|_| workload.next(&mut pool).kind).collect()
    }

    #[test]
    fn same_seed_same_sequence_different_seed_different_sequence() {
        let mix = Mix {
            cancel: 10,
            bad_request: 5,
            ..Mix::default()
        };
        assert_eq!(kinds(7, &mix, 500), kinds(7, &mix, 500));
        assert_ne!(kinds(7, &mix, 500), kinds(8, &mix, 500));
    }

    #[test]
    fn proportions_follow_the_weights() {
        let mix = Mix {
            add_fibre: 60,
            add_dsl: 20,
            add_voip: 0,
            add_bundle: 10,
            cancel: 10,
            ..Mix::default()
        };
        let drawn = kinds(42, &mix, 20_000);
        let share = |kind| drawn.iter().filter(|k| **k == kind).count() as f64 / 20_000.0;
        assert!((share(OperationKind::AddFibre) - 0.6).abs() < 0.02);
        assert!((share(OperationKind::AddDsl) - 0.2).abs() < 0.02);
        assert!((share(OperationKind::AddBundle) - 0.1).abs() < 0.02);
        assert!((share(OperationKind::Cancel) - 0.1).abs() < 0.02);
        assert_eq!(share(OperationKind::AddVoip), 0.0);
    }

    #[test]
    fn modify_without_products_falls_back_and_with_products_uses_them() {
        let mix = Mix {
            delete: 1,
            ..Mix {
                add_fibre: 0,
                add_dsl: 0,
                add_voip: 0,
                add_bundle: 0,
                ..Mix::default()
            }
        };
        let mut workload = Workload::new(&mix, 1, regions(), CancelDelay::default());
        let mut pool = ProductPool::new(10);
        let planned = workload.next(&mut pool);
        assert!(planned.fallback);
        assert_eq!(planned.kind, OperationKind::AddFibre);
        pool.add("P-3".into(), Technology::Fibre, false);
        let planned = workload.next(&mut pool);
        assert_eq!(planned.kind, OperationKind::Delete);
        let body: serde_json::Value = serde_json::from_slice(&planned.body.to_bytes()).unwrap();
        assert_eq!(body["productOrderItem"][0]["product"]["id"], "P-3");
        assert!(pool.is_empty());
    }

    #[test]
    fn bundle_changes_skip_products_that_already_have_iptv() {
        let mix = Mix {
            add_fibre: 0,
            add_dsl: 0,
            add_voip: 0,
            add_bundle: 0,
            modify_bundle: 1,
            ..Mix::default()
        };
        let mut workload = Workload::new(&mix, 1, regions(), CancelDelay::default());
        let mut pool = ProductPool::new(10);
        pool.add("P-1".into(), Technology::Fibre, true);
        assert!(workload.next(&mut pool).fallback, "P-1 has IPTV already");
        pool.add("P-2".into(), Technology::Dsl, false);
        let planned = workload.next(&mut pool);
        assert_eq!(planned.kind, OperationKind::ModifyBundle);
        let body: serde_json::Value = serde_json::from_slice(&planned.body.to_bytes()).unwrap();
        assert_eq!(body["productOrderItem"][0]["product"]["id"], "P-2");
        assert_eq!(
            body["productOrderItem"][0]["productOffering"]["id"],
            "dsl-broadband"
        );
        // P-1, taken for a speed change and back, still counts as bundled.
        let (product, _) = pool.take(None, None).unwrap();
        assert_eq!(product, "P-1");
        pool.add(product, Technology::Fibre, false);
        assert!(pool.take(None, Some(false)).is_none());
    }

    #[test]
    fn cancels_carry_a_delay_in_range_and_bad_requests_expect_4xx() {
        let mix = Mix {
            add_fibre: 0,
            add_dsl: 0,
            add_voip: 0,
            add_bundle: 0,
            duplicate_cancel: 1,
            bad_request: 1,
            ..Mix::default()
        };
        let mut workload = Workload::new(&mix, 3, regions(), CancelDelay::default());
        let mut pool = ProductPool::new(10);
        for _ in 0..200 {
            let planned = workload.next(&mut pool);
            match planned.kind {
                OperationKind::DuplicateCancel => {
                    assert_eq!(planned.cancels, 2);
                    assert!(planned.cancel_after.unwrap() <= Duration::from_millis(500));
                }
                OperationKind::BadRequest => assert!(planned.expect_client_error),
                other => panic!("unexpected {other:?}"),
            }
        }
    }
}
