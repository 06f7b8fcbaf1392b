//! Reconciliation after a restart without state (issue 11).
//!
//! An activation layer that lost its store no longer knows the services its lost orders
//! configured on elements; nobody would ever deactivate them. On
//! [`ActivationInput::Reconcile`](super::ActivationInput::Reconcile) it notes its next number
//! (every service it names from then on is its own), asks the network for every service
//! configured on an element and ROM, the requester of every TMF640 service, which services
//! back its live (TMF639 `available`) resources. ROM's answer comes first: each former
//! service it names is known again (an `active` service with what ROM told of it, on the
//! element its resources name, so a later cease deactivates it and a speed change
//! reconfigures it), and the changes to former services held until then are taken up. The
//! network is asked an element timeout later (a configure the former life had in flight has
//! landed by then); every former configuration it lists that no service known again owns is
//! deactivated. Services numbered from the restart on are never touched.

use super::{ActivationInput, ActivationLayer, ActivationService, ServiceHistory};
use crate::domain::ids::{ActivationId, OperationId};
use crate::domain::state::ServiceState;
use crate::domain::time::Time;
use crate::layers::common::Characteristics;
use crate::layers::rom::reconcile::ActiveService;
use crate::layers::rom::{Rfs, RomInput};
use crate::layers::{Effects, LayerId, Message, Rejection, RejectionKind, Reply};
use crate::network::{ElementId, ElementOperation, ElementRequest, NetworkInput, ResourceValue};

/// A reconciliation waiting for its answers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reconciliation {
    /// The next number when it began: services numbered from here on are the new store's.
    pub cutoff: u64,
    /// The services configured on elements, once the network answered.
    pub configured: Option<Vec<(ElementId, ActivationId)>>,
    /// Whether ROM answered and the former services in service are known again.
    pub adopted: bool,
}

impl ActivationLayer {
    /// Every `active` service with its resources, for a reconciling ROM.
    pub(super) fn active_services(&self) -> Vec<ActiveService> {
        let active = self.services.values();
        let active = active.filter(|service| service.state == ServiceState::Active);
        active
            .map(|service| ActiveService {
                id: service.id,
                parent: service.parent,
                rfs: Rfs {
                    id: service.service,
                    specification: service.service_specification.clone(),
                },
                resources: (service.supporting_resources.iter().copied())
                    .zip(service.resources.iter().copied())
                    .collect(),
            })
            .collect()
    }

    /// Begins a reconciliation: asks ROM, and the network once an element timeout has passed
    /// (a configure the former life had in flight has landed or timed out by then, so it is
    /// listed and not left behind).
    pub(super) fn reconcile(&mut self, now: Time, effects: &mut Effects) {
        self.reconciliation = Some(Reconciliation {
            cutoff: self.next_number,
            ..Reconciliation::default()
        });
        let reply_to = LayerId::Activation;
        effects.send_at(
            now.after(self.element_timeout),
            Message::Network(NetworkInput::ListServices { reply_to }),
        );
        effects.send(now, Message::Rom(RomInput::ListActivations));
    }

    /// The network or ROM answered. ROM's answer is enough to know again the former services
    /// in service (their element follows from their resources, as at create), so the changes
    /// held for them are taken up at once; the network's, which comes an element timeout
    /// later, tells which former configurations to deactivate.
    pub(super) fn reconcile_answer(
        &mut self,
        input: ActivationInput,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(reconciliation) = self.reconciliation.as_mut() else {
            return;
        };
        let cutoff = reconciliation.cutoff;
        match input {
            ActivationInput::ElementServices(configured) => {
                reconciliation.configured = Some(configured)
            }
            ActivationInput::OwnedByRom(owned) if !reconciliation.adopted => {
                reconciliation.adopted = true;
                for known in owned {
                    if known.id.0 < cutoff && !self.services.contains_key(&known.id) {
                        self.adopt(known, now);
                    }
                }
                self.take_up_deferred(now, effects);
            }
            _ => return,
        }
        let Some(Reconciliation {
            configured: Some(configured),
            ..
        }) = self
            .reconciliation
            .take_if(|r| r.adopted && r.configured.is_some())
        else {
            return;
        };
        for (element, service) in configured {
            if service.0 < cutoff {
                self.reconcile_configuration(element, service, now, effects);
            }
        }
    }

