//! Event payloads: each layer renders the TMF JSON of what it holds, with the same renderers
//! the GETs use (without element names, which live in the topology: events show numeric ids).

use serde_json::Value;

use crate::http::dto::{
    RenderContext, activation, cancel, product_order, resource_order, service_order,
};
use crate::layers::Subject;
use crate::layers::activation::ActivationLayer;
use crate::layers::com::ComLayer;
use crate::layers::inventory::InventoryLayer;
use crate::layers::rom::RomLayer;
use crate::layers::som::SomLayer;
use crate::network::NetworkLayer;
use crate::runtime::{Snapshot, WallClock};

fn context<'a>(clock: &WallClock, public_url: &'a str) -> RenderContext<'a> {
    RenderContext {
        clock: *clock,
        topology: None,
        public_url,
    }
}

impl Snapshot for ComLayer {
    fn snapshot(&self, subject: &Subject, clock: &WallClock, public_url: &str) -> Option<Value> {
        match subject {
            Subject::ProductOrder(id) => self
                .orders
                .get(id)
                .map(|order| product_order::render(order, &context(clock, public_url))),
            Subject::CancelProductOrder(id) => self
                .cancels
                .get(id)
                .map(|cancel| product_order::render_cancel(cancel, &context(clock, public_url))),
            _ => None,
        }
    }
}

impl Snapshot for SomLayer {
    fn snapshot(&self, subject: &Subject, clock: &WallClock, public_url: &str) -> Option<Value> {
        match subject {
            Subject::ServiceOrder(id) => self
                .orders
                .get(id)
                .map(|order| service_order::render(order, &context(clock, public_url))),
            Subject::CancelServiceOrder(id) => self
                .cancels
                .get(id)
                .map(|cancel| cancel::render_service(cancel, &context(clock, public_url))),
            _ => None,
        }
    }
}

impl Snapshot for RomLayer {
    fn snapshot(&self, subject: &Subject, clock: &WallClock, public_url: &str) -> Option<Value> {
        match subject {
            Subject::ResourceOrder(id) => self
                .orders
                .get(id)
                .map(|order| resource_order::render(order, &context(clock, public_url))),
            Subject::CancelResourceOrder(id) => self
                .cancels
                .get(id)
                .map(|cancel| cancel::render_resource(cancel, &context(clock, public_url))),
            _ => None,
        }
    }
}

impl Snapshot for ActivationLayer {
    fn snapshot(&self, subject: &Subject, clock: &WallClock, public_url: &str) -> Option<Value> {
        let Subject::ActivationService(id) = subject else {
            return None;
        };
        let service = self.services.get(id)?;
        Some(activation::render(service, &context(clock, public_url)))
    }
}

/// The network publishes no TMF events.
impl Snapshot for NetworkLayer {
    fn snapshot(&self, _subject: &Subject, _clock: &WallClock, _public_url: &str) -> Option<Value> {
        None
    }
}

/// The inventories publish no events (TMF637/638/639 hubs are not served).
impl Snapshot for InventoryLayer {
    fn snapshot(&self, _subject: &Subject, _clock: &WallClock, _public_url: &str) -> Option<Value> {
        None
    }
}
