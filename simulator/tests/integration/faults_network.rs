//! Each fault kind's effect on element operations, on the network layer alone: latency,
//! errors, black holes, lost replies, outages with reboot, pool pressure, operation filters,
//! windows, and the same draws for the same seed.

use std::time::Duration;

use rand::SeedableRng;
use simulator::config::{DslamConfig, NetworkConfig, OltConfig, ProfilesConfig, RegionConfig};
use simulator::domain::ids::{ActivationId, AllocationId, OperationId};
use simulator::domain::time::Time;
use simulator::layers::rom::RomInput;
use simulator::layers::{Effect, Effects, Layer, LayerId, Message, Reply, ReplyToken, SimRng};
use simulator::network::faults::{Fault, FaultKind, FaultState, operation_set};
use simulator::network::profile::{Latency, OperationProfile};
use simulator::network::{
    AllocationRequest, ElementErrorKind, ElementId, ElementOperation, ElementOutcome, ElementReply,
    ElementRequest, FaultAnswer, FaultCommand, FaultRefusal, NetworkInput, NetworkLayer,
    OperationKind, PutOutcome, RegionId, ResourceValue,
};

const NORTH: RegionId = RegionId(0);
const OLT_1: ElementId = ElementId(0);
const OLT_2: ElementId = ElementId(1);
const BASE_MS: u64 = 10;

/// One region, two OLTs of 2 PON ports × 2 ONUs, one DSLAM, a /29 (6 addresses).
fn network() -> NetworkLayer {
    let config = NetworkConfig {
        regions: vec![RegionConfig {
            name: "north".into(),
            ipv4_cidr: "192.168.0.0/29".into(),
            phone_first: 1_000,
            phone_count: 5,
            multicast_vlan: 4_000,
            multicast_members_max: 5,
            olts: ["olt-1", "olt-2"]
                .iter()
                .enumerate()
                .map(|(index, name)| OltConfig {
                    name: (*name).into(),
                    pon_ports: 2,
                    onus_per_port: 2,
                    s_vlan_first: 100 + 10 * index as u16,
                })
                .collect(),
            dslams: vec![DslamConfig {
                name: "dslam-1".into(),
                ports: 4,
            }],
        }],
    };
    let profiles = ProfilesConfig {
        default: OperationProfile {
            latency: Latency::Fixed { ms: BASE_MS as f64 },
            ..OperationProfile::default()
        },
        ..ProfilesConfig::default()
    };
    NetworkLayer::new(&config, &profiles).expect("valid network")
}

fn fault(name: &str, target: &str, kind: FaultKind) -> Fault {
    Fault {
        name: name.into(),
        target: target.parse().expect("target"),
        operations: operation_set(None).expect("all"),
        kind,
        starts_at: Time::ZERO,
        duration: None,
    }
}

struct Harness {
    network: NetworkLayer,
    rng: SimRng,
    next: u64,
}

impl Harness {
    fn new() -> Harness {
        Harness {
            network: network(),
            rng: SimRng::seed_from_u64(42),
            next: 0,
        }
    }

    /// Runs `operation` at `now`: the reply and when it is due, or `None` when none comes.
    fn call(&mut self, now: Time, operation: ElementOperation) -> Option<(Time, ElementReply)> {
        self.next += 1;
        let request = ElementRequest {
            operation_id: OperationId(self.next),
            reply_to: LayerId::Rom,
            operation,
        };
        let mut effects = Effects::default();
        self.network.handle(
            NetworkInput::Request(request),
            now,
            &mut self.rng,
            &mut effects,
        );
        let replies: Vec<_> = effects
            .drain()
            .filter_map(|effect| match effect {
                Effect::Send {
                    at,
                    message: Message::Rom(RomInput::Element(reply)),
                } => Some((at, reply)),
                _ => None,
            })
            .collect();
        assert!(replies.len() <= 1, "{replies:?}");
        replies.into_iter().next()
    }

    fn configure(
        &mut self,
        now: Time,
        element: ElementId,
        service: u64,
    ) -> Option<(Time, ElementReply)> {
        self.call(
            now,
            ElementOperation::Configure {
                element,
                service: ActivationId(service),
            },
        )
    }

    fn allocate(
        &mut self,
        now: Time,
        allocation: u64,
        request: AllocationRequest,
    ) -> Option<(Time, ElementReply)> {
        self.call(
            now,
            ElementOperation::Allocate {
                allocation: AllocationId(allocation),
                request,
            },
        )
    }

    fn put(&mut self, fault: Fault, now: Time) {
        self.network.put_fault(fault, now).expect("valid fault");
    }

    fn is_configured(&self, element: ElementId, service: u64) -> bool {
        self.network
            .element_services(element)
            .is_some_and(|s| s.configured.contains(&ActivationId(service)))
    }

