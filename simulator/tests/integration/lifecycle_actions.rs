//! Each product lifecycle action in virtual time (modify as speed change, technology
//! migration and bundle change; delete; noChange), checking the product, service and resource
//! inventories, the layers' live views and pool occupancy; and modify/delete of products that
//! are unknown or busy, refused at create.

use simulator::domain::catalog::ResourceKind;
use simulator::domain::ids::ProductId;
use simulator::domain::state::{OrderState, ServiceState};
use simulator::layers::RejectionKind;
use simulator::layers::common::{Action, characteristic_text};
use simulator::layers::inventory::{ProductStatus, ResourceStatus};
use simulator::network::OperationKind;
use simulator::network::profile::OperationProfile;

use crate::lifecycle_support::*;

/// Allocated resources of `kind` on the network.
fn held(chain: &simulator::runtime::virtual_time::VirtualChain, kind: ResourceKind) -> usize {
    chain
        .layers
        .inventory
        .resources()
        .values()
        .filter(|record| record.kind == kind && record.status != ResourceStatus::Standby)
        .filter(|record| chain.layers.network.held(record.allocation).is_some())
        .count()
}

#[test]
fn speed_change_reconfigures_without_new_resources() {
    let mut chain = chain_with(|_| {});
    let product = product(&mut chain, "fibre-broadband");
    let allocations: Vec<_> = chain
        .layers
        .network
        .allocations()
        .map(|(id, _)| *id)
        .collect();
    let before = occupancy(&chain);
    let resource_orders = chain.layers.rom.orders().len();

    let speed = vec![characteristic("downstreamSpeedMbps", 500)];
    let order = run(
        &mut chain,
        vec![change(Action::Modify, "fibre-broadband", product, speed)],
    );

    assert_eq!(order.state, OrderState::Completed);
    assert_eq!(order.items[0].product, Some(product));
    assert_eq!(occupancy(&chain), before, "no pool changes");
    let after: Vec<_> = chain
        .layers
        .network
        .allocations()
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(after, allocations, "the same allocations, none new");
    let new_orders: Vec<_> = chain
        .layers
        .rom
        .orders()
        .values()
        .skip(resource_orders)
        .collect();
    assert_eq!(new_orders.len(), 1, "one modify resource order");
    assert!(
        new_orders[0]
            .items
            .iter()
            .all(|item| item.action == Action::Modify)
    );
    let live = &chain.layers.com.products()[&product];
    assert_eq!(
        characteristic_text(&live.characteristics, "downstreamSpeedMbps").as_deref(),
        Some("500")
    );
    let record = &chain.layers.inventory.products()[&product];
    assert_eq!(record.status, ProductStatus::Active);
    assert_eq!(
        characteristic_text(&record.characteristics, "downstreamSpeedMbps").as_deref(),
        Some("500"),
        "TMF637 shows the new speed"
    );
    let cfs = live.services[0].1;
    assert_eq!(
        characteristic_text(
            &chain.layers.som.services()[&cfs].characteristics,
            "downstreamSpeedMbps"
        )
        .as_deref(),
        Some("500"),
        "SOM's live CFS has the new speed"
    );
    let reconfigured = chain
        .layers
        .activation
        .services()
        .values()
        .filter(|service| {
            characteristic_text(&service.characteristics, "downstreamSpeedMbps").as_deref()
                == Some("500")
        });
    assert_eq!(reconfigured.count(), 2, "both RFS activations reconfigured");
    assert!(
        chain
            .layers
            .activation
            .services()
            .values()
            .all(|service| service.state == ServiceState::Active)
    );
    assert_audit_clean(&chain);
}

