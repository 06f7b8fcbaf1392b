//! Tests of the network layer: each outcome kind, idempotence, outages, stats and invariants.

use std::net::Ipv4Addr;

use proptest::prelude::*;
use rand::SeedableRng;

use super::*;
use crate::config::{DslamConfig, OltConfig, RegionConfig};
use crate::domain::ids::OperationId;
use crate::layers::{Effect, Observation};
use crate::network::RegionId;
use crate::network::profile::Latency;

const NORTH: RegionId = RegionId(0);
const OLT: ElementId = ElementId(0);
const DSLAM: ElementId = ElementId(1);

/// One region: an OLT of `pon_ports` × `onus`, a DSLAM of 4 ports, a /29 (6 addresses),
/// 5 phone numbers and 5 multicast members.
fn small_network(pon_ports: u16, onus: u16) -> NetworkConfig {
    NetworkConfig {
        regions: vec![RegionConfig {
            name: "north".into(),
            ipv4_cidr: "192.168.0.0/29".into(),
            phone_first: 1_000,
            phone_count: 5,
            multicast_vlan: 4_000,
            multicast_members_max: 5,
            olts: vec![OltConfig {
                name: "olt-north-1".into(),
                pon_ports,
                onus_per_port: onus,
                s_vlan_first: 100,
            }],
            dslams: vec![DslamConfig {
                name: "dslam-north-1".into(),
                ports: 4,
            }],
        }],
    }
}

fn profiles(profile: OperationProfile) -> ProfilesConfig {
    ProfilesConfig {
        default: profile,
        ..ProfilesConfig::default()
    }
}

fn fixed(ms: f64) -> OperationProfile {
    OperationProfile {
        latency: Latency::Fixed { ms },
        ..OperationProfile::default()
    }
}

fn layer_with(profile: OperationProfile) -> NetworkLayer {
    NetworkLayer::new(&small_network(2, 2), &profiles(profile)).expect("valid network")
}

struct Harness {
    layer: NetworkLayer,
    rng: SimRng,
    next: u64,
    /// What the layer reported for the latency histograms, apart from the other effects.
    observed: Vec<Observation>,
}

impl Harness {
    fn new(layer: NetworkLayer) -> Harness {
        Harness {
            layer,
            rng: SimRng::seed_from_u64(11),
            next: 0,
            observed: Vec::new(),
        }
    }

    /// Sends `operation` at `now` and returns the effects, its observations kept apart in
    /// `observed`.
    fn call_at(
        &mut self,
        now: Time,
        reply_to: LayerId,
        operation: ElementOperation,
    ) -> Vec<Effect> {
        self.next += 1;
        let mut effects = Effects::default();
        let request = ElementRequest {
            operation_id: OperationId(self.next),
            reply_to,
            operation,
        };
        self.layer.handle(
            NetworkInput::Request(request),
            now,
            &mut self.rng,
            &mut effects,
        );
        let (observed, others): (Vec<_>, Vec<_>) = effects
            .list
            .into_iter()
            .partition(|effect| matches!(effect, Effect::Observe(_)));
        self.observed
            .extend(observed.into_iter().filter_map(|effect| match effect {
                Effect::Observe(observation) => Some(observation),
                _ => None,
            }));
        others
    }

    /// Sends `operation` at time zero and returns the single reply's time and result.
    fn call(
        &mut self,
        operation: ElementOperation,
    ) -> (Time, Result<ElementOutcome, ElementError>) {
        let effects = self.call_at(Time::ZERO, LayerId::Rom, operation);
        assert_eq!(effects.len(), 1, "expected one reply, got {effects:?}");
        rom_reply(effects.into_iter().next().expect("one effect"))
    }

    fn allocate(
        &mut self,
        allocation: u64,
        request: AllocationRequest,
    ) -> Result<ResourceValue, ElementError> {
        match self.call(allocate(allocation, request)).1? {
            ElementOutcome::Allocated(value) => Ok(value),
            other => panic!("allocate answered {other:?}"),
        }
    }

    fn error_kind(&mut self, operation: ElementOperation) -> ElementErrorKind {
        self.call(operation).1.expect_err("an error reply").kind
    }
}

fn rom_reply(effect: Effect) -> (Time, Result<ElementOutcome, ElementError>) {
    match effect {
        Effect::Send {
            at,
            message: Message::Rom(RomInput::Element(reply)),
        } => (at, reply.result),
        other => panic!("not a reply to ROM: {other:?}"),
    }
}

