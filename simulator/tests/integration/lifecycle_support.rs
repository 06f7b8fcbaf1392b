//! Helpers shared by the lifecycle tests: build a virtual-time chain, submit product orders
//! and cancels, and read what the layers hold.

#![allow(dead_code)]

use std::sync::Arc;

use simulator::config::SimConfig;
use simulator::domain::ids::{ProductId, ProductOrderId};
use simulator::domain::state::OrderState;
use simulator::layers::com::{
    CancelProductOrder, ComInput, ProductOrder, ProductOrderCreate, ProductOrderItemCreate,
};
use simulator::layers::common::{Action, Characteristic};
use simulator::layers::{Message, Rejection, Reply, ReplyToken};
use simulator::network::pool::PoolStats;
use simulator::runtime::virtual_time::VirtualChain;

/// A chain with the default scenario, changed by `configure`.
pub(crate) fn chain_with(configure: impl FnOnce(&mut SimConfig)) -> VirtualChain {
    let mut config = SimConfig::default();
    configure(&mut config);
    VirtualChain::new(config).expect("valid config")
}

/// A characteristic.
pub(crate) fn characteristic(name: &str, value: impl Into<serde_json::Value>) -> Characteristic {
    Characteristic {
        name: name.into(),
        value: value.into(),
    }
}

/// An `add` item of `offering` in region `north`.
pub(crate) fn add(id: &str, offering: &str) -> ProductOrderItemCreate {
    ProductOrderItemCreate {
        id: id.to_string(),
        action: Action::Add,
        offering: Arc::from(offering),
        product: None,
        characteristics: vec![characteristic("region", "north")],
    }
}

/// An item acting on `product`.
pub(crate) fn change(
    action: Action,
    offering: &str,
    product: ProductId,
    characteristics: Vec<Characteristic>,
) -> ProductOrderItemCreate {
    ProductOrderItemCreate {
        id: "1".to_string(),
        action,
        offering: Arc::from(offering),
        product: Some(product),
        characteristics,
    }
}

/// Submits a product order with `items`; returns the reply token.
pub(crate) fn submit(chain: &mut VirtualChain, items: Vec<ProductOrderItemCreate>) -> ReplyToken {
    let order = ProductOrderCreate {
        external_id: Some("lifecycle".to_string()),
        items,
        attributes: None,
    };
    chain.submit(|reply| Message::Com(ComInput::Create { reply, order }))
}

/// Steps until the reply for `token` arrives (handling no more than needed) and returns it.
pub(crate) fn reply_to(chain: &mut VirtualChain, token: ReplyToken) -> Reply {
    loop {
        if let Some(reply) = chain.take_reply(token) {
            return reply;
        }
        assert!(chain.step(), "the chain went idle without a reply");
    }
}

/// Steps until the reply for `token` arrives and returns the created order's id.
pub(crate) fn created(chain: &mut VirtualChain, token: ReplyToken) -> ProductOrderId {
    match reply_to(chain, token) {
        Reply::ProductOrder(order) => order.id,
        other => panic!("expected a product order, got {other:?}"),
    }
}

/// Submits an order, waits for the acknowledgement, returns its id.
pub(crate) fn place(
    chain: &mut VirtualChain,
    items: Vec<ProductOrderItemCreate>,
) -> ProductOrderId {
    let token = submit(chain, items);
    created(chain, token)
}

/// Submits an order and runs the chain until idle; returns the order as it ended.
pub(crate) fn run(chain: &mut VirtualChain, items: Vec<ProductOrderItemCreate>) -> ProductOrder {
    let id = place(chain, items);
    chain.run_until_idle();
    (*chain.layers.com.orders()[&id]).clone()
}

/// Adds a `offering` product and runs it to completion; returns the product's id.
pub(crate) fn product(chain: &mut VirtualChain, offering: &str) -> ProductId {
    let order = run(chain, vec![add("1", offering)]);
    assert_eq!(order.state, OrderState::Completed, "{offering} order");
    order.items[0]
        .product
        .expect("a product on the completed item")
}