#[test]
fn migration_moves_the_product_from_dslam_to_olt() {
    let mut chain = chain_with(|_| {});
    let product = product(&mut chain, "dsl-broadband");
    assert_eq!(held(&chain, ResourceKind::DslamPort), 1);
    assert_eq!(held(&chain, ResourceKind::OnuSlot), 0);
    let old_cfs = chain.layers.com.products()[&product].services[0].1;
    let old_rfs = chain.layers.som.services()[&old_cfs]
        .supporting_services
        .clone();

    let order = run(
        &mut chain,
        vec![change(
            Action::Modify,
            "fibre-broadband",
            product,
            Vec::new(),
        )],
    );

    assert_eq!(order.state, OrderState::Completed);
    assert_eq!(
        order.items[0].product,
        Some(product),
        "the product keeps its id"
    );
    assert_eq!(
        held(&chain, ResourceKind::DslamPort),
        0,
        "DSLAM port released"
    );
    assert_eq!(held(&chain, ResourceKind::OnuSlot), 1, "ONU slot allocated");
    assert_eq!(
        held(&chain, ResourceKind::VlanPair),
        1,
        "VLAN pair allocated"
    );
    assert_eq!(
        held(&chain, ResourceKind::Ipv4Address),
        1,
        "one address, not two"
    );
    assert_eq!(chain.layers.network.allocations().count(), 3);
    let live = &chain.layers.com.products()[&product];
    assert_eq!(&*live.offering, "fibre-broadband");
    assert_eq!(live.services.len(), 1);
    assert_eq!(&*live.services[0].0, "internet-access");
    let record = &chain.layers.inventory.products()[&product];
    assert_eq!(&*record.offering, "fibre-broadband");
    assert_eq!(record.status, ProductStatus::Active);
    assert_eq!(
        chain.layers.inventory.services()[&old_cfs].state,
        ServiceState::Terminated,
        "the DSL CFS is retired in TMF638"
    );
    assert!(!chain.layers.som.services().contains_key(&old_cfs));
    for service in chain.layers.activation.services().values() {
        let expected = if service.service.is_some_and(|rfs| old_rfs.contains(&rfs)) {
            ServiceState::Terminated
        } else {
            ServiceState::Active
        };
        assert_eq!(
            service.state, expected,
            "{} of the old DSL product is deactivated; the fibre ones are active",
            service.service_specification
        );
    }
    assert_audit_clean(&chain);
}

#[test]
fn bundle_change_adds_iptv_beside_broadband() {
    let mut chain = chain_with(|_| {});
    let product = product(&mut chain, "fibre-broadband");
    let before = chain.layers.network.allocations().count();

    let add_on = vec![characteristic("addOn", "iptv")];
    let order = run(
        &mut chain,
        vec![change(Action::Modify, "fibre-broadband", product, add_on)],
    );

    assert_eq!(order.state, OrderState::Completed);
    assert_eq!(
        held(&chain, ResourceKind::MulticastVlan),
        1,
        "multicast membership"
    );
    assert_eq!(chain.layers.network.allocations().count(), before + 1);
    let live = &chain.layers.com.products()[&product];
    assert_eq!(live.services.len(), 2, "internet access and IPTV");
    assert_eq!(live.add_ons.len(), 1);
    assert!(
        characteristic_text(&live.characteristics, "addOn").is_none(),
        "addOn is an instruction, not a product characteristic"
    );
    assert_eq!(
        chain.layers.inventory.products()[&product].services.len(),
        2,
        "TMF637 lists both CFSs"
    );
    assert_eq!(
        refused(
            &mut chain,
            vec![change(
                Action::Modify,
                "fibre-broadband",
                product,
                vec![characteristic("addOn", "iptv")]
            )]
        )
        .kind,
        RejectionKind::Conflict,
        "a second IPTV is refused"
    );
    assert_audit_clean(&chain);
}

