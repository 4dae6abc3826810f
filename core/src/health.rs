//! What load balancers and orchestrators ask, without a token (they carry none,
//! and the answers name no tenant's data):
//!
//! | route | answers |
//! |---|---|
//! | `GET /healthz` | 200 while the process serves requests (liveness) |
//! | `GET /readyz` | 200 when the state store answers within [`READY_TIMEOUT`], else 503 (readiness: send work here) |

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::api::Api;

/// How long `/readyz` waits for the store.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub(crate) fn routes() -> Router<Arc<Api>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "alive"}))
}

async fn readyz(State(api): State<Arc<Api>>) -> (StatusCode, Json<Value>) {
    let answer = tokio::time::timeout(READY_TIMEOUT, api.core.store().ping()).await;
    let problem = match answer {
        Ok(Ok(())) => return (StatusCode::OK, Json(json!({"status": "ready"}))),
        Ok(Err(error)) => error.to_string(),
        Err(_) => format!(
            "the state store did not answer within {} s",
            READY_TIMEOUT.as_secs()
        ),
    };
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(
            json!({"status": "not ready", "error": {"code": "STORE_UNAVAILABLE", "message": problem}}),
        ),
    )
}
