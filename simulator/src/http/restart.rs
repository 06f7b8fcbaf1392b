//! `POST /admin/layers/{layer}/restart`: restarts a layer this process runs without its state,
//! a crash as a timeline fault (issue 11). The layer then reconciles with the layers below
//! (see [`crate::layers::reconcile_input`]) and its parents find its lost orders through
//! their jeopardy deadlines. 404 for a layer this process does not run, 409 for the network
//! and the inventories (they hold the simulated world).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::http::common::AppState;
use crate::http::error::ApiError;
use crate::layers::LayerId;

/// The layer named by `name` (`com`, `som`, `rom`, `activation`, `network`, `inventory`).
fn layer_named(name: &str) -> Option<LayerId> {
    LayerId::ALL
        .into_iter()
        .find(|layer| layer.as_str() == name)
}

/// Restarts the named layer; answers `{"layer": …, "restarted": true}`.
pub async fn restart_layer(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let role = state.chain.role();
    let serving = role.layer().map_or("all", LayerId::as_str);
    let Some(layer) = layer_named(&name).filter(|layer| role.hosts(*layer)) else {
        let name: String = name.chars().take(32).collect();
        let message = format!("this process (role {serving}) runs no layer `{name}`");
        return ApiError::not_found(message).into_response();
    };
    if matches!(layer, LayerId::Network | LayerId::Inventory) {
        let message = format!(
            "the {} layer holds the simulated world and cannot be restarted",
            layer.as_str()
        );
        return ApiError::new(StatusCode::CONFLICT, "Conflict", message).into_response();
    }
    match state.chain.restart_layer_without_state(layer) {
        Ok(()) => Json(json!({"layer": layer.as_str(), "restarted": true})).into_response(),
        Err(error) => ApiError::new(StatusCode::CONFLICT, "Conflict", error.0).into_response(),
    }
}