    fn affected(&mut self, name: &str, now: Time) -> u64 {
        self.network
            .fault_status(name, now)
            .map_or(0, |status| status.calls_affected)
    }
}

fn onu(olt: Option<ElementId>) -> AllocationRequest {
    AllocationRequest::OnuSlot { region: NORTH, olt }
}

fn error_kind(reply: &(Time, ElementReply)) -> Option<ElementErrorKind> {
    reply.1.result.as_ref().err().map(|error| error.kind)
}

#[test]
fn latency_faults_add_scale_jitter_and_replace_the_distribution() {
    let mut h = Harness::new();
    let now = Time::from_millis(1_000);
    let (at, _) = h.configure(now, OLT_1, 1).expect("reply");
    assert_eq!(at.since(now), Duration::from_millis(BASE_MS));
    let latency = |added_ms, jitter_ms, factor, distribution| FaultKind::Latency {
        added_ms,
        jitter_ms,
        factor,
        distribution,
    };
    h.put(
        fault("slow", "olt:olt-1", latency(100.0, 0.0, 3.0, None)),
        now,
    );
    let (at, reply) = h.configure(now, OLT_1, 2).expect("reply");
    assert!(reply.result.is_ok());
    assert_eq!(at.since(now), Duration::from_millis(3 * BASE_MS + 100));
    let (at, _) = h.configure(now, OLT_2, 3).expect("other OLT");
    assert_eq!(
        at.since(now),
        Duration::from_millis(BASE_MS),
        "other OLT unaffected"
    );

    let replaced = Some(Latency::Fixed { ms: 42.0 });
    let outcome = h
        .network
        .put_fault(
            fault("slow", "olt:olt-1", latency(0.0, 20.0, 1.0, replaced)),
            now,
        )
        .unwrap();
    assert_eq!(outcome, PutOutcome::Replaced);
    for service in 10..30 {
        let (at, _) = h.configure(now, OLT_1, service).expect("reply");
        let ms = at.since(now).as_secs_f64() * 1_000.0;
        assert!((42.0..=62.0).contains(&ms), "{ms} ms");
    }
    assert_eq!(h.affected("slow", now), 20);
}

#[test]
fn an_error_fault_fails_without_applying_and_names_its_reason() {
    let mut h = Harness::new();
    let error = FaultKind::Error {
        probability: 1.0,
        reason: "ONU not responding".into(),
    };
    h.put(fault("err", "activation", error), Time::ZERO);
    let reply = h.configure(Time::ZERO, OLT_1, 1).expect("a failure reply");
    let failure = reply.1.result.clone().unwrap_err();
    assert_eq!(failure.kind, ElementErrorKind::Failed);
    assert_eq!(failure.message, "ONU not responding");
    assert!(!h.is_configured(OLT_1, 1), "not applied");
    let allocated = h.allocate(Time::ZERO, 1, onu(None)).expect("reply");
    assert!(
        allocated.1.result.is_ok(),
        "activation faults leave allocations alone"
    );
    assert_eq!(h.affected("err", Time::ZERO), 1);
}

#[test]
fn a_black_hole_neither_applies_nor_answers_and_a_lost_reply_applies() {
    let mut h = Harness::new();
    h.put(
        fault(
            "hole",
            "olt:olt-1",
            FaultKind::BlackHole { probability: 1.0 },
        ),
        Time::ZERO,
    );
    assert!(h.configure(Time::ZERO, OLT_1, 1).is_none());
    assert!(!h.is_configured(OLT_1, 1));
    h.network.remove_fault("hole", Time::ZERO).unwrap();
    h.put(
        fault(
            "lost",
            "olt:olt-1",
            FaultKind::ReplyLost { probability: 1.0 },
        ),
        Time::ZERO,
    );
    assert!(h.configure(Time::ZERO, OLT_1, 2).is_none());
    assert!(h.is_configured(OLT_1, 2), "applied though nobody heard");
    assert!(h.allocate(Time::ZERO, 7, onu(Some(OLT_1))).is_none());
    assert!(
        h.network.held(AllocationId(7)).is_some(),
        "a lost allocation reply still holds the slot"
    );
    assert!(h.network.check_invariants().is_empty());
}

#[test]
fn probabilistic_faults_draw_per_request_from_the_seed() {
    let run = || {
        let mut h = Harness::new();
        h.put(
            fault(
                "flaky",
                "all",
                FaultKind::Error {
                    probability: 0.3,
                    reason: "flaky".into(),
                },
            ),
            Time::ZERO,
        );
        (0..200)
            .map(|allocation| {
                let release = ElementOperation::Release {
                    allocation: AllocationId(allocation),
                };
                h.call(Time::ZERO, release).map(|r| r.1.result.is_ok())
            })
            .collect::<Vec<_>>()
    };
    let first = run();
    assert_eq!(first, run(), "same seed, same outcomes");
    let failed = first.iter().filter(|ok| **ok == Some(false)).count();
    assert!((40..=80).contains(&failed), "{failed} of 200 failed");
}