    /// A former service configured on `element`: deactivated unless it is known again and in
    /// service (one known again without an element learns it here).
    fn reconcile_configuration(
        &mut self,
        element: ElementId,
        service: ActivationId,
        now: Time,
        effects: &mut Effects,
    ) {
        match self.services.get_mut(&service) {
            Some(known) if known.state != ServiceState::Terminated => {
                known.element.get_or_insert(element);
            }
            Some(known) if known.element.is_some() => {} // its own deactivation ran
            _ => self.deactivate_orphan(element, service, now, effects),
        }
    }

    /// Whether `input` changes a service of a former life before ROM has said which of
    /// them are in service: it may be known again then (a cease of a product from before a
    /// crash).
    pub(super) fn waits_for_reconciliation(&self, input: &ActivationInput) -> bool {
        let Some(reconciliation) = self.reconciliation.as_ref().filter(|r| !r.adopted) else {
            return false;
        };
        let id = match input {
            ActivationInput::Terminate(id)
            | ActivationInput::Restore(id)
            | ActivationInput::Reconfigure { id, .. }
            | ActivationInput::Patch { id, .. } => *id,
            _ => return false,
        };
        id.0 < reconciliation.cutoff && !self.services.contains_key(&id)
    }

    /// Holds `input` until ROM has answered (see [`Self::waits_for_reconciliation`]); over
    /// `limits.open_orders_max` held, a caller that waits is told to retry later and a
    /// report-driven change is dropped.
    pub(super) fn defer(&mut self, input: ActivationInput, effects: &mut Effects) {
        if self.deferred.len() < self.direct_max {
            self.deferred.push(input);
        } else if let ActivationInput::Patch { reply, .. } = input {
            let busy = "activation is reconciling after a restart; retry later";
            let rejection = Rejection::new(RejectionKind::LimitExceeded, busy);
            effects.reply(reply, Reply::Rejected(rejection));
        }
    }

    /// Knows a former service in service again: `active`, on the element its resources name
    /// (as at create), as ROM told of it.
    fn adopt(&mut self, known: ActiveService, now: Time) {
        let (supporting_resources, resources): (Vec<_>, Vec<ResourceValue>) =
            known.resources.into_iter().unzip();
        let element = resources.iter().find_map(ResourceValue::element);
        let service = ActivationService {
            id: known.id,
            parent: known.parent,
            service: known.rfs.id,
            service_specification: known.rfs.specification,
            name: None,
            state: ServiceState::Active,
            history: ServiceHistory::starting(ServiceState::Active, now),
            element,
            resources,
            supporting_resources,
            characteristics: Characteristics::default(),
            previous: None,
            restoring: false,
            operation: None,
            error: None,
            created: now,
        };
        if service.parent.is_none() {
            // No requester: counted as a direct client's, as its termination will be.
            self.direct += 1;
        }
        self.services.insert(known.id, Box::new(service));
    }

    /// Applies the changes held for the reconciliation (an unknown service is then a 404).
    pub(super) fn take_up_deferred(&mut self, now: Time, effects: &mut Effects) {
        for change in std::mem::take(&mut self.deferred) {
            self.change(change, now, effects);
        }
    }

