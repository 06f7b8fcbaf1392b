//! The README's lifecycle walkthrough names ids and states that follow from
//! `scenarios/lifecycle-walkthrough.toml`'s seed: from a fresh start, the first of three equal
//! fibre orders is held, the second pending, the third rejected, and the next starts at once.
//! If the way COM draws changes, this fails before the README silently stops matching.

use axum::http::{Method, StatusCode};
use serde_json::json;
use simulator::config::SimConfig;

use crate::http_support::{PRODUCT_ORDER, TestApp};

#[tokio::test]
async fn the_walkthrough_scenario_holds_pends_and_rejects_the_first_three_orders() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/lifecycle-walkthrough.toml"
    );
    let config = SimConfig::load(std::path::Path::new(path)).expect("the scenario loads");
    let app = TestApp::start(config);
    // The README's ORDER body, exactly.
    let order = json!({"productOrderItem": [{"id": "1", "action": "add",
        "productOffering": {"id": "fibre-broadband"},
        "product": {"productCharacteristic": [{"name": "region", "value": "north"}]}}]});
    let mut ids = Vec::new();
    for _ in 0..4 {
        let (status, _, body) = app
            .call(Method::POST, PRODUCT_ORDER, Some(order.clone()))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["state"], "acknowledged", "{body}");
        ids.push(body["id"].as_str().expect("an id").to_string());
    }
    assert_eq!(ids, ["PO-1", "PO-2", "PO-3", "PO-4"]);
    let expected = ["held", "pending", "rejected"];
    for (id, state) in ids.iter().zip(expected) {
        let mut seen = String::new();
        // The draw happens as COM handles the order: wait (bounded) for it to leave
        // `acknowledged`.
        for _ in 0..1_000 {
            let (_, body) = app.get_ok(&format!("{PRODUCT_ORDER}/{id}")).await;
            seen = body["state"].as_str().unwrap_or_default().to_string();
            if seen != "acknowledged" {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(seen, state, "{id}");
    }
}