fn allocate(allocation: u64, request: AllocationRequest) -> ElementOperation {
    ElementOperation::Allocate {
        allocation: AllocationId(allocation),
        request,
    }
}

fn release(allocation: u64) -> ElementOperation {
    ElementOperation::Release {
        allocation: AllocationId(allocation),
    }
}

const ONU: AllocationRequest = AllocationRequest::OnuSlot {
    region: NORTH,
    olt: None,
};

#[test]
fn success_is_applied_and_answered_after_the_latency() {
    let mut harness = Harness::new(layer_with(fixed(5.0)));
    let now = Time::from_millis(100);
    let effects = harness.call_at(now, LayerId::Rom, allocate(1, ONU));
    let (at, result) = rom_reply(effects.into_iter().next().expect("a reply"));
    assert_eq!(at, Time::from_millis(105));
    let expected = ResourceValue::OnuSlot {
        olt: OLT,
        pon_port: 0,
        onu: 0,
    };
    assert_eq!(result, Ok(ElementOutcome::Allocated(expected)));
    assert_eq!(harness.layer.held(AllocationId(1)), Some(expected));
}

#[test]
fn replies_go_to_the_activation_layer_when_it_asked() {
    let mut harness = Harness::new(layer_with(fixed(0.0)));
    let operation = ElementOperation::Configure {
        element: OLT,
        service: ActivationId(1),
    };
    let effects = harness.call_at(Time::ZERO, LayerId::Activation, operation);
    assert!(matches!(
        effects.as_slice(),
        [Effect::Send {
            message: Message::Activation(ActivationInput::Element(ElementReply {
                result: Ok(ElementOutcome::Configured),
                ..
            })),
            ..
        }]
    ));
}

#[test]
fn answered_calls_are_observed_with_the_delay_applied_and_unanswered_ones_are_not() {
    let mut harness = Harness::new(layer_with(fixed(3.0)));
    let (at, _) = harness.call(allocate(1, ONU));
    assert_eq!(at, Time::from_millis(3));
    harness.layer.set_element_down(OLT, true);
    let configure = ElementOperation::Configure {
        element: OLT,
        service: ActivationId(1),
    };
    let (at, result) = harness.call(configure);
    assert_eq!(
        result.expect_err("down").kind,
        ElementErrorKind::ElementDown
    );
    assert_eq!(at, Time::ZERO.after(ELEMENT_DOWN_LATENCY));
    harness.layer.set_element_down(OLT, false);
    let lost = OperationProfile {
        timeout_probability: 1.0,
        ..fixed(3.0)
    };
    harness
        .layer
        .set_profile(OperationKind::Allocate, lost)
        .expect("valid profile");
    assert!(
        harness
            .call_at(Time::ZERO, LayerId::Rom, allocate(3, ONU))
            .is_empty()
    );
    let observed = |kind, outcome, took| Observation::ElementOperation {
        kind,
        outcome,
        took,
    };
    assert_eq!(
        harness.observed,
        vec![
            observed(
                OperationKind::Allocate,
                OperationOutcome::Succeeded,
                Duration::from_millis(3)
            ),
            observed(
                OperationKind::Configure,
                OperationOutcome::ElementDown,
                ELEMENT_DOWN_LATENCY
            ),
        ]
    );
}

#[test]
fn failure_is_answered_and_not_applied() {
    let mut harness = Harness::new(layer_with(OperationProfile {
        failure_probability: 1.0,
        ..fixed(3.0)
    }));
    let (at, result) = harness.call(allocate(1, ONU));
    assert_eq!(at, Time::from_millis(3));
    assert_eq!(result.expect_err("failure").kind, ElementErrorKind::Failed);
    assert_eq!(harness.layer.allocations().count(), 0);
    assert!(
        harness
            .layer
            .pool_stats()
            .iter()
            .all(|pool| pool.allocated == 0)
    );
}

#[test]
fn black_hole_neither_applies_nor_answers() {
    let mut harness = Harness::new(layer_with(OperationProfile {
        timeout_probability: 1.0,
        ..fixed(3.0)
    }));
    assert!(
        harness
            .call_at(Time::ZERO, LayerId::Rom, allocate(1, ONU))
            .is_empty()
    );
    assert_eq!(harness.layer.allocations().count(), 0);
    let counts: Vec<_> = harness.layer.operation_counts().collect();
    assert_eq!(
        counts,
        vec![(OperationKind::Allocate, OperationOutcome::BlackHole, 1)]
    );
}

