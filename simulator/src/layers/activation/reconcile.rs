//! Reconciliation after a restart without state (issue 11).
//!
//! An activation layer that lost its store no longer knows the services its lost orders
//! configured on elements; nobody would ever deactivate them. On
//! [`ActivationInput::Reconcile`](super::ActivationInput::Reconcile) it notes its next number
//! (every service it names from then on is its own), asks the network for every service
//! configured on an element and ROM, the requester of every TMF640 service, which services
//! back its live (TMF639 `available`) resources. Once both answered it deactivates each
//! configured service that is still unowned: older than the restart, not in its (new) store
//! and not backing a live resource. Deciding only after both answers, against the store as it
//! is then, keeps services created meanwhile safe.

use std::collections::BTreeSet;

use super::{ActivationInput, ActivationLayer};
use crate::domain::ids::{ActivationId, OperationId};
use crate::domain::state::ServiceState;
use crate::domain::time::Time;
use crate::layers::rom::reconcile::ActiveService;
use crate::layers::rom::{Rfs, RomInput};
use crate::layers::{Effects, LayerId, Message};
use crate::network::{ElementId, ElementOperation, ElementRequest, NetworkInput};

/// A reconciliation waiting for its answers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reconciliation {
    /// The next number when it began: services numbered from here on are the new store's.
    pub cutoff: u64,
    /// The services configured on elements, once the network answered.
    pub configured: Option<Vec<(ElementId, ActivationId)>>,
    /// The services backing ROM's live resources, once ROM answered.
    pub owned: Option<Vec<ActivationId>>,
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

    /// Begins a reconciliation: asks the network and ROM.
    pub(super) fn reconcile(&mut self, now: Time, effects: &mut Effects) {
        self.reconciliation = Some(Reconciliation {
            cutoff: self.next_number,
            ..Reconciliation::default()
        });
        let reply_to = LayerId::Activation;
        effects.send(
            now,
            Message::Network(NetworkInput::ListServices { reply_to }),
        );
        effects.send(now, Message::Rom(RomInput::ListActivations));
    }

    /// The network or ROM answered: records it, and finishes once both did.
    pub(super) fn reconcile_answer(
        &mut self,
        input: ActivationInput,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(reconciliation) = self.reconciliation.as_mut() else {
            return;
        };
        match input {
            ActivationInput::ElementServices(configured) => {
                reconciliation.configured = Some(configured)
            }
            ActivationInput::OwnedByRom(owned) => reconciliation.owned = Some(owned),
            _ => return,
        }
        let ready = reconciliation.configured.is_some() && reconciliation.owned.is_some();
        let Some(Reconciliation {
            cutoff,
            configured: Some(configured),
            owned: Some(owned),
        }) = self.reconciliation.take_if(|_| ready)
        else {
            return;
        };
        let owned: BTreeSet<ActivationId> = owned.into_iter().collect();
        for (element, service) in configured {
            let mine = service.0 >= cutoff || self.services.contains_key(&service);
            if !mine && !owned.contains(&service) {
                self.deactivate_orphan(element, service, now, effects);
            }
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
    fn a_restarted_layer_deactivates_only_what_nobody_owns() {
        let config = SimConfig::default();
        let mut layer = ActivationLayer::new(&config.chain, &config.limits);
        layer.next_number = 10;
        let asked = handle(&mut layer, ActivationInput::Reconcile);
        assert_eq!(asked.len(), 2, "asks the network and ROM: {asked:?}");
        // A3: lost; A4: backs a live resource; A12: created after the restart.
        let (e0, e1) = (ElementId(0), ElementId(1));
        let configured = vec![
            (e0, ActivationId(3)),
            (e0, ActivationId(4)),
            (e1, ActivationId(12)),
        ];
        let first = handle(&mut layer, ActivationInput::ElementServices(configured));
        assert!(first.is_empty(), "waits for ROM too: {first:?}");
        let owned = ActivationInput::OwnedByRom(vec![ActivationId(4)]);
        let released = handle(&mut layer, owned);
        assert_eq!(deactivated(&released), vec![(e0, ActivationId(3))]);
        assert!(layer.reconciliation.is_none(), "the reconciliation is over");
    }
}
