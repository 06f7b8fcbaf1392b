//! Tests of the fault model: target strings, validation, the serde shapes (TOML and JSON),
//! windows and the judgement's determinism.

use rand::SeedableRng;

use super::set::{OperationSite, Verdict};
use super::*;
use crate::config::NetworkConfig;
use crate::domain::ids::OperationId;
use crate::layers::SimRng;

fn fault(name: &str, target: &str, kind: FaultKind) -> Fault {
    Fault {
        name: name.to_string(),
        target: target.parse().expect("valid target"),
        operations: operation_set(None).expect("all"),
        kind,
        starts_at: Time::ZERO,
        duration: None,
    }
}

fn site(kind: OperationKind, element: Option<ElementId>) -> OperationSite {
    OperationSite {
        kind,
        element,
        pon_port: Some(0),
        region: Some(RegionId(0)),
        pool: None,
        operation_id: OperationId(1),
        subject: "AL-1".to_string(),
    }
}

#[test]
fn target_strings_round_trip() {
    for text in [
        "olt:olt-north-1",
        "pon:olt-north-1/3",
        "dslam:dslam-north-1",
        "pool:north/ipv4",
        "pool:north/multicast",
        "pool:north/phone",
        "activation",
        "region:north",
        "all",
    ] {
        let target: TargetSpec = text.parse().expect(text);
        assert_eq!(target.to_string(), text);
    }
    for bad in [
        "",
        "olt:",
        "olt",
        "pon:olt-1",
        "pon:olt-1/x",
        "pool:north/vlan",
        "switch:s1",
        "everything",
    ] {
        assert!(
            matches!(
                bad.parse::<TargetSpec>(),
                Err(FaultError::InvalidTarget { .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn targets_resolve_against_the_topology() {
    let topology = Topology::from_config(&NetworkConfig::default()).expect("default network");
    let resolve = |text: &str| text.parse::<TargetSpec>().unwrap().resolve(&topology);
    assert_eq!(
        resolve("olt:olt-north-1"),
        Ok(FaultTarget::Element(ElementId(0)))
    );
    assert_eq!(
        resolve("pon:olt-north-1/15"),
        Ok(FaultTarget::PonPort {
            olt: ElementId(0),
            port: 15
        })
    );
    assert_eq!(
        resolve("dslam:dslam-north-1"),
        Ok(FaultTarget::Element(ElementId(1)))
    );
    assert_eq!(
        resolve("region:north"),
        Ok(FaultTarget::Region(RegionId(0)))
    );
    for unknown in [
        "olt:dslam-north-1",
        "olt:nope",
        "pon:olt-north-1/16",
        "region:south",
        "pool:south/ipv4",
    ] {
        assert!(
            matches!(resolve(unknown), Err(FaultError::UnknownTarget { .. })),
            "{unknown}"
        );
    }
}

#[test]
fn invalid_faults_are_refused_with_typed_errors() {
    let error = |kind: FaultKind| fault("f", "all", kind).validate();
    assert!(matches!(
        error(FaultKind::Error {
            probability: 1.1,
            reason: "x".into()
        }),
        Err(FaultError::InvalidParameter {
            name: "probability",
            ..
        })
    ));
    assert!(matches!(
        error(FaultKind::Error {
            probability: 0.5,
            reason: String::new()
        }),
        Err(FaultError::InvalidParameter { name: "reason", .. })
    ));
    assert!(matches!(
        error(FaultKind::BlackHole {
            probability: f64::NAN
        }),
        Err(FaultError::InvalidParameter { .. })
    ));
    assert!(matches!(
        error(FaultKind::Latency {
            added_ms: 0.0,
            jitter_ms: 0.0,
            factor: 1.0,
            distribution: None
        }),
        Err(FaultError::InvalidParameter {
            name: "added_ms",
            ..
        })
    ));
    assert!(matches!(
        error(FaultKind::Latency {
            added_ms: -1.0,
            jitter_ms: 0.0,
            factor: 1.0,
            distribution: None
        }),
        Err(FaultError::InvalidParameter {
            name: "added_ms",
            ..
        })
    ));
    assert!(matches!(
        error(FaultKind::Latency {
            added_ms: 0.0,
            jitter_ms: 0.0,
            factor: 0.0,
            distribution: None
        }),
        Err(FaultError::InvalidParameter { name: "factor", .. })
    ));
    assert!(matches!(
        error(FaultKind::Latency {
            added_ms: 0.0,
            jitter_ms: 0.0,
            factor: 1.0,
            distribution: Some(Latency::Fixed { ms: -5.0 })
        }),
        Err(FaultError::Distribution(_))
    ));
    assert!(matches!(
        error(FaultKind::PoolPressure {
            shrink_by: None,
            free_left: Some(0)
        }),
        Err(FaultError::TargetNotAllowed { .. })
    ));
    let both = fault(
        "f",
        "pool:north/ipv4",
        FaultKind::PoolPressure {
            shrink_by: Some(1),
            free_left: Some(0),
        },
    );
    assert!(matches!(
        both.validate(),
        Err(FaultError::InvalidParameter { .. })
    ));
    for name in ["", "has space", "ünïcode", &"x".repeat(65)] {
        let bad = fault(name, "all", FaultKind::Outage { reboot_ms: 0 });
        assert!(
            matches!(bad.validate(), Err(FaultError::InvalidName { .. })),
            "{name}"
        );
    }
    let mut long = fault("f", "all", FaultKind::Outage { reboot_ms: 0 });
    long.duration = Some(Duration::from_secs(86_401));
    assert!(matches!(
        long.validate(),
        Err(FaultError::InvalidParameter {
            name: "duration",
            ..
        })
    ));
    assert!(matches!(
        operation_set(Some(&[])),
        Err(FaultError::InvalidParameter { .. })
    ));
}

#[test]
fn a_timeline_entry_parses_from_toml_in_snake_case() {
    let spec: FaultSpec = toml::from_str(
        r#"
name = "olt-down"
at = "10s"
duration = "1m 30s"
target = "olt:olt-north-1"
operations = ["allocate", "configure"]
kind = { type = "reply_lost", probability = 0.25 }
"#,
    )
    .expect("valid entry");
    let fault = spec
        .to_fault(Time::from_millis(1_000))
        .expect("valid fault");
    assert_eq!(fault.starts_at, Time::from_millis(11_000));
    assert_eq!(fault.ends_at(), Some(Time::from_millis(101_000)));
    assert_eq!(
        fault.operations.iter().copied().collect::<Vec<_>>(),
        vec![OperationKind::Allocate, OperationKind::Configure]
    );
    assert_eq!(fault.kind, FaultKind::ReplyLost { probability: 0.25 });
    let unknown = toml::from_str::<FaultSpec>(
        "name = \"f\"\ntarget = \"all\"\nkind = { type = \"outage\", reboot = 1 }\n",
    );
    assert!(unknown.is_err(), "unknown key in kind");
}

#[test]
fn kinds_serialise_in_camel_case_and_accept_both_spellings() {
    let kind = FaultKind::PoolPressure {
        shrink_by: Some(3),
        free_left: None,
    };
    let json = serde_json::to_value(&kind).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"type": "poolPressure", "shrinkBy": 3, "freeLeft": null})
    );
    let back: FaultKind =
        serde_json::from_value(serde_json::json!({"type": "pool_pressure", "shrink_by": 3}))
            .unwrap();
    assert_eq!(back, kind);
    let latency: FaultKind =
        serde_json::from_value(serde_json::json!({"type": "latency", "addedMs": 5.0})).unwrap();
    assert_eq!(
        latency,
        FaultKind::Latency {
            added_ms: 5.0,
            jitter_ms: 0.0,
            factor: 1.0,
            distribution: None
        }
    );
}

#[test]
fn an_outage_with_a_reboot_delay_stays_until_the_reboot_ends() {
    let mut outage = fault("f", "all", FaultKind::Outage { reboot_ms: 500 });
    outage.starts_at = Time::from_millis(100);
    outage.duration = Some(Duration::from_millis(1_000));
    let mut set = FaultSet::new(4);
    set.insert(outage, FaultTarget::All).unwrap();
    assert!(set.advance(Time::from_millis(99)).is_empty());
    assert_eq!(set.statuses(Time::ZERO)[0].state, FaultState::Scheduled);
    assert_eq!(set.advance(Time::from_millis(100)).started, vec!["f"]);
    let now = Time::from_millis(1_200);
    assert_eq!(set.status("f", now).unwrap().state, FaultState::Rebooting);
    assert!(set.advance(Time::from_millis(1_599)).is_empty());
    assert_eq!(set.advance(Time::from_millis(1_600)).ended, vec!["f"]);
    assert!(set.is_empty());
}

#[test]
fn the_set_is_bounded() {
    let mut set = FaultSet::new(2);
    for name in ["a", "b"] {
        set.insert(
            fault(name, "all", FaultKind::Outage { reboot_ms: 0 }),
            FaultTarget::All,
        )
        .unwrap();
    }
    assert_eq!(
        set.insert(
            fault("c", "all", FaultKind::Outage { reboot_ms: 0 }),
            FaultTarget::All
        ),
        Err(FaultError::TooMany { max: 2 })
    );
}

#[test]
fn judgement_is_deterministic_and_respects_target_and_operations() {
    let mut set = FaultSet::new(8);
    let mut lost = fault("lost", "olt:x", FaultKind::ReplyLost { probability: 0.5 });
    lost.operations = [OperationKind::Activate].into_iter().collect();
    set.insert(lost, FaultTarget::Element(ElementId(0)))
        .unwrap();
    set.advance(Time::ZERO);
    let run = |set: &mut FaultSet| {
        let mut rng = SimRng::seed_from_u64(5);
        (0..200)
            .map(|_| {
                let at = site(OperationKind::Activate, Some(ElementId(0)));
                set.judge(&at, Time::ZERO, &mut rng).verdict
            })
            .collect::<Vec<_>>()
    };
    let first = run(&mut set.clone());
    assert_eq!(first, run(&mut set.clone()), "same seed, same verdicts");
    let lost_count = first.iter().filter(|v| **v == Verdict::ReplyLost).count();
    assert!((70..=130).contains(&lost_count), "{lost_count} of 200");
    let mut rng = SimRng::seed_from_u64(5);
    let other_element = site(OperationKind::Activate, Some(ElementId(1)));
    let other_kind = site(OperationKind::Configure, Some(ElementId(0)));
    for at in [other_element, other_kind] {
        let judgement = set.judge(&at, Time::ZERO, &mut rng);
        assert_eq!(judgement.verdict, Verdict::Proceed, "{at:?}");
    }
    let status = set.status("lost", Time::ZERO).unwrap();
    assert_eq!(status.calls_matched, 0, "the clones counted, not the set");
}
