//! Benchmarks of the network's allocators: IPv4 allocate + release on a 2^24 pool, empty and
//! 99.9% full (the time must not grow with the fill level), and ONU slot allocation through the
//! network layer in the VOLTHA 2×16×32 topology.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use simulator::config::ProfilesConfig;
use simulator::domain::ids::{AllocationId, OperationId};
use simulator::domain::time::Time;
use simulator::layers::{Effects, Layer, LayerId, SimRng};
use simulator::network::pool::{Ipv4Cidr, Ipv4Pool};
use simulator::network::topology::voltha_2x16x32;
use simulator::network::{
    AllocationRequest, ElementOperation, ElementRequest, NetworkInput, NetworkLayer, RegionId,
};

/// A 10.0.0.0/8 pool with `fraction` of its addresses allocated, in address order.
fn ipv4_pool(fraction: f64) -> Ipv4Pool {
    let cidr: Ipv4Cidr = "10.0.0.0/8".parse().expect("valid CIDR");
    let mut pool = Ipv4Pool::new(cidr).expect("2^24 is the maximum pool");
    let capacity = pool.indices().capacity();
    let target = (f64::from(capacity) * fraction) as u32;
    for _ in 0..target {
        pool.allocate().expect("not full yet");
    }
    pool
}

fn ipv4(c: &mut Criterion) {
    let mut group = c.benchmark_group("ipv4_2^24");
    for (label, fraction) in [("empty", 0.0), ("99.9%_full", 0.999)] {
        let mut pool = ipv4_pool(fraction);
        group.bench_function(format!("allocate_release/{label}"), |b| {
            b.iter(|| {
                let address = pool.allocate().expect("free address");
                pool.release(black_box(address)).expect("allocated");
            });
        });
        // 1,000 fresh addresses from the high-water cursor (no released address to reuse).
        group.bench_function(format!("allocate_1000_fresh/{label}"), |b| {
            b.iter_batched(
                || pool.clone(),
                |mut pool| {
                    for _ in 0..1_000 {
                        black_box(pool.allocate().expect("free address"));
                    }
                    pool
                },
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

/// ONU slot allocate + release through the network layer (zero latency), half the slots taken.
fn onu_slot(c: &mut Criterion) {
    let mut layer =
        NetworkLayer::new(&voltha_2x16x32(), &ProfilesConfig::default()).expect("valid preset");
    let mut rng = SimRng::seed_from_u64(1);
    let mut effects = Effects::default();
    let mut next = 0_u64;
    let mut call = |layer: &mut NetworkLayer, operation: ElementOperation| {
        next += 1;
        let request = ElementRequest {
            operation_id: OperationId(next),
            reply_to: LayerId::Rom,
            operation,
        };
        layer.handle(
            NetworkInput::Request(request),
            Time::ZERO,
            &mut rng,
            &mut effects,
        );
        effects.list.clear();
    };
    let request = AllocationRequest::OnuSlot {
        region: RegionId(0),
        olt: None,
    };
    for allocation in 0..512 {
        let operation = ElementOperation::Allocate {
            allocation: AllocationId(allocation),
            request: request.clone(),
        };
        call(&mut layer, operation);
    }
    c.bench_function("onu_slot_2x16x32/allocate_release_half_full", |b| {
        b.iter(|| {
            let allocation = AllocationId(1_000_000);
            let operation = ElementOperation::Allocate {
                allocation,
                request: request.clone(),
            };
            call(&mut layer, operation);
            call(&mut layer, ElementOperation::Release { allocation });
        });
    });
    assert!(layer.check_invariants().is_empty());
}

criterion_group!(benches, ipv4, onu_slot);
criterion_main!(benches);
