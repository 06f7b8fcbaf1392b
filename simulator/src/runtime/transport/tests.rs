//! Round trips of every crossing message through its wire form, and refusals of bad bodies.

use std::net::Ipv4Addr;
use std::sync::Arc;

use serde_json::{Value, json};

use super::codec::{self, Outgoing, Verb};
use super::wire::{OperationBody, ReplyBody};
use super::{Role, TransportSetup};
use crate::domain::catalog::Catalog;
use crate::domain::catalog::ResourceKind;
use crate::domain::ids::{
    ActivationId, AllocationId, OperationId, ProductOrderId, ResourceId, ResourceOrderId,
    ServiceId, ServiceOrderId,
};
use crate::domain::state::{OrderState, ServiceState};
use crate::domain::time::Time;
use crate::layers::activation::{ActivationCreate, ActivationInput, ServiceChange};
use crate::layers::com::{ComInput, ComWake, ServiceItemSummary, ServiceOrderSummary};
use crate::layers::common::{Action, Characteristic, Characteristics};
use crate::layers::failure::{FailureCode, FailureReason};
use crate::layers::rom::{
    ActivationSummary, HeldResource, ResourceOrderCreate, ResourceOrderItemCreate,
    ResourceOrderRef, Rfs, RomInput,
};
use crate::layers::som::{ResourceOrderSummary, ServiceOrderRef, SomInput};
use crate::layers::{LayerId, Message};
use crate::network::{
    AllocationRequest, ElementError, ElementErrorKind, ElementId, ElementOperation, ElementOutcome,
    ElementReply, ElementRequest, NetworkInput, RegionId, ResourceValue, Topology,
};
use crate::tmf::{resource_order_create, service_create};

fn topology() -> Topology {
    Topology::from_config(&crate::config::SimConfig::default().network).expect("valid network")
}

fn characteristic(name: &str, value: Value) -> Characteristic {
    Characteristic {
        name: Arc::from(name),
        value,
    }
}

fn speed() -> Characteristics {
    Characteristics::from([Characteristic {
        name: Arc::from("downstreamSpeedMbps"),
        value: json!(500),
    }])
}

/// The call a message becomes (panics when it becomes something else).
fn call(message: Message) -> codec::Call {
    match codec::outgoing(message, Time::ZERO, "http://127.0.0.1:1", &topology()) {
        Some(Outgoing::Call(call)) => call,
        other => panic!("expected a call, got {other:?}"),
    }
}

/// The message a report becomes after a trip through a hub envelope.
fn report_round_trip(message: Message) -> Message {
    let Some(Outgoing::Event(event, body)) = codec::outgoing(message, Time::ZERO, "", &topology())
    else {
        panic!("expected an event");
    };
    let envelope = crate::tmf::event::envelope(1, "2026-01-01T00:00:00Z".into(), &event, body);
    codec::report_from_event(&envelope, &Catalog::builtin())
        .expect("parses")
        .expect("is a report")
}

#[test]
fn resource_order_create_round_trips_in_tmf652_attributes() {
    let topology = topology();
    let catalog = Catalog::builtin();
    let olt = topology.element_by_name("olt-north-1").expect("an OLT");
    let order = ResourceOrderCreate {
        header: None,
        external_id: Some("SO-3".into()),
        parent: Some((ServiceOrderId(3), "1".into())),
        region: RegionId(0),
        olt: Some(olt),
        characteristics: Characteristics::from([
            characteristic("downstreamSpeedMbps", json!(500)),
            characteristic("oltId", json!("olt-north-1")),
        ]),
        items: vec![
            ResourceOrderItemCreate {
                id: "1".into(),
                action: Action::Add,
                resource_specification: Arc::from("onu-slot"),
                kind: ResourceKind::OnuSlot,
                rfs: Rfs {
                    id: Some(ServiceId(4)),
                    specification: Arc::from("gpon-access"),
                },
                resource: None,
            },
            ResourceOrderItemCreate {
                id: "2".into(),
                action: Action::Add,
                resource_specification: Arc::from("ipv4-address"),
                kind: ResourceKind::Ipv4Address,
                rfs: Rfs {
                    id: Some(ServiceId(5)),
                    specification: Arc::from("ip-connectivity"),
                },
                resource: None,
            },
        ],
    };
    let call = call(Message::Rom(RomInput::Create {
        reply: None,
        order: Box::new(order.clone()),
    }));
    assert_eq!(call.to, LayerId::Rom);
    assert_no_extension_attributes(&call.body);
    let parsed = resource_order_create::parse(call.body.clone(), 16, &catalog, &topology);
    assert_eq!(parsed.expect("parses"), order);
    let error = resource_order_create::parse(call.body, 1, &catalog, &topology);
    assert!(error.is_err(), "too many items");
}