#[test]
fn lost_reply_is_applied_without_an_answer() {
    let mut harness = Harness::new(layer_with(OperationProfile {
        reply_lost_probability: 1.0,
        ..fixed(3.0)
    }));
    assert!(
        harness
            .call_at(Time::ZERO, LayerId::Rom, allocate(1, ONU))
            .is_empty()
    );
    assert!(harness.layer.held(AllocationId(1)).is_some());
    assert!(harness.layer.check_invariants().is_empty());
}

#[test]
fn exhaustion_is_a_typed_reply_even_when_the_draw_fails() {
    let mut harness = Harness::new(
        NetworkLayer::new(&small_network(1, 1), &profiles(fixed(0.0))).expect("valid network"),
    );
    harness.allocate(1, ONU).expect("one slot");
    assert_eq!(
        harness.error_kind(allocate(2, ONU)),
        ElementErrorKind::Exhausted
    );
    harness
        .layer
        .set_profile(
            OperationKind::Allocate,
            OperationProfile {
                failure_probability: 1.0,
                ..OperationProfile::default()
            },
        )
        .expect("valid profile");
    assert_eq!(
        harness.error_kind(allocate(3, ONU)),
        ElementErrorKind::Exhausted
    );
    let bad_region = AllocationRequest::Ipv4Address {
        region: RegionId(9),
    };
    assert_eq!(
        harness.error_kind(allocate(4, bad_region)),
        ElementErrorKind::InvalidRequest
    );
}

#[test]
fn invalid_request_wins_over_the_failure_draw() {
    let mut harness = Harness::new(layer_with(OperationProfile {
        failure_probability: 1.0,
        ..fixed(0.0)
    }));
    let bad_port = AllocationRequest::VlanPair {
        olt: OLT,
        pon_port: 9,
    };
    assert_eq!(
        harness.error_kind(allocate(1, bad_port)),
        ElementErrorKind::InvalidRequest
    );
    assert_eq!(
        harness.error_kind(allocate(2, ONU)),
        ElementErrorKind::Failed
    );
}

