//! The core's HTTP API (management routes), under `/api/v1`:
//!
//! | route | what |
//! |---|---|
//! | `PUT /components` | upload a composed component (`--durable host`); returns its digest |
//! | `POST /instances` | start one: `{component, input, instanceId?}` |
//! | `GET /instances` | the tenant's instances |
//! | `GET /instances/{id}` | status, input, output, error |
//! | `GET /instances/{id}/history` | finished steps and events, in order |
//! | `POST /instances/{id}/pause`, `/resume`, `/cancel` | stop at the next checkpoint, go on, end |
//! | `POST /instances/{id}/signals/{signal_id}` | answer a WaitForSignal step (body: the payload) |
//!
//! Every request names its tenant (`X-Runtara-Tenant-Id`) and carries a token
//! allowed for it (`Authorization: Bearer`); an instance of another tenant does
//! not exist for it. Errors are `{"error": {"code", "message"}}`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Refusal, Tokens};
use super::core::Core;
use crate::store::{Control, InstanceKey, Status, StoreError};

/// The largest component the API accepts.
const MAX_COMPONENT_BYTES: usize = 256 << 20;

struct Api {
    core: Arc<Core>,
    tokens: Tokens,
}

/// The router, ready to serve.
pub fn router(core: Arc<Core>, tokens: Tokens) -> Router {
    let api = Arc::new(Api { core, tokens });
    Router::new()
        .route("/api/v1/components", put(upload))
        .route("/api/v1/instances", post(start).get(list))
        .route("/api/v1/instances/{id}", get(read))
        .route("/api/v1/instances/{id}/history", get(history))
        .route("/api/v1/instances/{id}/pause", post(pause))
        .route("/api/v1/instances/{id}/resume", post(resume))
        .route("/api/v1/instances/{id}/cancel", post(cancel))
        .route("/api/v1/instances/{id}/signals/{signal_id}", post(signal))
        .layer(DefaultBodyLimit::max(MAX_COMPONENT_BYTES))
        .with_state(api)
}

/// An error response.
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    fn no_instance(key: &InstanceKey) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("there is no {key}"),
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "STORE_ERROR",
            error.to_string(),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        (self.status, Json(body)).into_response()
    }
}

/// The tenant a request acts for, once its token was checked.
struct Tenant(String);

impl FromRequestParts<Arc<Api>> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, api: &Arc<Api>) -> Result<Self, ApiError> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        api.tokens
            .authorize(header("authorization"), header("x-runtara-tenant-id"))
            .map(Tenant)
            .map_err(|refusal| match refusal {
                Refusal::Unauthenticated => ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "UNAUTHENTICATED",
                    "send a known token as `Authorization: Bearer <token>`",
                ),
                Refusal::NoTenant => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "NO_TENANT",
                    "name the tenant in the X-Runtara-Tenant-Id header",
                ),
                Refusal::Forbidden => ApiError::new(
                    StatusCode::FORBIDDEN,
                    "FORBIDDEN",
                    "this token is not allowed for that tenant",
                ),
            })
    }
}

impl Tenant {
    fn key(&self, instance: String) -> InstanceKey {
        InstanceKey::new(self.0.clone(), instance)
    }
}

type Reply = Result<(StatusCode, Json<Value>), ApiError>;

async fn upload(State(api): State<Arc<Api>>, tenant: Tenant, body: Bytes) -> Reply {
    api.core.check_component(&body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_COMPONENT",
            e.to_string(),
        )
    })?;
    let digest = api.core.store().save_component(&tenant.0, &body).await?;
    Ok((StatusCode::CREATED, Json(json!({ "digest": digest }))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct StartRequest {
    component: String,
    #[serde(default)]
    input: Option<Value>,
    #[serde(default)]
    instance_id: Option<String>,
}

async fn start(State(api): State<Arc<Api>>, tenant: Tenant, body: Bytes) -> Reply {
    let request: StartRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            format!("expected {{\"component\": \"sha256:...\", \"input\": {{...}}, \"instanceId\"?: \"...\"}}: {e}"),
        )
    })?;
    let store = api.core.store();
    if store
        .component(&tenant.0, &request.component)
        .await?
        .is_none()
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "NO_COMPONENT",
            format!(
                "component {} was not uploaded (PUT /api/v1/components)",
                request.component
            ),
        ));
    }
    let key = tenant.key(request.instance_id.unwrap_or_else(new_instance_id));
    let input = request.input.unwrap_or_else(|| json!({}));
    let (instance, created) = store
        .create_instance(&key, &input, Some(&request.component))
        .await?;
    if !created {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "INSTANCE_EXISTS",
            format!("{key} exists already ({})", instance.status.as_str()),
        ));
    }
    api.core.start(key.clone(), &[Status::Pending]).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "instanceId": key.instance })),
    ))
}