#[test]
fn a_resource_order_without_rfs_takes_it_from_the_catalog() {
    let body = json!({"orderItem": [{"id": "a", "action": "add",
        "resourceSpecification": {"id": "vlan-pair"},
        "resource": {"place": {"name": "north", "role": "region"}}}]});
    let parsed =
        resource_order_create::parse(body, 16, &Catalog::builtin(), &topology()).expect("parses");
    assert_eq!(parsed.region, RegionId(0));
    assert_eq!(parsed.items[0].kind, ResourceKind::VlanPair);
    assert_eq!(
        parsed.items[0].rfs,
        Rfs {
            id: None,
            specification: Arc::from("gpon-access")
        }
    );
    for (bad, named) in [
        (
            json!({"orderItem": [{"resourceSpecification": {"id": "warp-core"},
                "resource": {"place": {"name": "north"}}}]}),
            "warp-core",
        ),
        (
            json!({"orderItem": [{"resourceSpecification": {"id": "onu-slot"},
                "resource": {"place": {"name": "atlantis"}}}]}),
            "atlantis",
        ),
        (
            json!({"orderItem": [{"resourceSpecification": {"id": "onu-slot"}}]}),
            "region",
        ),
        (
            json!({"orderItem": [{"action": "add"}]}),
            "resourceSpecification",
        ),
        (json!({"orderItem": []}), "orderItem"),
    ] {
        let error = resource_order_create::parse(bad, 16, &Catalog::builtin(), &topology())
            .expect_err("refused");
        assert!(error.to_string().contains(named), "{error} names {named}");
    }
}

#[test]
fn activation_create_and_patches_round_trip_in_tmf640_attributes() {
    let topology = topology();
    let catalog = Catalog::builtin();
    let service = ActivationCreate {
        parent: Some(ResourceOrderId(5)),
        service: Some(ServiceId(6)),
        service_specification: Arc::from("gpon-access"),
        name: None,
        resources: vec![
            ResourceValue::OnuSlot {
                olt: ElementId(0),
                pon_port: 2,
                onu: 3,
            },
            ResourceValue::Ipv4Address {
                region: RegionId(0),
                address: Ipv4Addr::new(10, 0, 0, 9),
            },
        ],
        supporting_resources: vec![ResourceId(1), ResourceId(2)],
        characteristics: Characteristics::from([
            characteristic("downstreamSpeedMbps", json!(500)),
            characteristic("region", json!("north")),
        ]),
    };
    let create = call(Message::Activation(ActivationInput::Create {
        reply: None,
        service: Box::new(service.clone()),
    }));
    assert_no_extension_attributes(&create.body);
    let parsed = service_create::parse_create(create.body.clone(), &catalog, &topology);
    assert_eq!(parsed.expect("parses"), service);

    let id = ActivationId(8);
    let terminate = call(Message::Activation(ActivationInput::Terminate(id)));
    assert_eq!(terminate.verb, Verb::Patch);
    assert!(terminate.path.ends_with("/service/ACT-8"));
    assert_eq!(
        service_create::parse_patch(terminate.body).ok().flatten(),
        Some(ServiceChange::Terminate)
    );
    let reconfigure = call(Message::Activation(ActivationInput::Reconfigure {
        id,
        parent: Some(ResourceOrderId(5)),
        characteristics: speed(),
    }));
    assert_eq!(
        service_create::parse_patch(reconfigure.body).ok().flatten(),
        Some(ServiceChange::Reconfigure {
            parent: Some(ResourceOrderId(5)),
            characteristics: speed()
        })
    );
    let restore = call(Message::Activation(ActivationInput::Restore(id)));
    assert_eq!(
        service_create::parse_patch(restore.body).ok().flatten(),
        Some(ServiceChange::Restore)
    );
    assert!(service_create::parse_patch(json!({"state": "inactive"})).is_err());
    // An empty Service_Update changes nothing; one with a wrong type anywhere, or an attribute
    // activation does not keep, is refused.
    assert_eq!(service_create::parse_patch(json!({})), Ok(None));
    for bad in [
        json!({"hasStarted": "yes"}),
        json!({"note": ["text"]}),
        json!({"serviceCharacteristic": {"name": "x"}}),
        json!({"description": "kept nowhere"}),
    ] {
        assert!(service_create::parse_patch(bad.clone()).is_err(), "{bad}");
    }
    for (bad, named) in [
        (json!({"serviceSpecification": {"id": "flux"}}), "flux"),
        (json!({"state": "active"}), "serviceSpecification"),
        (
            json!({"state": "designed", "serviceSpecification": {"id": "gpon-access"}}),
            "designed",
        ),
        (
            json!({"serviceSpecification": {"id": "gpon-access"}, "serviceCharacteristic": [
            {"name": "olt", "value": "olt-nowhere"}, {"name": "ponPort", "value": 1}]}),
            "olt-nowhere",
        ),
    ] {
        let error = service_create::parse_create(bad, &catalog, &topology).expect_err("refused");
        assert!(error.to_string().contains(named), "{error} names {named}");
    }
}

