//! The instance routes the `durable-http` adapter calls: `runtara:durable/context`
//! over HTTP, for a component that runs outside the core (`wasmtime run -S http`,
//! Spin) and keeps its state here. Each call of the interface is one route under
//! `/api/v1/instances/{id}`:
//!
//! | route | call | reply |
//! |---|---|---|
//! | `POST /register` | `register` | `{"checkpoints": [{"id", "state"}]}` |
//! | `POST /checkpoint` `{"checkpointId", "state"}` | `checkpoint` | `{"existingState", "shouldPause", "shouldCancel"}` |
//! | `GET /signals` | `poll-signal` | `{"signal": null \| {"kind", "payload"}}` |
//! | `DELETE /signals/{signal_id}` | `take-signal` | `{"arrived", "payload"}` |
//! | `POST /durable-sleep` `{"checkpointId", "durationMs"}` | `sleep` | `{"wakeAt", "remainingMs"}` |
//! | `POST /log` `{"level", "message", "context"}` | `log` | 204 |
//! | `POST /completed` `{"output"}`, `/failed` `{"error"}` | how it ended | 204 |
//! | `POST /suspended` | `suspended` | `{"status": "paused" \| "sleeping"}` |
//!
//! `register` creates the instance when the tenant has none by that id (its input
//! stays unknown to the core: the component reads it itself). The other routes
//! need an instance registered so, still live: an instance the core runs from an
//! uploaded component takes no adapter calls. A request that cannot be read or
//! parsed whole is refused before anything is written.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::{Api, ApiError, Body, Reply, Tenant, live_instance};
use crate::store::{Control, InstanceKey};

/// The routes, but `DELETE /signals/{signal_id}` ([`take_signal`]), which shares its
/// path with a management route.
pub(super) fn routes() -> Router<Arc<Api>> {
    Router::new()
        .route("/api/v1/instances/{id}/register", post(register))
        .route("/api/v1/instances/{id}/checkpoint", post(checkpoint))
        .route("/api/v1/instances/{id}/signals", get(poll_signal))
        .route("/api/v1/instances/{id}/durable-sleep", post(durable_sleep))
        .route("/api/v1/instances/{id}/log", post(log))
        .route("/api/v1/instances/{id}/completed", post(completed))
        .route("/api/v1/instances/{id}/failed", post(failed))
        .route("/api/v1/instances/{id}/suspended", post(suspended))
}

/// The longest instance id `register` accepts.
const MAX_INSTANCE_ID_BYTES: usize = 256;

fn ok(body: Value) -> Reply {
    Ok((StatusCode::OK, Json(body)))
}

/// The reply of a call that answers nothing.
type Done = Result<StatusCode, ApiError>;

/// The live instance that an adapter registered; other instances refuse its calls.
async fn adapter_instance(api: &Api, key: &InstanceKey) -> Result<(), ApiError> {
    let instance = live_instance(api, key).await?;
    if instance.component.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "RUN_BY_CORE",
            format!("{key} runs in the core from an uploaded component; it takes no adapter calls"),
        ));
    }
    Ok(())
}

async fn register(State(api): State<Arc<Api>>, tenant: Tenant, Path(id): Path<String>) -> Reply {
    if id.is_empty() || id.len() > MAX_INSTANCE_ID_BYTES {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_INSTANCE_ID",
            format!("an instance id has 1 to {MAX_INSTANCE_ID_BYTES} bytes"),
        ));
    }
    let key = tenant.key(id);
    let store = api.core.store();
    store.create_instance(&key, &Value::Null, None).await?;
    adapter_instance(&api, &key).await?;
    let checkpoints: Vec<Value> = store
        .register(&key)
        .await?
        .into_iter()
        .map(|(id, state)| json!({ "id": id, "state": state }))
        .collect();
    ok(json!({ "checkpoints": checkpoints }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CheckpointRequest {
    checkpoint_id: String,
    state: Value,
}

async fn checkpoint(
    State(api): State<Arc<Api>>,
    tenant: Tenant,
    Path(id): Path<String>,
    body: Body,
) -> Reply {
    let request: CheckpointRequest = body.json(r#"{"checkpointId": "...", "state": {...}}"#)?;
    if !request.state.is_object() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_STATE",
            "a checkpoint's state is a JSON object (what the workflow runtime saves)",
        ));
    }
    let key = tenant.key(id);
    adapter_instance(&api, &key).await?;
    let reply = api
        .core
        .store()
        .checkpoint(&key, &request.checkpoint_id, &request.state)
        .await?;
    ok(json!({
        "existingState": reply.existing,
        "shouldPause": reply.control == Some(Control::Pause),
        "shouldCancel": reply.control == Some(Control::Cancel),
    }))
}