#[test]
fn an_outage_fails_fast_on_its_element_and_allocations_go_elsewhere() {
    let mut h = Harness::new();
    let mut outage = fault("down", "olt:olt-1", FaultKind::Outage { reboot_ms: 500 });
    outage.starts_at = Time::from_millis(100);
    outage.duration = Some(Duration::from_millis(1_000));
    h.put(outage, Time::ZERO);
    assert!(
        h.configure(Time::ZERO, OLT_1, 1).unwrap().1.result.is_ok(),
        "not yet"
    );

    let during = Time::from_millis(500);
    let refused = h.configure(during, OLT_1, 2).expect("fails fast");
    assert_eq!(error_kind(&refused), Some(ElementErrorKind::ElementDown));
    assert!(refused.0.since(during) < Duration::from_millis(BASE_MS));
    let named = h.allocate(during, 1, onu(Some(OLT_1))).unwrap();
    assert_eq!(error_kind(&named), Some(ElementErrorKind::ElementDown));
    let anywhere = h.allocate(during, 2, onu(None)).unwrap();
    assert!(
        matches!(
            anywhere.1.result,
            Ok(ElementOutcome::Allocated(ResourceValue::OnuSlot {
                olt: OLT_2,
                ..
            }))
        ),
        "{anywhere:?}"
    );
    assert!(h.configure(during, OLT_2, 3).unwrap().1.result.is_ok());

    let rebooting = Time::from_millis(1_300);
    assert_eq!(
        h.network.fault_status("down", rebooting).unwrap().state,
        FaultState::Rebooting
    );
    let refused = h.configure(rebooting, OLT_1, 4).unwrap();
    assert_eq!(error_kind(&refused), Some(ElementErrorKind::ElementDown));
    assert_eq!(h.affected("down", rebooting), 3);

    let back = Time::from_millis(1_600);
    assert!(
        h.configure(back, OLT_1, 5).unwrap().1.result.is_ok(),
        "rebooted"
    );
    assert!(
        h.network.fault_status("down", back).is_none(),
        "removed itself"
    );
}

#[test]
fn operation_filters_narrow_a_fault() {
    let mut h = Harness::new();
    let mut down = fault(
        "no-activate",
        "olt:olt-1",
        FaultKind::Outage { reboot_ms: 0 },
    );
    down.operations = [OperationKind::Activate].into_iter().collect();
    h.put(down, Time::ZERO);
    assert!(h.configure(Time::ZERO, OLT_1, 1).unwrap().1.result.is_ok());
    let activate = h
        .call(
            Time::ZERO,
            ElementOperation::Activate {
                element: OLT_1,
                service: ActivationId(1),
            },
        )
        .unwrap();
    assert_eq!(error_kind(&activate), Some(ElementErrorKind::ElementDown));
    assert!(
        !h.network.is_element_down(OLT_1),
        "only activations refused"
    );
}

#[test]
fn pool_pressure_exhausts_a_pool_and_is_undone_cleanly() {
    let mut h = Harness::new();
    let ipv4 = AllocationRequest::Ipv4Address { region: NORTH };
    assert!(
        h.allocate(Time::ZERO, 1, ipv4.clone())
            .unwrap()
            .1
            .result
            .is_ok()
    );
    let pressure = FaultKind::PoolPressure {
        shrink_by: None,
        free_left: Some(1),
    };
    h.put(fault("fill", "pool:north/ipv4", pressure), Time::ZERO);
    assert_eq!(
        h.network
            .fault_status("fill", Time::ZERO)
            .unwrap()
            .reserved_entries,
        4,
        "6 addresses, 1 allocated, 1 left"
    );
    assert!(
        h.network.check_invariants().is_empty(),
        "{:?}",
        h.network.check_invariants()
    );
    assert!(
        h.allocate(Time::ZERO, 2, ipv4.clone())
            .unwrap()
            .1
            .result
            .is_ok()
    );
    let refused = h.allocate(Time::ZERO, 3, ipv4.clone()).unwrap();
    assert_eq!(error_kind(&refused), Some(ElementErrorKind::Exhausted));
    assert_eq!(h.affected("fill", Time::ZERO), 1);
    assert_eq!(
        h.network.allocations().count(),
        2,
        "taken entries are not holdings"
    );

    h.network.remove_fault("fill", Time::ZERO).unwrap();
    assert!(h.network.check_invariants().is_empty());
    let pool = h
        .network
        .pool_summary()
        .into_iter()
        .find(|p| p.name == "north/ipv4")
        .unwrap();
    assert_eq!((pool.allocated, pool.free), (2, 4));
    assert!(h.allocate(Time::ZERO, 3, ipv4).unwrap().1.result.is_ok());
    for allocation in 1..=3 {
        h.call(
            Time::ZERO,
            ElementOperation::Release {
                allocation: AllocationId(allocation),
            },
        );
    }
    assert!(h.network.check_invariants().is_empty());
    assert_eq!(h.network.allocations().count(), 0);
}