/// Fails when `value` holds an attribute starting with `@` that TMF does not define.
fn assert_no_extension_attributes(value: &Value) {
    const TMF: [&str; 4] = ["@type", "@baseType", "@schemaLocation", "@referredType"];
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                assert!(
                    !key.starts_with('@') || TMF.contains(&key.as_str()),
                    "`{key}` is not a TMF attribute"
                );
                assert_no_extension_attributes(inner);
            }
        }
        Value::Array(list) => list.iter().for_each(assert_no_extension_attributes),
        _ => {}
    }
}

#[test]
fn reports_round_trip_through_hub_envelopes() {
    let service_order = ServiceOrderSummary {
        id: ServiceOrderId(2),
        parent: ProductOrderId(1),
        state: OrderState::Partial,
        items: vec![ServiceItemSummary {
            id: "1".into(),
            parent_item: "1".into(),
            action: Action::Add,
            specification: Arc::from("cfs-broadband"),
            state: OrderState::Completed,
            service: Some(ServiceId(3)),
        }],
        failure: Some(FailureReason::timeout("activate")),
    };
    // SOM's report is its ordinary terminal state-change event, as SOM renders the order.
    let reason = FailureReason::timeout("activate");
    let failure = crate::tmf::failure_error_message(&reason, None);
    let rendered = json!({
        "id": "SO-2", "@type": "ServiceOrder", "state": "partial",
        "externalReference": [{"id": "PO-1", "name": "PO-1",
                               "externalReferenceType": "ProductOrder"}],
        "serviceOrderItem": [{"id": "1", "@type": "ServiceOrderItem", "action": "add",
            "state": "completed", "service": {"id": "S-3", "@type": "Service",
                "serviceSpecification": {"id": "cfs-broadband"},
                "relatedEntity": [crate::tmf::product_order_item_ref("1")]}}],
        "errorMessage": [failure],
    });
    let envelope = json!({"eventType": "ServiceOrderStateChangeEvent",
                          "event": {"serviceOrder": rendered}});
    let message = codec::report_from_event(&envelope, &Catalog::builtin()).expect("parses");
    let heard = matches!(&message, Some(Message::Com(ComInput::ServiceOrderChanged(s)))
        if *s == service_order);
    assert!(heard, "{message:?}");
    let mut in_progress = envelope.clone();
    in_progress["event"]["serviceOrder"]["state"] = json!("inProgress");
    let ignored = codec::report_from_event(&in_progress, &Catalog::builtin());
    assert!(
        matches!(ignored, Ok(None)),
        "only a terminal order is a report"
    );
    let summary = Message::Com(ComInput::ServiceOrderChanged(service_order));
    assert!(codec::outgoing(summary, Time::ZERO, "", &topology()).is_none());

    // ROM's report is its ordinary terminal state-change event, as ROM renders the order.
    let rendered = json!({
        "id": "RO-4", "@type": "ResourceOrder", "state": "completed",
        "externalReference": [{"id": "SO-2/1", "entityType": "ServiceOrderItem",
                               "owner": "/tmf-api/serviceOrdering/v4"}],
        "orderItem": [{"id": "1", "action": "add", "state": "completed",
            "resourceSpecification": {"id": "onu-slot"},
            "resource": {"id": "R-5", "href": "/r/R-5", "resourceCharacteristic": [
                {"name": "rfs", "value": "S-6"},
                {"name": "rfsSpecification", "value": "gpon-access"}]}}]
    });
    let envelope = json!({"eventType": "ResourceOrderStateChangeEvent",
                          "event": {"resourceOrder": rendered}});
    let expected = ResourceOrderSummary {
        id: ResourceOrderId(4),
        parent: (ServiceOrderId(2), "1".into()),
        state: OrderState::Completed,
        resources: vec![HeldResource {
            resource: ResourceId(5),
            service: ServiceId(6),
            service_specification: Arc::from("gpon-access"),
            resource_specification: Arc::from("onu-slot"),
            kind: ResourceKind::OnuSlot,
        }],
        failure: None,
    };
    let message = codec::report_from_event(&envelope, &Catalog::builtin()).expect("parses");
    assert!(
        matches!(message, Some(Message::Som(SomInput::ResourceOrderChanged(s))) if s == expected)
    );
    let mut in_progress = envelope.clone();
    in_progress["event"]["resourceOrder"]["state"] = json!("inProgress");
    let ignored = codec::report_from_event(&in_progress, &Catalog::builtin());
    assert!(
        matches!(ignored, Ok(None)),
        "only a terminal order is a report"
    );
    let summary = Message::Som(SomInput::ResourceOrderChanged(expected));
    assert!(codec::outgoing(summary, Time::ZERO, "", &topology()).is_none());

    let activation = ActivationSummary {
        id: ActivationId(7),
        parent: ResourceOrderId(4),
        rfs: Rfs {
            id: Some(ServiceId(6)),
            specification: Arc::from("gpon-access"),
        },
        state: ServiceState::Inactive,
        error: Some(FailureReason::new(FailureCode::ElementDown, "element down")),
    };
    let message = report_round_trip(Message::Rom(RomInput::ActivationChanged(
        activation.clone(),
    )));
    assert!(matches!(message, Message::Rom(RomInput::ActivationChanged(s)) if s == activation));
    let failed = Message::Rom(RomInput::ActivationChanged(activation.clone()));
    let Some(Outgoing::Event(_, body)) = codec::outgoing(failed, Time::ZERO, "", &topology())
    else {
        panic!("a failure is published");
    };
    assert_no_extension_attributes(&body);
    let succeeded = ActivationSummary {
        error: None,
        ..activation
    };
    let message = Message::Rom(RomInput::ActivationChanged(succeeded));
    assert!(
        codec::outgoing(message, Time::ZERO, "", &topology()).is_none(),
        "the service's own state-change event reports a success"
    );
}