#[test]
fn same_seed_gives_the_same_replies() {
    let run = || {
        let mut harness = Harness::new(layer_with(OperationProfile {
            latency: Latency::Exponential { mean_ms: 10.0 },
            failure_probability: 0.2,
            timeout_probability: 0.1,
            reply_lost_probability: 0.1,
            tail: None,
        }));
        let mut log = Vec::new();
        for allocation in 0..40 {
            let operation = if allocation % 3 == 2 {
                release(allocation - 1)
            } else {
                allocate(allocation, ONU)
            };
            let effects = harness.call_at(Time::ZERO, LayerId::Rom, operation);
            log.push(effects.into_iter().map(rom_reply).collect::<Vec<_>>());
        }
        (
            log,
            harness
                .layer
                .allocations()
                .map(|(a, v)| (*a, *v))
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(run(), run());
}

#[test]
fn allocate_and_release_are_idempotent() {
    let mut harness = Harness::new(layer_with(fixed(0.0)));
    let ip = AllocationRequest::Ipv4Address { region: NORTH };
    let first = harness.allocate(7, ip.clone()).expect("free address");
    assert_eq!(
        first,
        ResourceValue::Ipv4Address {
            region: NORTH,
            address: Ipv4Addr::new(192, 168, 0, 1)
        }
    );
    assert_eq!(harness.allocate(7, ip.clone()), Ok(first));
    assert_eq!(harness.layer.allocations().count(), 1);
    // The same allocation id cannot be reused for another kind of resource.
    assert_eq!(
        harness.error_kind(allocate(7, ONU)),
        ElementErrorKind::InvalidRequest
    );
    for _ in 0..2 {
        assert_eq!(harness.call(release(7)).1, Ok(ElementOutcome::Released));
    }
    assert_eq!(harness.call(release(99)).1, Ok(ElementOutcome::Released));
    assert_eq!(harness.layer.allocations().count(), 0);
    assert!(harness.layer.check_invariants().is_empty());
}

#[test]
fn vlan_pair_uses_the_onu_port_s_vlan_and_unique_c_vlans() {
    let mut harness = Harness::new(layer_with(fixed(0.0)));
    let named = AllocationRequest::OnuSlot {
        region: NORTH,
        olt: Some(OLT),
    };
    let mut ports = Vec::new();
    for allocation in 1..=3 {
        match harness.allocate(allocation, named.clone()) {
            Ok(ResourceValue::OnuSlot { pon_port, .. }) => ports.push(pon_port),
            other => panic!("{other:?}"),
        }
    }
    // Two slots per port: the third ONU goes to port 1.
    assert_eq!(ports, vec![0, 0, 1]);
    let pair = |pon_port| AllocationRequest::VlanPair { olt: OLT, pon_port };
    let a = harness.allocate(10, pair(1)).expect("free C-VLAN");
    let b = harness.allocate(11, pair(1)).expect("free C-VLAN");
    assert_eq!(
        a,
        ResourceValue::VlanPair {
            olt: OLT,
            pon_port: 1,
            s_vlan: 101,
            c_vlan: 1
        }
    );
    assert!(matches!(
        b,
        ResourceValue::VlanPair {
            s_vlan: 101,
            c_vlan: 2,
            ..
        }
    ));
    assert_eq!(
        harness.error_kind(allocate(12, pair(2))),
        ElementErrorKind::InvalidRequest
    );
}

#[test]
fn other_pools_hand_out_their_values() {
    let mut harness = Harness::new(layer_with(fixed(0.0)));
    let phone = harness.allocate(1, AllocationRequest::PhoneNumber { region: NORTH });
    assert_eq!(
        phone,
        Ok(ResourceValue::PhoneNumber {
            region: NORTH,
            number: 1_000
        })
    );
    let member = harness.allocate(2, AllocationRequest::MulticastVlan { region: NORTH });
    assert_eq!(
        member,
        Ok(ResourceValue::MulticastVlan {
            region: NORTH,
            vlan: 4_000,
            member: 0
        })
    );
    let port = harness.allocate(3, AllocationRequest::DslamPort { region: NORTH });
    assert_eq!(
        port,
        Ok(ResourceValue::DslamPort {
            dslam: DSLAM,
            port: 0
        })
    );
    // A /29 has 6 hosts.
    for allocation in 10..16 {
        harness
            .allocate(allocation, AllocationRequest::Ipv4Address { region: NORTH })
            .expect("free address");
    }
    let ip = AllocationRequest::Ipv4Address { region: NORTH };
    assert_eq!(
        harness.error_kind(allocate(16, ip)),
        ElementErrorKind::Exhausted
    );
    assert!(harness.layer.check_invariants().is_empty());
}

#[test]
fn services_are_configured_activated_and_deactivated_idempotently() {
    let mut harness = Harness::new(layer_with(fixed(0.0)));
    let service = ActivationId(5);
    let configure = ElementOperation::Configure {
        element: OLT,
        service,
    };
    let activate = ElementOperation::Activate {
        element: OLT,
        service,
    };
    let deactivate = ElementOperation::Deactivate {
        element: OLT,
        service,
    };
    assert_eq!(
        harness.error_kind(activate.clone()),
        ElementErrorKind::InvalidRequest
    );
    for _ in 0..2 {
        assert_eq!(
            harness.call(configure.clone()).1,
            Ok(ElementOutcome::Configured)
        );
        assert_eq!(
            harness.call(activate.clone()).1,
            Ok(ElementOutcome::Activated)
        );
    }
    let services = harness.layer.element_services(OLT).expect("known element");
    assert!(services.configured.contains(&service) && services.active.contains(&service));
    for _ in 0..2 {
        assert_eq!(
            harness.call(deactivate.clone()).1,
            Ok(ElementOutcome::Deactivated)
        );
    }
    assert_eq!(
        harness.layer.element_services(OLT),
        Some(&ElementServices::default())
    );
    let unknown = ElementOperation::Configure {
        element: ElementId(42),
        service,
    };
    assert_eq!(
        harness.error_kind(unknown),
        ElementErrorKind::InvalidRequest
    );
}

#[test]
fn a_down_element_fails_fast_until_it_is_back() {
    let mut harness = Harness::new(layer_with(fixed(50.0)));
    let held = harness.allocate(1, ONU).expect("free slot");
    assert!(harness.layer.set_element_down(OLT, true));
    assert!(!harness.layer.set_element_down(ElementId(42), true));
    let (at, result) = harness.call(release(1));
    assert_eq!(at, Time::ZERO.after(ELEMENT_DOWN_LATENCY));
    assert_eq!(
        result.expect_err("down").kind,
        ElementErrorKind::ElementDown
    );
    assert_eq!(harness.layer.held(AllocationId(1)), Some(held));
    // Unnamed OLT: the only OLT with room is down.
    assert_eq!(
        harness.error_kind(allocate(2, ONU)),
        ElementErrorKind::ElementDown
    );
    let configure = ElementOperation::Configure {
        element: OLT,
        service: ActivationId(1),
    };
    assert_eq!(harness.error_kind(configure), ElementErrorKind::ElementDown);
    // Region pools are not on an element.
    let ip = AllocationRequest::Ipv4Address { region: NORTH };
    assert!(harness.allocate(3, ip).is_ok());
    harness.layer.set_element_down(OLT, false);
    assert_eq!(harness.call(release(1)).1, Ok(ElementOutcome::Released));
}

#[test]
fn pool_stats_name_and_count_every_pool() {
    let mut harness = Harness::new(layer_with(fixed(0.0)));
    harness.allocate(1, ONU).expect("free slot");
    let stats = harness.layer.pool_stats();
    let names: Vec<&str> = stats.iter().map(|pool| pool.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "olt-north-1/pon-0/onu",
            "olt-north-1/pon-0/cvlan",
            "olt-north-1/pon-1/onu",
            "olt-north-1/pon-1/cvlan",
            "dslam-north-1/port",
            "north/ipv4",
            "north/multicast",
            "north/phone",
        ]
    );
    assert_eq!(
        (stats[0].capacity, stats[0].allocated, stats[0].free),
        (2, 1, 1)
    );
    assert_eq!(stats[1].capacity, 4_094);
    let summary = harness.layer.pool_summary();
    let onu = summary
        .iter()
        .find(|pool| pool.name == "olt-north-1/onu")
        .expect("ONU summary");
    assert_eq!((onu.capacity, onu.allocated, onu.free), (4, 1, 3));
    let cvlan = summary
        .iter()
        .find(|pool| pool.name == "olt-north-1/cvlan")
        .expect("C-VLAN summary");
    assert_eq!(cvlan.capacity, 2 * 4_094);
    assert_eq!(summary.len(), 6);
}

#[test]
fn invalid_configuration_is_refused() {
    let bad_profile = ProfilesConfig {
        configure: Some(OperationProfile {
            timeout_probability: 2.0,
            ..OperationProfile::default()
        }),
        ..ProfilesConfig::default()
    };
    assert!(matches!(
        NetworkLayer::new(&small_network(1, 1), &bad_profile),
        Err(NetworkConfigError::Profile {
            kind: OperationKind::Configure,
            ..
        })
    ));
    assert!(matches!(
        NetworkLayer::new(&small_network(0, 1), &ProfilesConfig::default()),
        Err(NetworkConfigError::Topology(_))
    ));
}

fn request_strategy() -> impl Strategy<Value = AllocationRequest> {
    prop_oneof![
        Just(ONU),
        Just(AllocationRequest::OnuSlot {
            region: NORTH,
            olt: Some(OLT)
        }),
        (0_u16..3).prop_map(|pon_port| AllocationRequest::VlanPair { olt: OLT, pon_port }),
        Just(AllocationRequest::Ipv4Address { region: NORTH }),
        Just(AllocationRequest::DslamPort { region: NORTH }),
        Just(AllocationRequest::MulticastVlan { region: NORTH }),
        Just(AllocationRequest::PhoneNumber { region: NORTH }),
    ]
}

proptest! {
    #[test]
    fn random_allocations_never_double_allocate_and_conserve_capacity(
        steps in proptest::collection::vec(
            (any::<bool>(), 0_u64..24, request_strategy()),
            1..200,
        ),
    ) {
        let mut harness = Harness::new(layer_with(fixed(0.0)));
        let capacity: u64 = harness.layer.pool_stats().iter().map(|pool| pool.capacity).sum();
        for (is_allocate, allocation, request) in steps {
            let operation = if is_allocate {
                allocate(allocation, request)
            } else {
                release(allocation)
            };
            let (_, result) = harness.call(operation);
            if let Err(error) = &result {
                prop_assert!(
                    matches!(error.kind, ElementErrorKind::Exhausted | ElementErrorKind::InvalidRequest),
                    "{:?}", error
                );
            }
            let violations = harness.layer.check_invariants();
            prop_assert!(violations.is_empty(), "{:?}", violations);
            let stats = harness.layer.pool_stats();
            let allocated: u64 = stats.iter().map(|pool| pool.allocated).sum();
            let free: u64 = stats.iter().map(|pool| pool.free).sum();
            prop_assert_eq!(allocated, harness.layer.allocations().count() as u64);
            prop_assert_eq!(allocated + free, capacity);
            let mut values: Vec<_> = harness.layer.allocations().map(|(_, value)| *value).collect();
            values.sort();
            let before = values.len();
            values.dedup();
            prop_assert_eq!(before, values.len());
        }
    }
}