#[test]
fn pool_pressure_on_an_olt_shrinks_each_port_and_ends_with_its_window() {
    let mut h = Harness::new();
    let mut shrink = fault(
        "shrink",
        "olt:olt-1",
        FaultKind::PoolPressure {
            shrink_by: Some(3),
            free_left: None,
        },
    );
    shrink.duration = Some(Duration::from_millis(100));
    h.put(shrink, Time::ZERO);
    let first = h.allocate(Time::ZERO, 1, onu(Some(OLT_1))).unwrap();
    assert!(first.1.result.is_ok(), "1 of 4 slots left");
    let refused = h.allocate(Time::ZERO, 2, onu(Some(OLT_1))).unwrap();
    assert_eq!(error_kind(&refused), Some(ElementErrorKind::Exhausted));
    assert!(h.network.check_invariants().is_empty());
    let later = Time::from_millis(100);
    let after = h.allocate(later, 2, onu(Some(OLT_1))).unwrap();
    assert!(
        after.1.result.is_ok(),
        "entries given back when the window ends"
    );
    assert!(h.network.check_invariants().is_empty());
}

#[test]
fn fault_commands_sent_as_messages_are_applied_in_order() {
    let mut h = Harness::new();
    let mut effects = Effects::default();
    let down = fault("down", "olt:olt-1", FaultKind::Outage { reboot_ms: 0 });
    h.network.handle(
        NetworkInput::Faults {
            command: FaultCommand::Put(Box::new(down)),
            reply_to: None,
        },
        Time::ZERO,
        &mut h.rng,
        &mut effects,
    );
    assert!(h.network.is_element_down(OLT_1));
    let bad = fault("bad", "olt:nope", FaultKind::Outage { reboot_ms: 0 });
    h.network.handle(
        NetworkInput::Faults {
            command: FaultCommand::Put(Box::new(bad)),
            reply_to: None,
        },
        Time::ZERO,
        &mut h.rng,
        &mut effects,
    );
    assert_eq!(h.network.fault_commands_refused(), 1);
    h.network.handle(
        NetworkInput::Faults {
            command: FaultCommand::Reset,
            reply_to: None,
        },
        Time::ZERO,
        &mut h.rng,
        &mut effects,
    );
    assert!(!h.network.is_element_down(OLT_1));
    assert!(effects.list.is_empty());
}

#[test]
fn fault_commands_with_a_reply_token_are_answered_with_a_typed_outcome() {
    let mut h = Harness::new();
    let mut effects = Effects::default();
    let mut send = |h: &mut Harness, command: FaultCommand, token: u64| {
        let reply_to = Some(ReplyToken(token));
        let input = NetworkInput::Faults { command, reply_to };
        h.network
            .handle(input, Time::ZERO, &mut h.rng, &mut effects);
        match effects.list.pop() {
            Some(Effect::Reply {
                token: answered,
                reply: Reply::Faults(result),
            }) if answered == ReplyToken(token) => result,
            other => panic!("expected a fault reply, got {other:?}"),
        }
    };
    let down = fault("down", "olt:olt-1", FaultKind::Outage { reboot_ms: 0 });
    let created = send(&mut h, FaultCommand::Create(Box::new(down.clone())), 1);
    assert!(matches!(
        created,
        Ok(FaultAnswer::Put {
            outcome: PutOutcome::Created,
            ..
        })
    ));
    let again = send(&mut h, FaultCommand::Create(Box::new(down)), 2);
    assert_eq!(
        again,
        Err(FaultRefusal::Exists {
            name: "down".to_string()
        })
    );
    let bad = fault("bad", "olt:nope", FaultKind::Outage { reboot_ms: 0 });
    let refused = send(&mut h, FaultCommand::ReplaceAll(vec![bad]), 3);
    assert!(matches!(refused, Err(FaultRefusal::Entry { index: 0, .. })));
    assert!(
        h.network.is_element_down(OLT_1),
        "a refused set changes nothing"
    );
    assert_eq!(
        send(&mut h, FaultCommand::Reset, 4),
        Ok(FaultAnswer::Removed(1))
    );
    assert!(!h.network.is_element_down(OLT_1));
    assert_eq!(
        h.network.fault_commands_refused(),
        0,
        "answered refusals are not counted"
    );
}