#[test]
fn element_requests_and_replies_round_trip() {
    let request = ElementRequest {
        operation_id: OperationId(11),
        reply_to: LayerId::Activation,
        operation: ElementOperation::Allocate {
            allocation: AllocationId(12),
            request: AllocationRequest::OnuSlot {
                region: RegionId(1),
                olt: None,
            },
        },
    };
    let call = call(Message::Network(NetworkInput::Request(request.clone())));
    assert_eq!(call.to, LayerId::Network);
    let body: OperationBody = serde_json::from_value(call.body).expect("wire body");
    let (parsed, callback) = body.request().expect("valid");
    assert_eq!(
        (parsed.operation_id, parsed.reply_to, parsed.operation),
        (request.operation_id, request.reply_to, request.operation)
    );
    assert_eq!(callback, "http://127.0.0.1:1/network/v1/reply");

    for result in [
        Ok(ElementOutcome::Allocated(ResourceValue::PhoneNumber {
            region: RegionId(0),
            number: 3_100_000,
        })),
        Ok(ElementOutcome::Deactivated),
        Err(ElementError {
            kind: ElementErrorKind::Exhausted,
            message: "no slot".into(),
        }),
    ] {
        let reply = ElementReply {
            operation_id: OperationId(11),
            result,
        };
        let body = serde_json::to_value(ReplyBody::new(reply.clone(), LayerId::Rom)).expect("json");
        let body: ReplyBody = serde_json::from_value(body).expect("wire body");
        assert_eq!(body.reply().expect("valid"), (reply, LayerId::Rom));
    }
}

