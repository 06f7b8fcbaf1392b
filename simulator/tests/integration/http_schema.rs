//! The JSON the API renders (orders, services, cancels, subscriptions, errors and event
//! envelopes) validated against the official TMF Swagger definitions in `tests/tmf/`. These
//! render domain structs directly, so they need no running chain.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::http_attributes::{assert_kept, full_product_order, full_service_order};
use crate::http_support::{TMF622, TMF640, TMF641, TMF652, validate, validate_error};
use serde_json::{Value, json};
use simulator::domain::catalog::Catalog;
use simulator::domain::catalog::ResourceKind;
use simulator::domain::ids::{
    ActivationId, AllocationId, CancelProductOrderId, ProductId, ProductOrderId, ResourceId,
    ResourceOrderId, ServiceId, ServiceOrderId,
};
use simulator::domain::state::{OrderState, ServiceState, TaskState};
use simulator::domain::time::Time;
use simulator::http::dto::{
    RenderContext, activation, parse_failure, product_order, resource_order, service_order,
};
use simulator::http::error::ApiError;
use simulator::http::hub::envelope;
use simulator::layers::activation::ActivationService;
use simulator::layers::attributes::{HeaderSummary, ProductOrderAttributes};
use simulator::layers::com::{CancelProductOrder, ProductOrder, ProductOrderItem};
use simulator::layers::common::{Action, Characteristic, History};
use simulator::layers::failure::{FailureCode, FailureReason};
use simulator::layers::rom::{ResourceOrder, ResourceOrderItem, Rfs};
use simulator::layers::som::SomInput;
use simulator::layers::som::{ServiceOrder, ServiceOrderItem};
use simulator::layers::{Event, EventKind, Message, Rejection, RejectionKind, Subject};
use simulator::network::{ElementId, RegionId, ResourceValue};
use simulator::runtime::WallClock;
use simulator::runtime::transport::codec::report_from_event;

fn context() -> RenderContext<'static> {
    RenderContext {
        clock: WallClock {
            epoch: SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000),
        },
        topology: None,
        public_url: "http://127.0.0.1:8080",
    }
}

fn characteristics() -> Vec<Characteristic> {
    vec![
        Characteristic {
            name: Arc::from("region"),
            value: json!("north"),
        },
        Characteristic {
            name: Arc::from("downstreamSpeedMbps"),
            value: json!(500),
        },
    ]
}

fn history(state: OrderState) -> History {
    let mut history = History::starting(OrderState::Acknowledged, Time::from_millis(1));
    history.push(Time::from_millis(2), state);
    history
}

fn product_order(state: OrderState, completed: bool) -> ProductOrder {
    ProductOrder {
        id: ProductOrderId(7),
        external_id: Some("client-7".into()),
        attributes: Some(Box::new(ProductOrderAttributes {
            summary: HeaderSummary {
                description: Some("fibre for flat 3".into()),
                priority: Some("1".into()),
                ..HeaderSummary::default()
            },
            details: None,
            items: Vec::new(),
        })),
        state,
        history: history(state),
        order_date: Time::from_millis(1),
        completion_date: completed.then(|| Time::from_millis(900)),
        items: vec![
            ProductOrderItem {
                id: "1".into(),
                action: Action::Add,
                offering: Arc::from("fibre-broadband"),
                product: Some(ProductId(3)),
                characteristics: characteristics().into(),
                state,
                history: history(state),
                services: vec![ServiceId(4)],
            },
            ProductOrderItem {
                id: "2".into(),
                action: Action::Delete,
                offering: Arc::from(""),
                product: Some(ProductId(1)),
                characteristics: Vec::new().into(),
                state,
                history: history(state),
                services: vec![],
            },
        ],
        service_order: Some(ServiceOrderId(5)),
        cancellation: None,
        failure: matches!(state, OrderState::Failed | OrderState::Partial)
            .then(|| FailureReason::timeout("activate")),
        compensating: false,
        reply: None,
        abandoned: false,
        child_queried: false,
    }
}

