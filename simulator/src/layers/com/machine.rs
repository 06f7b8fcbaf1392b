//! COM's forward path: product order intake and validation, decomposition of each item into
//! service order items, and the order's state derived from the service order's events.
//! Modify, delete and cancel live in `lifecycle`.

use std::sync::Arc;

use rand::RngExt;

use super::{
    ComInput, ComLayer, ComWake, ProductOrder, ProductOrderCreate, ProductOrderItem,
    ServiceOrderSummary,
};
use crate::config::{ChainConfig, ChainMode, Limits};
use crate::domain::catalog::Catalog;
use crate::domain::decompose::services_for_offering;
use crate::domain::ids::ProductOrderId;
use crate::domain::state::{Machine, OrderEvent, OrderState, derive_from_items};
use crate::domain::time::Time;
use crate::layers::common::{
    Action, Characteristic, History, IllegalLog, OrderPatch, Retention, WorkerPool,
    characteristic_text, characteristic_values, delete_and_answer, patch_and_answer, transition,
};
use crate::layers::failure::{FailureReason, record_first};
use crate::layers::som::{ServiceOrderCreate, SomInput};
use crate::layers::watchdog::Watchdog;
use crate::layers::{
    Effects, EventKind, Layer, LayerId, Message, Observation, Rejection, RejectionKind, Reply,
    ReplyToken, SimRng, Subject,
};
use crate::network::Topology;

impl ComLayer {
    /// An empty COM over `catalog` and `topology`.
    pub fn new(
        catalog: Arc<Catalog>,
        topology: Arc<Topology>,
        chain: ChainConfig,
        limits: Limits,
    ) -> ComLayer {
        let chain_workers = chain.workers;
        let watchdog = Watchdog::new(
            std::time::Duration::from_millis(chain.com_child_deadline_ms),
            std::time::Duration::from_millis(chain.child_answer_ms),
        );
        ComLayer {
            orders: Default::default(),
            cancels: Default::default(),
            illegal: IllegalLog::default(),
            retention: Retention::new(limits.retained_orders_max),
            next_order: 1,
            next_product: 1,
            open: 0,
            catalog,
            topology,
            chain,
            limits,
            products: Default::default(),
            workers: WorkerPool::new(usize::try_from(chain_workers).unwrap_or(usize::MAX)),
            watchdog,
        }
    }
}

impl Layer for ComLayer {
    type Input = ComInput;
    const ID: LayerId = LayerId::Com;

    fn handle(&mut self, input: ComInput, now: Time, rng: &mut SimRng, effects: &mut Effects) {
        match input {
            ComInput::Create { reply, order } => self.create(reply, order, now, effects),
            ComInput::Cancel {
                reply,
                order,
                reason,
            } => self.cancel(reply, order, reason, now, effects),
            ComInput::Patch {
                reply,
                order,
                patch,
            } => self.patch(reply, order, patch, now, effects),
            ComInput::Delete { reply, order } => self.delete(reply, order, now, effects),
            ComInput::ServiceOrderChanged(summary) => {
                self.service_order_changed(summary, now, effects)
            }
            ComInput::Wake(ComWake::Start(id)) => self.start(id, now, rng, effects),
            ComInput::Wake(ComWake::Resume(id)) => self.resume(id, now, effects),
            ComInput::Wake(ComWake::CallTimeout(id)) => self.call_timeout(id, now, effects),
            ComInput::ServiceOrderStatus { parent, state } => {
                self.child_status(parent, state, now, effects)
            }
            ComInput::Wake(ComWake::JeopardySweep(armed)) => {
                self.jeopardy_sweep(armed, now, effects)
            }
            ComInput::Wake(ComWake::ChildAnswer(id)) => self.child_answer(id, now, effects),
        }
    }
}