fn new_instance_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn list(State(api): State<Arc<Api>>, tenant: Tenant) -> Reply {
    let instances = api.core.store().instances(&tenant.0).await?;
    Ok((StatusCode::OK, Json(json!({ "instances": instances }))))
}

async fn read(State(api): State<Arc<Api>>, tenant: Tenant, Path(id): Path<String>) -> Reply {
    let key = tenant.key(id);
    let instance = api
        .core
        .store()
        .instance(&key)
        .await?
        .ok_or_else(|| ApiError::no_instance(&key))?;
    Ok((StatusCode::OK, Json(json!(instance))))
}

async fn history(State(api): State<Arc<Api>>, tenant: Tenant, Path(id): Path<String>) -> Reply {
    let key = tenant.key(id);
    let store = api.core.store();
    store
        .instance(&key)
        .await?
        .ok_or_else(|| ApiError::no_instance(&key))?;
    let history = store.history(&key).await?;
    Ok((StatusCode::OK, Json(json!({ "history": history }))))
}

/// The instance's status; 404 when the tenant has none by that id, 409 once it ended.
async fn live_status(api: &Api, key: &InstanceKey) -> Result<Status, ApiError> {
    let status = api
        .core
        .store()
        .instance(key)
        .await?
        .ok_or_else(|| ApiError::no_instance(key))?
        .status;
    if status.is_final() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "INSTANCE_ENDED",
            format!("{key} has ended ({})", status.as_str()),
        ));
    }
    Ok(status)
}

async fn pause(State(api): State<Arc<Api>>, tenant: Tenant, Path(id): Path<String>) -> Reply {
    let key = tenant.key(id);
    live_status(&api, &key).await?;
    api.core
        .store()
        .request_control(&key, Control::Pause)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "instanceId": key.instance, "requested": "pause" })),
    ))
}

async fn resume(State(api): State<Arc<Api>>, tenant: Tenant, Path(id): Path<String>) -> Reply {
    let key = tenant.key(id);
    if live_status(&api, &key).await? != Status::Paused {
        return Ok((
            StatusCode::OK,
            Json(json!({ "instanceId": key.instance, "resumed": false })),
        ));
    }
    api.core
        .store()
        .set_status(&key, Status::Pending, None)
        .await?;
    api.core.start(key.clone(), &[Status::Pending]).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "instanceId": key.instance, "resumed": true })),
    ))
}

async fn cancel(State(api): State<Arc<Api>>, tenant: Tenant, Path(id): Path<String>) -> Reply {
    let key = tenant.key(id);
    live_status(&api, &key).await?;
    let store = api.core.store();
    if api.core.is_running(&key) {
        store.request_control(&key, Control::Cancel).await?;
        return Ok((
            StatusCode::ACCEPTED,
            Json(json!({ "instanceId": key.instance, "requested": "cancel" })),
        ));
    }
    // Not running (paused, sleeping, pending): nothing to stop, it ends now.
    let error = json!({
        "code": runtara_runtime::CANCELLED,
        "message": format!("{key} was cancelled while it was not running"),
        "category": "permanent",
    });
    store
        .set_status(&key, Status::Cancelled, Some(&error))
        .await?;
    Ok((
        StatusCode::OK,
        Json(json!({ "instanceId": key.instance, "cancelled": true })),
    ))
}

async fn signal(
    State(api): State<Arc<Api>>,
    tenant: Tenant,
    Path((id, signal_id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    let key = tenant.key(id);
    live_status(&api, &key).await?;
    let payload: Value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_PAYLOAD",
                format!("the signal payload is not JSON: {e}"),
            )
        })?
    };
    api.core
        .store()
        .send_signal(&key, &signal_id, &payload)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "instanceId": key.instance, "signalId": signal_id })),
    ))
}