fn service_order() -> ServiceOrder {
    ServiceOrder {
        id: ServiceOrderId(5),
        external_id: Some("PO-7".into()),
        attributes: None,
        parent: Some(ProductOrderId(7)),
        state: OrderState::Partial,
        history: history(OrderState::Partial),
        order_date: Time::from_millis(3),
        completion_date: Some(Time::from_millis(800)),
        items: vec![ServiceOrderItem {
            id: "1".into(),
            action: Action::Add,
            service_specification: Arc::from("internet-access"),
            service: Some(ServiceId(4)),
            parent_item: Some("1".into()),
            characteristics: characteristics().into(),
            state: OrderState::Partial,
            history: history(OrderState::Partial),
            resource_order: Some(ResourceOrderId(2)),
            supporting_services: vec![ServiceId(5), ServiceId(6)],
            supporting_resources: vec![ResourceId(8)],
            compensated: false,
            child_queried: false,
        }],
        failure: Some(FailureReason::new(
            FailureCode::PoolExhausted,
            "no ONU slot free",
        )),
    }
}

fn resource_order() -> ResourceOrder {
    ResourceOrder {
        id: ResourceOrderId(2),
        external_id: Some("SO-5".into()),
        header: Some(Box::new(
            serde_json::from_value(serde_json::json!({
                "description": "gpon", "priority": 2, "category": "FTTH",
                "name": "north build", "orderType": "provide",
                "expectedCompletionDate": "2026-01-02T00:00:00Z",
                "note": [{"text": "client note"}],
                "relatedParty": [{"id": "u-1", "role": "requester", "@referredType": "Individual"}],
            }))
            .expect("a TMF652 header"),
        )),
        parent: Some((ServiceOrderId(5), "1".into())),
        state: OrderState::InProgress,
        history: history(OrderState::InProgress),
        order_date: Time::from_millis(4),
        completion_date: None,
        region: RegionId(0),
        olt: Some(ElementId(0)),
        characteristics: characteristics().into(),
        items: vec![
            ResourceOrderItem {
                id: "1".into(),
                action: Action::Add,
                resource_specification: Arc::from("onu-slot"),
                kind: ResourceKind::OnuSlot,
                rfs: Rfs {
                    id: Some(ServiceId(5)),
                    specification: Arc::from("gpon-access"),
                },
                allocation: AllocationId(9),
                resource: Some(ResourceId(8)),
                value: Some(ResourceValue::OnuSlot {
                    olt: ElementId(0),
                    pon_port: 3,
                    onu: 17,
                }),
                operation: None,
                state: OrderState::Completed,
                history: history(OrderState::Completed),
            },
            ResourceOrderItem {
                id: "2".into(),
                action: Action::Add,
                resource_specification: Arc::from("ipv4-address"),
                kind: ResourceKind::Ipv4Address,
                rfs: Rfs {
                    id: Some(ServiceId(6)),
                    specification: Arc::from("ip-connectivity"),
                },
                allocation: AllocationId(10),
                resource: None,
                value: None,
                operation: None,
                state: OrderState::InProgress,
                history: history(OrderState::InProgress),
            },
        ],
        activations: vec![(
            Rfs {
                id: Some(ServiceId(5)),
                specification: Arc::from("gpon-access"),
            },
            ActivationId(1),
        )],
        cancellation: None,
        failure: Some(FailureReason::of_element(
            &simulator::network::ElementError {
                kind: simulator::network::ElementErrorKind::Failed,
                message: "olt-north-1 refused the allocation".into(),
            },
        )),
    }
}

fn activation_service() -> ActivationService {
    ActivationService {
        id: ActivationId(1),
        parent: Some(ResourceOrderId(2)),
        service: Some(ServiceId(5)),
        service_specification: Arc::from("gpon-access"),
        name: None,
        state: ServiceState::Active,
        history: [(Time::from_millis(5), ServiceState::Reserved)]
            .into_iter()
            .collect(),
        element: Some(ElementId(0)),
        resources: vec![
            ResourceValue::OnuSlot {
                olt: ElementId(0),
                pon_port: 3,
                onu: 17,
            },
            ResourceValue::Ipv4Address {
                region: RegionId(0),
                address: Ipv4Addr::new(10, 0, 0, 9),
            },
        ],
        supporting_resources: vec![ResourceId(8)],
        characteristics: characteristics().into(),
        previous: None,
        restoring: false,
        operation: None,
        error: Some(FailureReason::timeout("configure")),
        created: Time::from_millis(5),
    }
}