    /// Deactivates a service no store knows (idempotent on the element). Its reply, naming
    /// an operation the layer does not track, is ignored.
    fn deactivate_orphan(
        &mut self,
        element: ElementId,
        service: ActivationId,
        now: Time,
        effects: &mut Effects,
    ) {
        let operation_id = OperationId(self.next_number);
        self.next_number += 1;
        let request = ElementRequest {
            operation_id,
            reply_to: LayerId::Activation,
            operation: ElementOperation::Deactivate { element, service },
        };
        effects.send(now, Message::Network(NetworkInput::Request(request)));
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::config::SimConfig;

    fn handle(layer: &mut ActivationLayer, input: ActivationInput) -> Vec<Message> {
        crate::layers::sent_at_zero(layer, input)
    }

    fn deactivated(messages: &[Message]) -> Vec<(ElementId, ActivationId)> {
        let requests = messages.iter().filter_map(|message| match message {
            Message::Network(NetworkInput::Request(request)) => Some(&request.operation),
            _ => None,
        });
        let deactivations = requests.filter_map(|operation| match operation {
            ElementOperation::Deactivate { element, service } => Some((*element, *service)),
            _ => None,
        });
        deactivations.collect()
    }

    #[test]
    fn a_restarted_layer_deactivates_what_nobody_owns_and_knows_the_rest_again() {
        let config = SimConfig::default();
        let mut layer = ActivationLayer::new(&config.chain, &config.limits);
        layer.next_number = 10;
        let asked = handle(&mut layer, ActivationInput::Reconcile);
        assert_eq!(asked.len(), 2, "asks the network and ROM: {asked:?}");
        let (e0, e1) = (ElementId(0), ElementId(1));
        let rfs = Rfs {
            id: Some(crate::domain::ids::ServiceId(7)),
            specification: "gpon-access".into(),
        };
        let onu = ResourceValue::OnuSlot {
            olt: e0,
            pon_port: 0,
            onu: 1,
        };
        let phone = ResourceValue::PhoneNumber {
            region: crate::network::RegionId(0),
            number: 5_550_100,
        };
        let in_service = |id, resource, value| ActiveService {
            id: ActivationId(id),
            parent: Some(crate::domain::ids::ResourceOrderId(2)),
            rfs: rfs.clone(),
            resources: vec![(crate::domain::ids::ResourceId(resource), value)],
        };
        // A cease of A4 arrives before ROM answered: it waits for it.
        let early = handle(&mut layer, ActivationInput::Terminate(ActivationId(4)));
        assert!(early.is_empty(), "waits: {early:?}");
        // ROM has A4 (on an ONU of e0) and A5 (a phone number, no element) in service.
        let owned = vec![in_service(4, 9, onu), in_service(5, 10, phone)];
        let adopted = handle(&mut layer, ActivationInput::OwnedByRom(owned));
        // A4 is known again on e0, and the held cease deactivates it there at once.
        assert_eq!(deactivated(&adopted), vec![(e0, ActivationId(4))]);
        let a5 = layer
            .services
            .get(&ActivationId(5))
            .expect("A5 known again");
        assert_eq!(a5.state, ServiceState::Active);
        assert_eq!(a5.element, None);
        assert_eq!(a5.service_specification, rfs.specification);
        assert_eq!(a5.resources, vec![phone]);

        // The network answers later. A3: lost in flight; A4: deactivating already; A5: also
        // configured on e1, so it learns its element; A12: created after the restart.
        let configured = vec![
            (e0, ActivationId(3)),
            (e0, ActivationId(4)),
            (e1, ActivationId(5)),
            (e1, ActivationId(12)),
        ];
        let released = handle(&mut layer, ActivationInput::ElementServices(configured));
        assert_eq!(deactivated(&released), vec![(e0, ActivationId(3))]);
        assert!(layer.reconciliation.is_none(), "the reconciliation is over");
        assert_eq!(layer.services[&ActivationId(5)].element, Some(e1));
    }

    #[test]
    fn an_unanswered_question_ends_the_reconciliation_without_a_change() {
        let config = SimConfig::default();
        let mut layer = ActivationLayer::new(&config.chain, &config.limits);
        layer.next_number = 10;
        handle(&mut layer, ActivationInput::Reconcile);
        let configured = vec![(ElementId(0), ActivationId(3))];
        handle(&mut layer, ActivationInput::ElementServices(configured));
        let held = handle(&mut layer, ActivationInput::Terminate(ActivationId(3)));
        assert!(held.is_empty(), "a former service's cease waits: {held:?}");
        assert_eq!(layer.deferred.len(), 1);
        // ROM could not be asked: A3 might be in service, so it is not deactivated; the
        // held cease is taken up and finds no such service.
        let ended = handle(&mut layer, ActivationInput::ReconcileUnanswered);
        assert!(deactivated(&ended).is_empty(), "{ended:?}");
        assert!(layer.reconciliation.is_none() && layer.deferred.is_empty());
    }
}