#[test]
fn delete_ceases_and_returns_pools_to_their_previous_occupancy() {
    for offering in ["fibre-broadband", "dsl-broadband", "voip"] {
        let mut chain = chain_with(|_| {});
        let empty = occupancy(&chain);
        let product = product(&mut chain, offering);
        let add_on = vec![characteristic("addOn", "iptv")];
        if offering == "fibre-broadband" {
            let order = run(
                &mut chain,
                vec![change(Action::Modify, offering, product, add_on)],
            );
            assert_eq!(order.state, OrderState::Completed);
        }
        assert_ne!(occupancy(&chain), empty);

        let order = run(
            &mut chain,
            vec![change(Action::Delete, offering, product, Vec::new())],
        );

        assert_eq!(order.state, OrderState::Completed, "{offering}");
        assert_eq!(occupancy(&chain), empty, "{offering}: pools as before");
        assert_eq!(chain.layers.network.allocations().count(), 0);
        assert!(!chain.layers.com.products().contains_key(&product));
        assert!(
            chain.layers.som.services().is_empty(),
            "{offering}: no live CFS"
        );
        assert!(
            chain.layers.rom.live().is_empty(),
            "{offering}: no live resource"
        );
        let record = &chain.layers.inventory.products()[&product];
        assert_eq!(record.status, ProductStatus::Terminated);
        assert!(record.termination.is_some());
        assert!(
            chain
                .layers
                .inventory
                .services()
                .values()
                .all(|service| service.state == ServiceState::Terminated),
            "{offering}: every CFS and RFS retired"
        );
        assert!(
            chain
                .layers
                .activation
                .services()
                .values()
                .all(|service| service.state == ServiceState::Terminated),
            "{offering}: every activation terminated"
        );
        assert_elements_idle(&chain);
        assert!(
            chain
                .layers
                .inventory
                .resources()
                .values()
                .all(|resource| resource.status == ResourceStatus::Standby)
        );
        assert_audit_clean(&chain);
        assert_eq!(
            refused(
                &mut chain,
                vec![change(Action::Delete, offering, product, Vec::new())]
            )
            .kind,
            RejectionKind::NotFound,
            "a ceased product cannot be deleted again"
        );
    }
}

#[test]
fn no_change_produces_no_downstream_work() {
    let mut chain = chain_with(|_| {});
    let product = product(&mut chain, "fibre-broadband");
    let (service_orders, resource_orders) = (
        chain.layers.som.orders().len(),
        chain.layers.rom.orders().len(),
    );
    let before = occupancy(&chain);

    let order = run(
        &mut chain,
        vec![change(
            Action::NoChange,
            "fibre-broadband",
            product,
            Vec::new(),
        )],
    );

    assert_eq!(order.state, OrderState::Completed);
    assert_eq!(order.service_order, None, "no service order");
    assert_eq!(chain.layers.som.orders().len(), service_orders);
    assert_eq!(chain.layers.rom.orders().len(), resource_orders);
    assert_eq!(occupancy(&chain), before);
    assert!(
        chain.layers.com.products()[&product].busy.is_none(),
        "product free again"
    );
    assert_audit_clean(&chain);
}

#[test]
fn no_change_beside_an_add_only_adds() {
    let mut chain = chain_with(|_| {});
    let product = product(&mut chain, "fibre-broadband");
    let mut context = change(Action::NoChange, "fibre-broadband", product, Vec::new());
    context.id = "2".to_string();
    let order = run(&mut chain, vec![add("1", "voip"), context]);
    assert_eq!(order.state, OrderState::Completed);
    let service_order = &chain.layers.som.orders()[&order.service_order.expect("service order")];
    assert_eq!(service_order.items.len(), 1, "only the VoIP CFS");
    assert_audit_clean(&chain);
}

#[test]
fn changes_of_unknown_or_busy_products_are_refused_at_create() {
    let mut chain = chain_with(|_| {});
    let ghost = ProductId(999);
    for action in [Action::Modify, Action::Delete] {
        let rejection = refused(
            &mut chain,
            vec![change(action, "fibre-broadband", ghost, Vec::new())],
        );
        assert_eq!(rejection.kind, RejectionKind::NotFound, "{action:?}");
    }
    let product = product(&mut chain, "fibre-broadband");
    let speed = vec![characteristic("downstreamSpeedMbps", 250)];
    let busy = place(
        &mut chain,
        vec![change(Action::Modify, "fibre-broadband", product, speed)],
    );
    for action in [Action::Modify, Action::Delete] {
        let rejection = refused(
            &mut chain,
            vec![change(action, "fibre-broadband", product, Vec::new())],
        );
        assert_eq!(
            rejection.kind,
            RejectionKind::Conflict,
            "{action:?} while busy"
        );
    }
    chain.run_until_idle();
    assert_eq!(
        chain.layers.com.orders()[&busy].state,
        OrderState::Completed
    );
    let speed = vec![characteristic("downstreamSpeedMbps", 100)];
    let again = run(
        &mut chain,
        vec![change(Action::Modify, "fibre-broadband", product, speed)],
    );
    assert_eq!(
        again.state,
        OrderState::Completed,
        "free once the change ended"
    );
    let rejection = refused(
        &mut chain,
        vec![change(
            Action::Modify,
            "no-such-offering",
            product,
            Vec::new(),
        )],
    );
    assert_eq!(rejection.kind, RejectionKind::InvalidRequest);
    assert_audit_clean(&chain);
}