fn event(kind: EventKind, subject: Subject) -> Event {
    Event {
        kind,
        subject,
        time: Time::from_millis(10),
    }
}

fn wrap(kind: EventKind, subject: Subject, resource: Value) -> Value {
    envelope(
        1,
        context().clock.rfc3339(Time::from_millis(10)),
        &event(kind, subject),
        resource,
    )
}

/// A failed order with every writable attribute renders valid TMF: the client's notes and
/// the FailureNote side by side (TMF622), `errorMessage` beside them (TMF641).
#[test]
fn failed_orders_with_every_writable_attribute_match_the_schemas() {
    let request = full_product_order();
    let body = serde_json::from_value(request.clone()).expect("a ProductOrder_Create");
    let parsed = simulator::tmf::product_order_create::parse_create(body, 4).expect("valid");
    let mut order = product_order(OrderState::Failed, true);
    order.external_id = parsed.external_id;
    order.attributes = parsed.attributes;
    order.items.truncate(1);
    order.items[0].characteristics = parsed.items[0].characteristics.clone().into();
    let rendered = product_order::render(&order, &context());
    validate(TMF622, "ProductOrder", &rendered);
    assert_eq!(
        parse_failure(&rendered),
        order.failure,
        "the FailureNote reads back"
    );
    let notes = rendered["note"].as_array().expect("notes");
    assert_eq!(
        notes.len(),
        2,
        "the client's and the FailureNote: {notes:?}"
    );
    let mut expected = request;
    expected["note"] = json!(rendered["note"].clone());
    assert_kept(&rendered, &expected, "rendered");

    let request = full_service_order();
    let body = serde_json::from_value(request.clone()).expect("a ServiceOrder_Create");
    let (_, attributes) = service_order::parse_submission(body, 4).expect("valid");
    let mut order = service_order();
    order.external_id = Some("attrs-so".into());
    order.attributes = attributes;
    let rendered = service_order::render(&order, &context());
    validate(TMF641, "ServiceOrder", &rendered);
    assert_eq!(parse_failure(&rendered), order.failure);
    let references = rendered["externalReference"]
        .as_array()
        .expect("references");
    assert_eq!(
        references.len(),
        2,
        "the client's and the parent: {references:?}"
    );
    assert_eq!(rendered["note"], request["note"]);
    assert_eq!(rendered["relatedParty"], request["relatedParty"]);
    let item = &rendered["serviceOrderItem"][0];
    assert_eq!(item["quantity"], 1);
    assert_eq!(item["service"]["name"], "internet 500");
    assert_eq!(
        item["service"]["serviceCharacteristic"][0]["valueType"],
        "string"
    );
}

#[test]
fn product_orders_match_tmf622() {
    for (state, completed) in [
        (OrderState::Acknowledged, false),
        (OrderState::InProgress, false),
        (OrderState::Completed, true),
        (OrderState::Cancelled, true),
        (OrderState::Failed, true),
    ] {
        let order = product_order(state, completed);
        let rendered = product_order::render(&order, &context());
        validate(TMF622, "ProductOrder", &rendered);
        assert_eq!(
            parse_failure(&rendered),
            order.failure,
            "the note reads back"
        );
        assert_eq!(rendered["state"], state.as_str());
        assert_eq!(
            rendered["href"],
            "http://127.0.0.1:8080/tmf-api/productOrderingManagement/v4/productOrder/PO-7"
        );
        assert_eq!(rendered["productOrderItem"][0]["product"]["id"], "P-3");
        assert_eq!(
            rendered["productOrderItem"][0]["product"]["realizingService"][0]["id"],
            "S-4"
        );
    }
}

