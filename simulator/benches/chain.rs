//! Throughput of the whole chain, zero latency, no failures: each product order is decomposed,
//! gets three resource allocations and two activations, and every state change and inventory
//! record is made. `realtime` goes through the in-process runtime (tokio tasks, bounded
//! inboxes, 2 worker threads); `virtual_time` runs the same layers on one thread with no
//! runtime overhead, which bounds what the runtime could reach.
//!
//! Run: `cargo bench -p simulator --bench chain`. Criterion reports orders per second.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;
use simulator::config::SimConfig;
use simulator::domain::state::OrderState;
use simulator::layers::com::{ComInput, ProductOrderCreate, ProductOrderItemCreate};
use simulator::layers::common::{Action, Characteristic};
use simulator::layers::{Event, EventKind, Message, Subject};
use simulator::runtime::virtual_time::VirtualChain;
use simulator::runtime::{Chain, EventSink};
use tokio::sync::mpsc;

/// The binaries' allocator, so the figures match what `simulator` and `loadgen` do.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn fibre() -> ProductOrderCreate {
    ProductOrderCreate {
        external_id: None,
        items: vec![ProductOrderItemCreate {
            id: "1".to_string(),
            action: Action::Add,
            offering: Arc::from("fibre-broadband"),
            product: None,
            characteristics: vec![Characteristic {
                name: "region".into(),
                value: "north".into(),
            }],
        }],
        attributes: None,
    }
}

/// A network big enough for every order of a measurement: 16 OLTs of 64×128 ONUs, a /8.
fn large_config() -> SimConfig {
    let mut config = SimConfig::default();
    let region = &mut config.network.regions[0];
    region.ipv4_cidr = "10.0.0.0/8".to_string();
    let template = region.olts[0].clone();
    region.olts = (0..16)
        .map(|index| simulator::config::OltConfig {
            name: format!("olt-north-{index}"),
            pon_ports: 64,
            onus_per_port: 128,
            ..template.clone()
        })
        .collect();
    config.limits.retained_orders_max = 1_000_000;
    config.limits.open_orders_max = 1_000_000;
    config.limits.inbox_capacity = 1 << 20;
    config
}

/// Counts product orders that reached a terminal state.
struct Terminal(mpsc::UnboundedSender<()>);

impl EventSink for Terminal {
    fn wants(&self, event: &Event) -> bool {
        event.kind == EventKind::StateChange && matches!(event.subject, Subject::ProductOrder(_))
    }
    fn publish(&self, _event: &Event, resource: Value) {
        let _ = resource;
        let _ = self.0.send(());
    }
}

fn realtime(criterion: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut group = criterion.benchmark_group("chain");
    group
        .throughput(Throughput::Elements(1))
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("realtime", |bench| {
        bench.iter_custom(|orders| runtime.block_on(run_realtime(orders)));
    });
    group.bench_function("virtual_time", |bench| {
        bench.iter_custom(|orders| {
            let mut chain = VirtualChain::new(large_config()).expect("config");
            let started = Instant::now();
            for _ in 0..orders {
                chain.submit(|reply| {
                    Message::Com(ComInput::Create {
                        reply,
                        order: fibre(),
                    })
                });
            }
            chain.run_until_idle();
            let elapsed = started.elapsed();
            let completed = chain
                .layers
                .com
                .orders()
                .values()
                .filter(|order| order.state == OrderState::Completed)
                .count();
            assert_eq!(completed as u64, orders);
            black_box(elapsed)
        });
    });
    group.finish();
}

async fn run_realtime(orders: u64) -> Duration {
    let (sender, mut terminal) = mpsc::unbounded_channel();
    let chain = Chain::start(large_config(), Arc::new(Terminal(sender))).expect("chain");
    let started = Instant::now();
    let submitters = 32u64;
    let mut tasks = Vec::new();
    for submitter in 0..submitters {
        let chain = chain.clone();
        let count = orders / submitters + u64::from(submitter < orders % submitters);
        tasks.push(tokio::spawn(async move {
            for _ in 0..count {
                let reply = chain
                    .request(|reply| {
                        Message::Com(ComInput::Create {
                            reply,
                            order: fibre(),
                        })
                    })
                    .await;
                assert!(reply.is_ok());
            }
        }));
    }
    for task in tasks {
        task.await.expect("submitter");
    }
    // Each order publishes inProgress then completed: wait for both.
    for _ in 0..orders * 2 {
        terminal.recv().await.expect("sink alive");
    }
    started.elapsed()
}

criterion_group!(benches, realtime);
criterion_main!(benches);