async fn poll_signal(State(api): State<Arc<Api>>, tenant: Tenant, Path(id): Path<String>) -> Reply {
    let key = tenant.key(id);
    adapter_instance(&api, &key).await?;
    let signal = match api.core.store().pending_control(&key).await? {
        Some(Control::Pause) => json!({ "kind": "pause", "payload": null }),
        Some(Control::Cancel) => json!({ "kind": "cancel", "payload": null }),
        None => Value::Null,
    };
    ok(json!({ "signal": signal }))
}

pub(super) async fn take_signal(
    State(api): State<Arc<Api>>,
    tenant: Tenant,
    Path((id, signal_id)): Path<(String, String)>,
) -> Reply {
    let key = tenant.key(id);
    adapter_instance(&api, &key).await?;
    let payload = api.core.store().take_signal(&key, &signal_id).await?;
    ok(json!({ "arrived": payload.is_some(), "payload": payload }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SleepRequest {
    checkpoint_id: String,
    duration_ms: u64,
}

async fn durable_sleep(
    State(api): State<Arc<Api>>,
    tenant: Tenant,
    Path(id): Path<String>,
    body: Body,
) -> Reply {
    let request: SleepRequest = body.json(r#"{"checkpointId": "...", "durationMs": 5000}"#)?;
    let key = tenant.key(id);
    adapter_instance(&api, &key).await?;
    let sleep = api
        .core
        .store()
        .durable_sleep(&key, &request.checkpoint_id, request.duration_ms)
        .await?;
    ok(json!({
        "wakeAt": sleep.wake_at,
        "remainingMs": u64::try_from(sleep.left.as_millis()).unwrap_or(u64::MAX),
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogRequest {
    level: Level,
    message: String,
    #[serde(default)]
    context: Value,
}

async fn log(
    State(api): State<Arc<Api>>,
    tenant: Tenant,
    Path(id): Path<String>,
    body: Body,
) -> Done {
    let request: LogRequest =
        body.json(r#"{"level": "debug|info|warn|error", "message": "...", "context": {...}}"#)?;
    let key = tenant.key(id);
    adapter_instance(&api, &key).await?;
    let level = match request.level {
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
    };
    api.core
        .store()
        .log_event(&key, level, &request.message, &request.context)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompletedRequest {
    output: Value,
}

async fn completed(
    State(api): State<Arc<Api>>,
    tenant: Tenant,
    Path(id): Path<String>,
    body: Body,
) -> Done {
    let request: CompletedRequest = body.json(r#"{"output": ...}"#)?;
    let key = tenant.key(id);
    adapter_instance(&api, &key).await?;
    api.core.store().complete(&key, &request.output).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FailedRequest {
    error: Value,
}

async fn failed(
    State(api): State<Arc<Api>>,
    tenant: Tenant,
    Path(id): Path<String>,
    body: Body,
) -> Done {
    let request: FailedRequest = body.json(r#"{"error": {"code": "...", "message": "..."}}"#)?;
    let key = tenant.key(id);
    adapter_instance(&api, &key).await?;
    api.core.store().fail(&key, &request.error).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn suspended(State(api): State<Arc<Api>>, tenant: Tenant, Path(id): Path<String>) -> Reply {
    let key = tenant.key(id);
    adapter_instance(&api, &key).await?;
    let status = api.core.store().suspend(&key).await?;
    ok(json!({ "status": status }))
}