#[test]
fn bad_bodies_are_errors_and_plain_events_are_ignored() {
    let catalog = Catalog::builtin();
    for bad in [
        json!({}),
        json!({"event": {}}),
        json!({"event": {"serviceOrder": {"state": "completed",
               "externalReference": [{"id": "PO-1", "externalReferenceType": "ProductOrder"}]}}}),
        json!({"event": {"resourceOrder": {"id": "RO-1", "state": "completed",
               "externalReference": [{"id": "no-slash", "entityType": "ServiceOrderItem"}],
               "orderItem": []}}}),
        json!({"event": {"service": {"id": 5, "relatedEntity": [{"id": "RO-1", "role": "requester"}]}}}),
    ] {
        assert!(codec::report_from_event(&bad, &catalog).is_err(), "{bad}");
    }
    for plain in [
        json!({"event": {"serviceOrder": {"id": "SO-1", "state": "inProgress"}}}),
        json!({"event": {"resourceOrder": {"id": "RO-1", "state": "completed"}}}),
        json!({"event": {"service": {"id": "ACT-1", "state": "active"}}}),
        json!({"event": {"productOrder": {"id": "PO-1"}}}),
    ] {
        assert!(
            matches!(codec::report_from_event(&plain, &catalog), Ok(None)),
            "{plain}"
        );
    }
    let topology = topology();
    assert!(resource_order_create::parse(Value::Null, 16, &catalog, &topology).is_err());
    assert!(service_create::parse_create(json!({"name": 5}), &catalog, &topology).is_err());
}

#[test]
fn a_cancel_by_parent_looks_the_order_up_by_its_external_id() {
    let cancel = call(Message::Rom(RomInput::Cancel {
        reply: None,
        order: ResourceOrderRef::Parent(ServiceOrderId(3), "1".into()),
        reason: Some("changed mind".into()),
    }));
    assert!(
        cancel
            .path
            .ends_with("/resourceOrderingManagement/v4/cancelResourceOrder")
    );
    assert_no_extension_attributes(&cancel.body);
    let lookup = cancel.lookup.expect("a lookup");
    assert_eq!(lookup.external_id, "SO-3/1");
    assert!(lookup.path.ends_with("/resourceOrder"));
    assert_eq!(lookup.reference, "resourceOrder");
    let cancel = call(Message::Som(SomInput::Cancel {
        reply: None,
        order: ServiceOrderRef::Parent(ProductOrderId(7)),
        reason: None,
    }));
    assert!(
        cancel
            .path
            .ends_with("/serviceOrdering/v4/cancelServiceOrder")
    );
    assert_no_extension_attributes(&cancel.body);
    assert_eq!(cancel.lookup.expect("a lookup").external_id, "PO-7");
    let by_id = call(Message::Rom(RomInput::Cancel {
        reply: None,
        order: ResourceOrderRef::Id(ResourceOrderId(4)),
        reason: None,
    }));
    assert_eq!(
        (by_id.lookup, &by_id.body["resourceOrder"]["id"]),
        (None, &json!("RO-4"))
    );
}