impl ComLayer {
    fn create(
        &mut self,
        reply: ReplyToken,
        request: ProductOrderCreate,
        now: Time,
        effects: &mut Effects,
    ) {
        if let Err(rejection) = self.validate(&request) {
            effects.reply(reply, Reply::Rejected(rejection));
            return;
        }
        let id = ProductOrderId(self.next_order);
        self.next_order += 1;
        let items: Vec<ProductOrderItem> = request
            .items
            .into_iter()
            .map(|item| ProductOrderItem {
                id: item.id,
                action: item.action,
                // A change item may omit productOffering: it then keeps the product's.
                offering: match item.product.and_then(|id| self.products.get(&id)) {
                    Some(live) if item.offering.is_empty() => live.offering.clone(),
                    _ => item.offering,
                },
                product: item.product,
                characteristics: item.characteristics.into(),
                state: OrderState::Acknowledged,
                history: History::starting(OrderState::Acknowledged, now),
                services: Vec::new(),
            })
            .collect();
        for product in items
            .iter()
            .filter(|item| item.action != Action::Add)
            .filter_map(|item| item.product)
        {
            if let Some(live) = self.products.get_mut(&product) {
                live.busy = Some(id);
            }
        }
        let order = ProductOrder {
            id,
            external_id: request.external_id,
            attributes: request.attributes,
            state: OrderState::Acknowledged,
            history: History::starting(OrderState::Acknowledged, now),
            order_date: now,
            completion_date: None,
            items,
            service_order: None,
            cancellation: None,
            failure: None,
            compensating: false,
            reply: None,
            abandoned: false,
            child_queried: false,
        };
        let mut order = order;
        if self.chain.mode == ChainMode::Sync {
            // The caller waits until the whole chain has finished with the order.
            order.reply = Some(reply);
        } else {
            effects.reply(reply, Reply::ProductOrder(Box::new(order.clone())));
        }
        self.orders.insert(id, Box::new(order));
        self.open += 1;
        effects.publish(EventKind::Create, Subject::ProductOrder(id), now);
        effects.send(now, Message::Com(ComInput::Wake(ComWake::Start(id))));
    }

    /// Semantic checks: limits, offerings, products, regions, OLTs, add-on rules.
    fn validate(&self, request: &ProductOrderCreate) -> Result<(), Rejection> {
        if self.open >= self.limits.open_orders_max {
            return Err(Rejection::new(
                RejectionKind::LimitExceeded,
                format!(
                    "{} product orders are open (limits.open_orders_max); retry later",
                    self.open
                ),
            ));
        }
        if request.items.is_empty() {
            return Err(Rejection::new(
                RejectionKind::InvalidRequest,
                "productOrderItem is empty",
            ));
        }
        let mut standalone = false;
        for (index, item) in request.items.iter().enumerate() {
            // Types and ranges first: nothing below may read a value the chain cannot use.
            let path = || format!("productOrderItem[{index}].product.productCharacteristic");
            self.catalog
                .check_characteristics(path, characteristic_values(&item.characteristics))
                .map_err(|error| {
                    Rejection::new(RejectionKind::InvalidRequest, error.to_string())
                })?;
            match item.action {
                Action::Add => {
                    services_for_offering(&self.catalog, &item.offering)?;
                    let offering = self.catalog.offerings.get(&item.offering);
                    standalone |= offering.is_some_and(|offering| offering.is_sellable_alone);
                    self.validate_placement(&item.id, &item.characteristics)?;
                }
                Action::Modify | Action::Delete | Action::NoChange => self.validate_change(item)?,
            }
        }
        let adds = request.items.iter().any(|item| item.action == Action::Add);
        if adds && !standalone {
            return Err(Rejection::new(
                RejectionKind::InvalidRequest,
                "an add-on offering must be ordered with a product that can be sold alone",
            ));
        }
        Ok(())
    }

    pub(super) fn validate_placement(
        &self,
        item: &str,
        characteristics: &[Characteristic],
    ) -> Result<(), Rejection> {
        if let Some(region) = characteristic_text(characteristics, "region")
            && self.topology.region_by_name(&region).is_none()
        {
            return Err(Rejection::new(
                RejectionKind::InvalidRequest,
                format!("item {item}: unknown region `{region}`"),
            ));
        }
        if let Some(olt) = characteristic_text(characteristics, "oltId")
            && self.topology.element_by_name(&olt).is_none()
        {
            return Err(Rejection::new(
                RejectionKind::InvalidRequest,
                format!("item {item}: unknown OLT `{olt}`"),
            ));
        }
        Ok(())
    }