/// Submits a create that must be refused; returns the refusal.
pub(crate) fn refused(chain: &mut VirtualChain, items: Vec<ProductOrderItemCreate>) -> Rejection {
    let token = submit(chain, items);
    match reply_to(chain, token) {
        Reply::Rejected(rejection) => rejection,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// Submits a cancel of `order` and handles just that message; returns the reply.
pub(crate) fn cancel_now(chain: &mut VirtualChain, order: ProductOrderId) -> Reply {
    let token = chain.submit(|reply| {
        Message::Com(ComInput::Cancel {
            reply,
            order,
            reason: Some("test".to_string()),
        })
    });
    reply_to(chain, token)
}

/// The cancel request in `reply`, or a panic naming what came instead.
pub(crate) fn cancel_request(reply: Reply) -> CancelProductOrder {
    match reply {
        Reply::CancelProductOrder(request) => *request,
        other => panic!("expected a cancel product order, got {other:?}"),
    }
}

/// Allocated count of every pool, by name.
pub(crate) fn occupancy(chain: &VirtualChain) -> Vec<(String, u64)> {
    chain
        .layers
        .network
        .pool_stats()
        .into_iter()
        .map(
            |PoolStats {
                 name, allocated, ..
             }| (name, allocated),
        )
        .collect()
}

/// Panics with the findings unless the audit is clean.
pub(crate) fn assert_audit_clean(chain: &VirtualChain) {
    let report = chain.audit();
    if report.ok {
        return;
    }
    let orders: Vec<String> = chain
        .layers
        .rom
        .orders()
        .values()
        .map(|order| {
            let items: Vec<String> = order
                .items
                .iter()
                .map(|item| format!("{}:{}", item.allocation, item.state.as_str()))
                .collect();
            let action = order.items.first().map(|item| item.action.as_str());
            let history: Vec<&str> = order.history.iter().map(|(_, s)| s.as_str()).collect();
            format!(
                "{} {:?} {:?} {history:?} {items:?}",
                order.id, order.parent, action
            )
        })
        .collect();
    let findings: Vec<_> = report.findings.iter().filter(|f| f.count > 0).collect();
    panic!("audit findings: {findings:#?}\nresource orders: {orders:#?}");
}

/// Delivers a cancel of `order` to COM at once, ahead of every queued message (as if it had
/// overtaken them on the wire), and queues what COM sends; returns COM's reply.
pub(crate) fn cancel_urgent(chain: &mut VirtualChain, order: ProductOrderId) -> Reply {
    use rand::SeedableRng;
    use simulator::layers::{Effect, Effects, Layer, SimRng};
    let mut effects = Effects::default();
    let mut rng = SimRng::seed_from_u64(0);
    let input = ComInput::Cancel {
        reply: ReplyToken(u64::MAX),
        order,
        reason: Some("urgent".to_string()),
    };
    let now = chain.now();
    chain.layers.com.handle(input, now, &mut rng, &mut effects);
    let mut answer = None;
    for effect in effects.drain().collect::<Vec<_>>() {
        match effect {
            Effect::Send { message, .. } => {
                chain.submit(|_| message);
            }
            Effect::Publish(event) => chain.events.push(event),
            Effect::Reply { reply, .. } => answer = Some(reply),
            Effect::Observe(observation) => chain.latencies().record(&observation),
        }
    }
    answer.expect("COM answers every cancel")
}

/// Panics unless no element has a service configured or active.
pub(crate) fn assert_elements_idle(chain: &VirtualChain) {
    let elements = chain.layers.network.topology().elements.len();
    for index in 0..elements {
        let element = simulator::network::ElementId(u32::try_from(index).expect("small"));
        let services = chain
            .layers
            .network
            .element_services(element)
            .expect("element");
        assert!(
            services.configured.is_empty() && services.active.is_empty(),
            "nothing left configured on the elements: {services:?}"
        );
    }
}
