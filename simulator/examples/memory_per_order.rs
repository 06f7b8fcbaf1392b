//! Resident memory per completed order chain.
//!
//! Runs N fibre orders (default 1,000,000) to completion in virtual time on a network large
//! enough for all of them, with retention high enough to keep every order, and prints the
//! growth of resident memory divided by N: what one completed chain (product, service and
//! resource orders, two TMF640 services, inventory records, network allocations) costs.
//!
//! With `live` as second argument, retention keeps its default bound (`limits.retained_orders_max`,
//! 200,000 terminal orders per layer) and the figure that matters is the growth over the
//! second half of the run, once retention is full: what one more live product costs (its
//! product, services, resources, inventory records, activations and allocations), which is
//! what a network of millions of subscribers needs (issue 16).
//!
//! Run: `cargo run --release -p simulator --example memory_per_order -- 1000000 [live]`

use std::sync::Arc;

use simulator::config::{OltConfig, SimConfig};
use simulator::domain::state::OrderState;
use simulator::layers::Message;
use simulator::layers::com::{ComInput, ProductOrderCreate, ProductOrderItemCreate};
use simulator::layers::common::{Action, Characteristic};
use simulator::runtime::virtual_time::VirtualChain;

/// The binaries' allocator, so the figures match what `simulator` and `loadgen` do.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn main() {
    let orders: u64 = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(1_000_000);
    let mut config = SimConfig::default();
    let region = &mut config.network.regions[0];
    region.ipv4_cidr = "10.0.0.0/8".to_string();
    let olts = orders.div_ceil(64 * 128);
    region.olts = (0..olts)
        .map(|index| OltConfig {
            name: format!("olt-{index}"),
            pon_ports: 64,
            onus_per_port: 128,
            s_vlan_first: 100,
        })
        .collect();
    let live = std::env::args().nth(2).as_deref() == Some("live");
    if !live {
        config.limits.retained_orders_max = usize::try_from(orders).unwrap_or(usize::MAX);
    }
    config.limits.open_orders_max = usize::try_from(orders).unwrap_or(usize::MAX);
    let mut chain = VirtualChain::new(config).expect("valid configuration");
    let before = resident_bytes();
    let item = ProductOrderItemCreate {
        id: "1".to_string(),
        action: Action::Add,
        offering: Arc::from("fibre-broadband"),
        product: None,
        characteristics: vec![Characteristic {
            name: "region".into(),
            value: "north".into(),
        }],
    };
    let mut submitted = 0;
    let mut halfway = None;
    while submitted < orders {
        if halfway.is_none() && submitted >= orders / 2 {
            halfway = Some((submitted, resident_bytes()));
        }
        // Submit in slices so the message queue stays small next to the stores being measured.
        for _ in 0..10_000.min(orders - submitted) {
            let order = ProductOrderCreate {
                external_id: None,
                items: vec![item.clone()],
                attributes: None,
            };
            chain.submit(|reply| Message::Com(ComInput::Create { reply, order }));
            submitted += 1;
        }
        chain.run_until_idle();
        chain.replies.clear();
        chain.events.clear();
    }
    let after = resident_bytes();
    let completed = chain
        .layers
        .com
        .orders()
        .values()
        .filter(|order| order.state == OrderState::Completed)
        .count();
    println!("orders: {orders}, completed: {completed}");
    println!(
        "resident before: {} MiB, after: {} MiB",
        before >> 20,
        after >> 20
    );
    println!(
        "per completed order chain: {} bytes",
        (after.saturating_sub(before)) / orders.max(1)
    );
    if let Some((at, resident)) = halfway {
        let added = orders - at;
        println!(
            "over the second half ({added} orders): {} bytes per order",
            after.saturating_sub(resident) / added.max(1)
        );
    }
}