    /// Work starts: the order may first be held (credit check) or pending (site survey).
    fn start(&mut self, id: ProductOrderId, now: Time, rng: &mut SimRng, effects: &mut Effects) {
        let chain = &self.chain;
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        if order.state != OrderState::Acknowledged {
            return;
        }
        if chain.mode == ChainMode::Sync && !self.workers.acquire(id) {
            return; // Started again when a worker slot frees.
        }
        let (event, resume_ms) = if chain.rejected_probability > 0.0
            && rng.random::<f64>() < chain.rejected_probability
        {
            (OrderEvent::Reject, 0)
        } else if chain.held_probability > 0.0 && rng.random::<f64>() < chain.held_probability {
            (OrderEvent::Hold, chain.held_resume_ms)
        } else if chain.pending_probability > 0.0 && rng.random::<f64>() < chain.pending_probability
        {
            (OrderEvent::Pend, chain.pending_resume_ms)
        } else {
            (OrderEvent::Start, 0)
        };
        if transition(
            Machine::ProductOrder,
            &mut order.state,
            &mut order.history,
            event,
            now,
            &mut self.illegal,
        )
        .is_err()
        {
            return;
        }
        if event == OrderEvent::Reject {
            // A check after acknowledgement (e.g. a credit check) refused the order.
            for item in &mut order.items {
                let machine = Machine::ProductOrderItem;
                let _ = transition(
                    machine,
                    &mut item.state,
                    &mut item.history,
                    OrderEvent::Reject,
                    now,
                    &mut self.illegal,
                );
            }
            self.ended(id, now, effects);
            return;
        }
        effects.publish(EventKind::StateChange, Subject::ProductOrder(id), now);
        if event == OrderEvent::Start {
            self.dispatch(id, now, effects);
        } else {
            let at = now.after(std::time::Duration::from_millis(resume_ms));
            effects.send_at(at, Message::Com(ComInput::Wake(ComWake::Resume(id))));
        }
    }

    fn resume(&mut self, id: ProductOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        if !matches!(order.state, OrderState::Held | OrderState::Pending) {
            return;
        }
        if transition(
            Machine::ProductOrder,
            &mut order.state,
            &mut order.history,
            OrderEvent::Resume,
            now,
            &mut self.illegal,
        )
        .is_ok()
        {
            effects.publish(EventKind::StateChange, Subject::ProductOrder(id), now);
            self.dispatch(id, now, effects);
        }
    }

    /// The order is inProgress: start its items and send the service order.
    fn dispatch(&mut self, id: ProductOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get(&id) else {
            return;
        };
        let mut service_items = Vec::new();
        for item in &order.items {
            service_items.extend(self.service_items(item));
        }
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        for item in &mut order.items {
            let machine = Machine::ProductOrderItem;
            let _ = transition(
                machine,
                &mut item.state,
                &mut item.history,
                OrderEvent::Start,
                now,
                &mut self.illegal,
            );
            if !service_items
                .iter()
                .any(|child| child.parent_item.as_deref() == Some(item.id.as_str()))
            {
                let _ = transition(
                    machine,
                    &mut item.state,
                    &mut item.history,
                    OrderEvent::Complete,
                    now,
                    &mut self.illegal,
                );
            }
        }
        if service_items.is_empty() {
            self.settle(id, now, effects);
            return;
        }
        let request = ServiceOrderCreate {
            external_id: Some(id.to_string()),
            parent: Some(id),
            items: service_items,
        };
        if self.chain.mode == ChainMode::Sync {
            let at = now.after(std::time::Duration::from_millis(self.chain.call_timeout_ms));
            effects.send_at(at, Message::Com(ComInput::Wake(ComWake::CallTimeout(id))));
        } else {
            self.arm_child_deadline(id, now, effects);
        }
        effects.send(
            now,
            Message::Som(SomInput::Create {
                reply: None,
                order: request,
            }),
        );
    }

    fn service_order_changed(
        &mut self,
        summary: ServiceOrderSummary,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(order) = self.orders.get_mut(&summary.parent) else {
            return;
        };
        // An order that has not sent its service order yet (acknowledged, held for a credit
        // check, pending, or cancelled before it started: its items are all still acknowledged)
        // cannot hear from one: a report naming it comes from a service order someone else
        // created, and is not adopted (issue 11, finding 4).
        let dispatched = order
            .items
            .iter()
            .any(|item| item.state != OrderState::Acknowledged);
        if !dispatched {
            return;
        }
        if order.service_order.is_none() {
            order.service_order = Some(summary.id);
        }
        if order.abandoned && summary.state.is_terminal() {
            self.abandoned_outcome(summary, now, effects);
            return;
        }
        if !summary.state.is_terminal() || order.state.is_terminal() {
            return;
        }
        if order.state == OrderState::PendingCancellation {
            self.cancel_outcome(summary, now, effects);
            return;
        }
        if matches!(summary.state, OrderState::Failed | OrderState::Partial) {
            record_first(&mut order.failure, summary.failure.clone());
        }
        if summary.state == OrderState::Cancelled {
            // Not COM's cancel (the order is not pendingCancellation): the items fail.
            let child = format!("service order {}", summary.id);
            record_first(&mut order.failure, summary.failure.clone());
            record_first(
                &mut order.failure,
                Some(FailureReason::child_cancelled(&child)),
            );
        }
        for index in 0..order.items.len() {
            self.item_finished(summary.parent, index, &summary, now, effects);
        }
        self.settle(summary.parent, now, effects);
    }

