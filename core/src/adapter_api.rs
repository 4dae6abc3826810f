//! The instance routes the `durable-http` adapter calls: `runtara:durable/context`
//! over HTTP, for a component that runs outside the core (`wasmtime run -S http`,
//! Spin) and keeps its state here. Each call of the interface is one route under
//! `/api/v1/instances/{id}`:
//!
//! | route | call | reply |
//! |---|---|---|
//! | `POST /register` | `register` | `{"checkpoints": [{"id", "state"}], "next"}` |
//! | `GET /checkpoints?after=N` | the page of checkpoints after `N` | `{"checkpoints", "next"}` |
//! | `POST /checkpoint` `{"checkpointId", "state"}` | `checkpoint` | `{"existingState", "shouldPause", "shouldCancel"}` |
//! | `GET /signals` | `poll-signal` | `{"signal": null \| {"kind", "payload"}}` |
//! | `DELETE /signals/{signal_id}` | `take-signal` | `{"arrived", "payload"}` |
//! | `POST /durable-sleep` `{"checkpointId", "durationMs"}` | `sleep` | `{"wakeAt", "remainingMs"}` |
//! | `POST /log` `{"level", "message", "context"}` | `log` | 204 |
//! | `POST /completed` `{"output"}`, `/failed` `{"error"}` | how it ended | 204 |
//! | `POST /suspended` | `suspended` | `{"status": "paused" \| "sleeping"}` |
//!
//! `register` answers with the first page of the checkpoints earlier runs saved;
//! while a page's `next` is not null, the adapter asks for the page after it.
//!
//! What each call does is in [`super::calls`], shared with the QUIC endpoint. A
//! request that cannot be read or parsed whole is refused before anything is
//! written.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{Json, Router};
use runtara_protocol::Call;
use serde::Deserialize;
use serde_json::Value;

use crate::api::{Api, ApiError, Body, Tenant};
use crate::calls;
use crate::request_limits;

/// The routes, but `DELETE /signals/{signal_id}` ([`take_signal`]), which shares its
/// path with a management route.
pub(super) fn routes() -> Router<Arc<Api>> {
    let mut router = Router::new()
        .route("/api/v1/instances/{id}/signals", get(poll_signal))
        .route("/api/v1/instances/{id}/checkpoints", get(checkpoints));
    for call in [
        "register",
        "checkpoint",
        "durable-sleep",
        "log",
        "completed",
        "failed",
        "suspended",
    ] {
        let limit = DefaultBodyLimit::max(request_limits::call_body_limit(call));
        router = router.route(
            &format!("/api/v1/instances/{{id}}/{call}"),
            posted(call).layer(limit),
        );
    }
    router
}

/// `POST /{call}`: the body holds the call's fields (none for `register` and
/// `suspended`).
fn posted(call: &'static str) -> MethodRouter<Arc<Api>> {
    post(
        move |State(api): State<Arc<Api>>, tenant: Tenant, Path(id): Path<String>, body: Body| async move {
            let call = parse_call(call, &body)?;
            answer(&api, tenant, id, call).await
        },
    )
}

/// The call named by the route, with the fields its body holds.
fn parse_call(name: &str, body: &Body) -> Result<Call, ApiError> {
    let mut fields = if body.0.is_empty() {
        serde_json::Map::new()
    } else {
        body.json::<serde_json::Map<String, Value>>("a JSON object")?
    };
    fields.insert("call".into(), Value::String(name.into()));
    serde_json::from_value(Value::Object(fields)).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            format!("the body of `{name}`: {e}"),
        )
    })
}

async fn poll_signal(
    State(api): State<Arc<Api>>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    answer(&api, tenant, id, Call::PollSignal).await
}

/// `GET /checkpoints?after=N`.
async fn checkpoints(
    State(api): State<Arc<Api>>,
    tenant: Tenant,
    Path(id): Path<String>,
    query: Result<Query<Cursor>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(Cursor { after }) = query.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_CURSOR",
            format!("expected `?after=N`, the `next` of the page before: {e}"),
        )
    })?;
    answer(&api, tenant, id, Call::Checkpoints { after }).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Cursor {
    after: u64,
}

pub(super) async fn take_signal(
    State(api): State<Arc<Api>>,
    tenant: Tenant,
    Path((id, signal_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    answer(&api, tenant, id, Call::TakeSignal { signal_id }).await
}

/// Does the call; a call that answers nothing gets 204.
async fn answer(api: &Api, tenant: Tenant, id: String, call: Call) -> Result<Response, ApiError> {
    let reply = calls::handle(&api.core, &tenant.key(id), call).await?;
    Ok(if reply.is_null() {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (StatusCode::OK, Json(reply)).into_response()
    })
}