#[test]
fn product_order_events_match_tmf622() {
    let rendered = product_order::render(&product_order(OrderState::InProgress, false), &context());
    let subject = Subject::ProductOrder(ProductOrderId(7));
    let created = wrap(EventKind::Create, subject, rendered.clone());
    validate(TMF622, "ProductOrderCreateEvent", &created);
    assert_eq!(created["eventType"], "ProductOrderCreateEvent");
    let changed = wrap(EventKind::StateChange, subject, rendered);
    validate(TMF622, "ProductOrderStateChangeEvent", &changed);
    assert_eq!(changed["event"]["productOrder"]["id"], "PO-7");
}

#[test]
fn cancel_product_orders_match_tmf622() {
    for state in TaskState::ALL {
        let cancel = CancelProductOrder {
            id: CancelProductOrderId(2),
            order: ProductOrderId(7),
            state,
            reason: Some("customer changed their mind".into()),
            requested: Time::from_millis(20),
            effective: (state == TaskState::Done).then(|| Time::from_millis(40)),
        };
        let rendered = product_order::render_cancel(&cancel, &context());
        validate(TMF622, "CancelProductOrder", &rendered);
        let subject = Subject::CancelProductOrder(CancelProductOrderId(2));
        validate(
            TMF622,
            "CancelProductOrderCreateEvent",
            &wrap(EventKind::Create, subject, rendered),
        );
    }
}

#[test]
fn service_orders_match_tmf641() {
    let order = service_order();
    let rendered = service_order::render(&order, &context());
    validate(TMF641, "ServiceOrder", &rendered);
    assert_eq!(rendered["errorMessage"][0]["code"], "poolExhausted");
    assert_eq!(
        parse_failure(&rendered),
        order.failure,
        "errorMessage reads back"
    );
    assert_eq!(rendered["externalReference"][0]["id"], "PO-7");
    assert_eq!(
        rendered["serviceOrderItem"][0]["service"]["supportingResource"][0]["id"],
        "R-8"
    );
    let subject = Subject::ServiceOrder(ServiceOrderId(5));
    validate(
        TMF641,
        "ServiceOrderStateChangeEvent",
        &wrap(EventKind::StateChange, subject, rendered),
    );
}

#[test]
fn resource_orders_match_tmf652() {
    let order = resource_order();
    let rendered = resource_order::render(&order, &context());
    validate(TMF652, "ResourceOrder", &rendered);
    // The client's header comes back as written, its note first, then the FailureNote.
    assert_eq!(rendered["note"][0]["text"], "client note");
    assert_eq!(rendered["note"][1]["code"], "elementFailed");
    assert_eq!(rendered["description"], "gpon");
    assert_eq!(rendered["category"], "FTTH");
    assert_eq!(rendered["name"], "north build");
    assert_eq!(rendered["orderType"], "provide");
    assert_eq!(rendered["expectedCompletionDate"], "2026-01-02T00:00:00Z");
    assert_eq!(rendered["relatedParty"][0]["id"], "u-1");
    assert_eq!(
        parse_failure(&rendered),
        order.failure,
        "the note reads back"
    );
    assert_eq!(rendered["priority"], 2);
    assert_eq!(rendered["orderItem"][0]["resource"]["id"], "R-8");
    assert!(rendered["orderItem"][1].get("resource").is_none());
    let subject = Subject::ResourceOrder(ResourceOrderId(2));
    validate(
        TMF652,
        "ResourceOrderCreateEvent",
        &wrap(EventKind::Create, subject, rendered),
    );
}