    /// Applies the service order's outcome to one product order item.
    fn item_finished(
        &mut self,
        id: ProductOrderId,
        index: usize,
        summary: &ServiceOrderSummary,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(item) = self
            .orders
            .get(&id)
            .and_then(|order| order.items.get(index))
        else {
            return;
        };
        let children: Vec<_> = summary
            .items
            .iter()
            .filter(|child| child.parent_item == item.id)
            .cloned()
            .collect();
        if children.is_empty() || item.state.is_terminal() {
            return;
        }
        let event = match derive_from_items(children.iter().map(|child| child.state)) {
            Some(OrderEvent::Complete) => OrderEvent::Complete,
            Some(_) => OrderEvent::Fail,
            None => return,
        };
        self.apply_children(
            id,
            index,
            &children,
            event == OrderEvent::Complete,
            now,
            effects,
        );
        let Some(item) = self
            .orders
            .get_mut(&id)
            .and_then(|order| order.items.get_mut(index))
        else {
            return;
        };
        let _ = transition(
            Machine::ProductOrderItem,
            &mut item.state,
            &mut item.history,
            event,
            now,
            &mut self.illegal,
        );
    }

    /// Moves the order to the terminal state its items imply, once they are all terminal.
    pub(super) fn settle(&mut self, id: ProductOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        let Some(event) = derive_from_items(order.items.iter().map(|item| item.state)) else {
            return;
        };
        if transition(
            Machine::ProductOrder,
            &mut order.state,
            &mut order.history,
            event,
            now,
            &mut self.illegal,
        )
        .is_err()
        {
            return;
        }
        self.ended(id, now, effects);
    }

    /// Bookkeeping once an order is terminal: completion date, open count, products freed,
    /// event, retention.
    pub(super) fn ended(&mut self, id: ProductOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        order.completion_date = Some(now);
        self.open = self.open.saturating_sub(1);
        effects.observe(Observation::OrderEnded {
            layer: LayerId::Com,
            state: order.state,
            took: now.since(order.order_date),
        });
        for product in order.items.iter().filter_map(|item| item.product) {
            if let Some(live) = self.products.get_mut(&product)
                && live.busy == Some(id)
            {
                live.busy = None;
            }
        }
        effects.publish(EventKind::StateChange, Subject::ProductOrder(id), now);
        if let Some(token) = order.reply.take() {
            effects.reply(token, Reply::ProductOrder(order.clone()));
        }
        if let Some(next) = self.workers.release(id) {
            effects.send(now, Message::Com(ComInput::Wake(ComWake::Start(next))));
        }
        if let Some(evicted) = self.retention.terminal(id)
            && let Some(order) = self.orders.remove(&evicted)
            && let Some(cancel) = order.cancellation
        {
            self.cancels.remove(&cancel);
        }
    }

    fn patch(
        &mut self,
        reply: ReplyToken,
        id: ProductOrderId,
        mut patch: OrderPatch,
        now: Time,
        effects: &mut Effects,
    ) {
        if patch.resume {
            let state = self.orders.get(&id).map(|order| order.state);
            match state {
                Some(OrderState::Held | OrderState::Pending) => self.resume(id, now, effects),
                Some(state) => {
                    let message = format!(
                        "product order {id} is {}; only held or pending orders can be resumed",
                        state.as_str()
                    );
                    effects.reply(
                        reply,
                        Reply::Rejected(Rejection::new(RejectionKind::Conflict, message)),
                    );
                    return;
                }
                None => {}
            }
        }
        patch.resume = false;
        patch_and_answer(
            &mut self.orders,
            id,
            "product order",
            patch,
            reply,
            Subject::ProductOrder(id),
            Reply::ProductOrder,
            now,
            effects,
        );
    }

    fn delete(&mut self, reply: ReplyToken, id: ProductOrderId, now: Time, effects: &mut Effects) {
        delete_and_answer(
            &mut self.orders,
            id,
            "product order",
            reply,
            Subject::ProductOrder(id),
            now,
            effects,
        );
    }
}