/// Makes every `kind` call on the elements fail from now on.
fn break_operation(
    chain: &mut simulator::runtime::virtual_time::VirtualChain,
    kind: OperationKind,
) {
    let failing = OperationProfile {
        failure_probability: 1.0,
        ..OperationProfile::default()
    };
    chain
        .layers
        .network
        .set_profile(kind, failing)
        .expect("valid profile");
}

fn speeds(chain: &simulator::runtime::virtual_time::VirtualChain) -> Vec<(ServiceState, String)> {
    let speed = |service: &simulator::layers::activation::ActivationService| {
        characteristic_text(&service.characteristics, "downstreamSpeedMbps")
            .unwrap_or_default()
            .into_owned()
    };
    let services = chain.layers.activation.services().values();
    services
        .map(|service| (service.state, speed(service)))
        .collect()
}

#[test]
fn a_failed_speed_change_restores_the_old_configuration() {
    let mut chain = chain_with(|_| {});
    let product = product(&mut chain, "fibre-broadband");
    let before = speeds(&chain);
    assert!(
        before
            .iter()
            .all(|(state, _)| *state == ServiceState::Active)
    );
    let allocations: Vec<_> = chain
        .layers
        .network
        .allocations()
        .map(|(id, _)| *id)
        .collect();

    break_operation(&mut chain, OperationKind::Activate);
    let speed = vec![characteristic("downstreamSpeedMbps", 500)];
    let order = place(
        &mut chain,
        vec![change(Action::Modify, "fibre-broadband", product, speed)],
    );
    while !chain.layers.com.orders()[&order].state.is_terminal() {
        assert!(chain.step(), "the chain went idle before the order ended");
    }
    assert_eq!(chain.layers.com.orders()[&order].state, OrderState::Failed);

    // The element heals while the restore backs off: the old configuration goes back on.
    let healthy = OperationProfile::default();
    chain
        .layers
        .network
        .set_profile(OperationKind::Activate, healthy)
        .expect("valid");
    chain.run_until_idle();
    assert_eq!(
        speeds(&chain),
        before,
        "every RFS active again at its old speed"
    );
    let after: Vec<_> = chain
        .layers
        .network
        .allocations()
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(after, allocations, "nothing released");
    let record = &chain.layers.inventory.products()[&product];
    assert_eq!(record.status, ProductStatus::Active);
    assert_ne!(
        characteristic_text(&record.characteristics, "downstreamSpeedMbps").as_deref(),
        Some("500"),
        "TMF637 keeps the old speed"
    );
    assert_audit_clean(&chain);
}

#[test]
fn a_speed_change_that_cannot_be_undone_is_reported_by_the_audit() {
    let mut chain = chain_with(|_| {});
    let product = product(&mut chain, "fibre-broadband");
    break_operation(&mut chain, OperationKind::Activate);
    let speed = vec![characteristic("downstreamSpeedMbps", 500)];
    let order = run(
        &mut chain,
        vec![change(Action::Modify, "fibre-broadband", product, speed)],
    );
    assert_eq!(order.state, OrderState::Failed);
    let report = chain.audit();
    let count = |check: &str| {
        let finding = report.findings.iter().find(|f| f.check == check);
        finding.map_or(0, |f| f.count)
    };
    assert!(!report.ok);
    assert_eq!(count("compensation_failure"), 1, "{:#?}", report.findings);
    assert_eq!(count("service_not_on_element"), 1, "{:#?}", report.findings);
}