/// ROM's terminal state-change event is its report to SOM: it validates against TMF652,
/// holds no attribute outside it, and reads back as what SOM needs (each resource with its
/// RFS and kind), through the same listener a foreign ROM's events reach.
#[test]
fn a_completed_resource_order_event_is_the_report_som_reads() {
    let mut order = resource_order();
    order.state = OrderState::Completed;
    order.failure = None;
    order.items.truncate(1);
    let subject = Subject::ResourceOrder(order.id);
    let envelope = wrap(
        EventKind::StateChange,
        subject,
        resource_order::render(&order, &context()),
    );
    validate(TMF652, "ResourceOrderStateChangeEvent", &envelope);
    assert_only_tmf_attributes(&envelope);
    let report = report_from_event(&envelope, &Catalog::builtin()).expect("parses");
    let Some(Message::Som(SomInput::ResourceOrderChanged(summary))) = report else {
        panic!("a report to SOM: {report:?}");
    };
    assert_eq!(summary.parent, (ServiceOrderId(5), "1".to_string()));
    assert_eq!(summary.state, OrderState::Completed);
    assert_eq!(summary.resources.len(), 1);
    let held = &summary.resources[0];
    assert_eq!(
        (held.resource, held.service, held.kind),
        (ResourceId(8), ServiceId(5), ResourceKind::OnuSlot)
    );
    assert_eq!(&*held.service_specification, "gpon-access");
}

/// A TMF640 service a direct client created (no RFS instance, no requester) and one that
/// failed both validate, with no attribute outside TMF640.
#[test]
fn services_without_requester_and_failed_ones_match_tmf640() {
    let mut direct = activation_service();
    direct.parent = None;
    direct.service = None;
    direct.name = Some("foreign-rfs".into());
    let rendered = activation::render(&direct, &context());
    validate(TMF640, "Service", &rendered);
    assert_only_tmf_attributes(&rendered);
    assert_eq!(rendered["name"], "foreign-rfs");
    assert!(rendered.get("supportingService").is_none());
    let failed = activation::render(&activation_service(), &context());
    assert_eq!(failed["note"][0]["code"], "elementTimeout");
    assert_eq!(
        parse_failure(&failed),
        Some(FailureReason::timeout("configure"))
    );
    let subject = Subject::ActivationService(ActivationId(1));
    let envelope = wrap(EventKind::StateChange, subject, failed);
    validate(TMF640, "ServiceStateChangeEvent", &envelope);
    assert_only_tmf_attributes(&envelope);
}

/// Fails when `value` holds an attribute starting with `@` that TMF does not define.
fn assert_only_tmf_attributes(value: &Value) {
    const TMF: [&str; 4] = ["@type", "@baseType", "@schemaLocation", "@referredType"];
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                assert!(
                    !key.starts_with('@') || TMF.contains(&key.as_str()),
                    "`{key}` is not a TMF attribute"
                );
                assert_only_tmf_attributes(inner);
            }
        }
        Value::Array(list) => list.iter().for_each(assert_only_tmf_attributes),
        _ => {}
    }
}

#[test]
fn activation_services_match_tmf640() {
    let rendered = activation::render(&activation_service(), &context());
    validate(TMF640, "Service", &rendered);
    assert_eq!(rendered["state"], "active");
    let subject = Subject::ActivationService(ActivationId(1));
    validate(
        TMF640,
        "ServiceStateChangeEvent",
        &wrap(EventKind::StateChange, subject, rendered),
    );
}

#[test]
fn errors_match_tmf_error() {
    for kind in [
        RejectionKind::InvalidRequest,
        RejectionKind::NotFound,
        RejectionKind::Conflict,
        RejectionKind::LimitExceeded,
        RejectionKind::Unsupported,
    ] {
        let error = ApiError::from(Rejection::new(kind, "because"));
        for file in [TMF622, TMF641, TMF652, TMF640] {
            validate(file, "Error", &error.body());
        }
        validate_error(&error.body(), error.status.as_u16());
    }
}

#[tokio::test]
async fn event_subscriptions_match_tmf_hub() {
    let hub = simulator::http::Hub::new(&simulator::config::Limits::default());
    let view = hub
        .subscribe(
            simulator::layers::Api::ProductOrdering,
            "http://127.0.0.1:9/listener",
            Some("eventType=ProductOrderStateChangeEvent".into()),
        )
        .expect("subscribes");
    for file in [TMF622, TMF641, TMF652, TMF640] {
        validate(file, "EventSubscription", &view);
    }
    hub.close();
}