#[test]
fn roles_decide_what_leaves_the_process() {
    let wake = Message::Com(ComInput::Wake(ComWake::Start(ProductOrderId(1))));
    let create = Message::Som(SomInput::Cancel {
        reply: None,
        order: ServiceOrderRef::Parent(ProductOrderId(1)),
        reason: None,
    });
    let timeout = Message::Rom(RomInput::OperationTimeout(OperationId(1)));
    assert!(!codec::crosses(&wake) && !codec::crosses(&timeout));
    assert!(codec::crosses(&create));

    let setup = |role| {
        TransportSetup::new(
            role,
            "http://127.0.0.1:1".into(),
            [
                (LayerId::Som, "http://127.0.0.1:2".to_string()),
                (LayerId::Rom, "http://127.0.0.1:3".to_string()),
                (LayerId::Activation, "http://127.0.0.1:4".to_string()),
                (LayerId::Network, "http://127.0.0.1:5".to_string()),
            ]
            .into(),
        )
        .expect("complete")
    };
    let sink: Arc<dyn crate::runtime::EventSink> = Arc::new(crate::runtime::NoEvents);
    let topology = Arc::new(topology());
    let (answers, _) = tokio::sync::mpsc::unbounded_channel();
    let outbound = |role| {
        super::Outbound::new(
            setup(role),
            sink.clone(),
            1,
            (topology.clone(), Arc::new(Catalog::builtin())),
            answers.clone(),
        )
    };
    let (com, _worker) = outbound(Role::Com);
    assert!(com.takes(&create) && !com.takes(&wake));
    let (som, _worker) = outbound(Role::Som);
    assert!(!som.takes(&create));
    let (all, _worker) = outbound(Role::All);
    assert!(all.takes(&create) && !all.takes(&wake));
    // Activation's own retry timer and its reconciliation's answers never leave the process
    // (before, every activation input but the operation timeout did, and was dropped there).
    let retry = Message::Activation(ActivationInput::Retry {
        service: crate::domain::ids::ActivationId(1),
        step: crate::layers::activation::Step::Configure,
        failed: crate::domain::ids::OperationId(2),
        attempt: 2,
    });
    let unanswered = Message::Activation(ActivationInput::ReconcileUnanswered);
    assert!(!all.takes(&retry) && !all.takes(&unanswered));

    assert!(
        TransportSetup::new(Role::Rom, "http://127.0.0.1:1".into(), Default::default()).is_err()
    );
    assert!("router".parse::<Role>().is_err());
    assert_eq!("activation".parse::<Role>().ok(), Some(Role::Activation));
}

/// ROM's jeopardy answer over HTTP lists the RFS of every live service found, so ROM can see
/// that one of an order's RFS has none (its create was dropped while activation was down).
#[test]
fn the_jeopardy_answer_names_the_rfs_of_each_service_found() {
    let service = |id: u64, rfs: u64, specification: &str| {
        let summary = ActivationSummary {
            id: ActivationId(id),
            parent: ResourceOrderId(4),
            rfs: Rfs {
                id: Some(ServiceId(rfs)),
                specification: Arc::from(specification),
            },
            // A failed one, so that this process publishes its event body (a live one's is the
            // hub's); only the RFS matters here.
            state: ServiceState::Inactive,
            error: Some(FailureReason::new(FailureCode::ElementDown, "element down")),
        };
        let message = Message::Rom(RomInput::ActivationChanged(summary));
        let Some(Outgoing::Event(_, body)) = codec::outgoing(message, Time::ZERO, "", &topology())
        else {
            panic!("a failure is published");
        };
        body
    };
    let found = [
        service(7, 6, "gpon-access"),
        service(8, 9, "ip-connectivity"),
    ];
    let asked = codec::Asked::ActivationsOf(ResourceOrderId(4));
    let answer = asked.answer(&found, &Catalog::builtin());
    let Message::Rom(RomInput::ActivationStatus { order, alive }) = answer else {
        panic!("a status for ROM: {answer:?}");
    };
    assert_eq!(order, ResourceOrderId(4));
    let specifications: Vec<&str> = alive.iter().map(|rfs| &*rfs.specification).collect();
    assert_eq!(specifications, ["gpon-access", "ip-connectivity"]);
    assert_eq!(alive[0].id, Some(ServiceId(6)));
}
