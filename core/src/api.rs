//! The core's HTTP API (management routes), under `/api/v1`:
//!
//! | route | what |
//! |---|---|
//! | `PUT /components` | upload a composed component (`--durable host`); returns its digest |
//! | `POST /instances` | start one: `{component, input, instanceId?}` |
//! | `GET /instances?limit=N&cursor=C` | the tenant's instances, a page at a time ([`super::listing`]) |
//! | `GET /instances/{id}` | status, input, output, error |
//! | `GET /nodes` | the live cores on this store and how many instances each runs (a token for every tenant) |
//! | `GET /instances/{id}/history` | finished steps and events, in order |
//! | `POST /instances/{id}/pause`, `/resume`, `/cancel` | stop at the next checkpoint, go on, end |
//! | `POST /instances/{id}/signals/{signal_id}` | answer a WaitForSignal step (body: the payload); 409 once the step took one |
//!
//! The tenant's connections (credentials for Agent steps) are under
//! `/connections`, in [`super::connections_api`].
//!
//! The instance routes that the `durable-http` adapter calls, for a component run
//! elsewhere (`wasmtime run -S http`), are in [`super::adapter_api`]; `/healthz`
//! and `/readyz`, which need no token, in [`super::health`].
//!
//! Every request names its tenant (`X-Runtara-Tenant-Id`) and carries a token
//! allowed for it (`Authorization: Bearer`); an instance of another tenant does
//! not exist for it. Errors are `{"error": {"code", "message"}}`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::adapter_api;
use crate::auth::{Refusal, Tokens};
use crate::connections_api;
use crate::executor::Core;
use crate::health;
use crate::listing;
use crate::request_limits::{
    MAX_COMPONENT_BYTES, MAX_CONTROL_BYTES, MAX_DATA_BYTES, MAX_ID_BYTES, check_id,
    check_request_ids,
};
use runtara_store::{Control, Instance, InstanceKey, SignalDelivery, Status, StoreError, now_ms};

pub(super) struct Api {
    pub(super) core: Arc<Core>,
    tokens: Tokens,
}

/// The router, ready to serve.
pub fn router(core: Arc<Core>, tokens: Tokens) -> Router {
    let api = Arc::new(Api { core, tokens });
    let data = DefaultBodyLimit::max(MAX_DATA_BYTES);
    Router::new()
        .route(
            "/api/v1/components",
            put(upload).layer(DefaultBodyLimit::max(MAX_COMPONENT_BYTES)),
        )
        .route(
            "/api/v1/instances",
            post(start).layer(data).get(listing::list),
        )
        .route("/api/v1/nodes", get(nodes))
        .route("/api/v1/instances/{id}", get(read))
        .route("/api/v1/instances/{id}/history", get(history))
        .route("/api/v1/instances/{id}/pause", post(pause))
        .route("/api/v1/instances/{id}/resume", post(resume))
        .route("/api/v1/instances/{id}/cancel", post(cancel))
        .route(
            "/api/v1/instances/{id}/signals/{signal_id}",
            post(signal).layer(data).delete(adapter_api::take_signal),
        )
        .merge(adapter_api::routes())
        .merge(connections_api::routes())
        .merge(health::routes())
        .route_layer(axum::middleware::from_fn(check_request_ids))
        .layer(DefaultBodyLimit::max(MAX_CONTROL_BYTES))
        .with_state(api)
}

/// An error response.
pub(super) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub(super) fn no_instance(key: &InstanceKey) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("there is no {key}"),
        )
    }
}

impl ApiError {
    /// A request whose token or tenant was refused.
    pub(super) fn refused(refusal: Refusal) -> Self {
        match refusal {
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
        }
    }
}

/// The same refusal, as the QUIC endpoint sends it.
impl From<ApiError> for runtara_protocol::CallError {
    fn from(error: ApiError) -> Self {
        Self {
            status: error.status.as_u16(),
            code: error.code.to_owned(),
            message: error.message,
        }
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
pub(super) struct Tenant(pub(super) String);

impl FromRequestParts<Arc<Api>> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, api: &Arc<Api>) -> Result<Self, ApiError> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        api.tokens
            .authorize(header("authorization"), header("x-runtara-tenant-id"))
            .map(Tenant)
            .map_err(ApiError::refused)
    }
}

impl Tenant {
    pub(super) fn key(&self, instance: String) -> InstanceKey {
        InstanceKey::new(self.0.clone(), instance)
    }
}

pub(super) type Reply = Result<(StatusCode, Json<Value>), ApiError>;

/// A request body read whole; one that cannot be (cut short, too large) is refused
/// in the API's error shape before anything is done.
pub(super) struct Body(pub(super) Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(request, state)
            .await
            .map(Body)
            .map_err(|rejection| {
                ApiError::new(
                    rejection.status(),
                    "UNREADABLE_BODY",
                    format!("cannot read the request body: {}", rejection.body_text()),
                )
            })
    }
}

impl Body {
    /// The body as JSON of type `T`; `expected` shows the shape in the error.
    pub(super) fn json<T: serde::de::DeserializeOwned>(
        &self,
        expected: &str,
    ) -> Result<T, ApiError> {
        serde_json::from_slice(&self.0).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                format!("expected {expected}: {e}"),
            )
        })
    }
}

async fn upload(State(api): State<Arc<Api>>, tenant: Tenant, Body(body): Body) -> Reply {
    let (core, bytes) = (api.core.clone(), body.clone());
    let checked = tokio::task::spawn_blocking(move || core.check_component(&bytes))
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                format!("checking the component stopped: {e}"),
            )
        })?;
    let component = checked.map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_COMPONENT",
            e.to_string(),
        )
    })?;
    let digest = api.core.store().save_component(&tenant.0, &body).await?;
    api.core.keep_compiled(&tenant.0, &digest, component);
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

async fn start(State(api): State<Arc<Api>>, tenant: Tenant, body: Body) -> Reply {
    let request: StartRequest =
        body.json(r#"{"component": "sha256:...", "input": {...}, "instanceId"?: "..."}"#)?;
    check_id("component", &request.component, MAX_ID_BYTES)?;
    if let Some(id) = &request.instance_id {
        check_id("instanceId", id, MAX_ID_BYTES)?;
    }
    let store = api.core.store();
    // Kept compiled only once uploaded: then the store need not be asked.
    let uploaded = api.core.has_compiled(&tenant.0, &request.component)
        || store.has_component(&tenant.0, &request.component).await?;
    if !uploaded {
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
    api.core.start(key.clone(), &[Status::Pending]);
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "instanceId": key.instance })),
    ))
}

/// The live cores on this store (those that beat within a lease's duration), each
/// with how many instances it runs; for a token allowed for every tenant, since
/// the counts span tenants.
async fn nodes(State(api): State<Arc<Api>>, headers: axum::http::HeaderMap) -> Reply {
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok());
    api.tokens
        .authorize_operator(authorization)
        .map_err(|refusal| match refusal {
            Refusal::Forbidden => ApiError::new(
                StatusCode::FORBIDDEN,
                "FORBIDDEN",
                "the node list needs a token allowed for every tenant (RUNTARA_TOKEN, or `*` in the tokens file)",
            ),
            other => ApiError::refused(other),
        })?;
    let lease = i64::try_from(api.core.lease_duration().as_millis()).unwrap_or(i64::MAX);
    let nodes = api
        .core
        .store()
        .nodes(now_ms().saturating_sub(lease))
        .await?;
    Ok((
        StatusCode::OK,
        Json(json!({ "self": api.core.node(), "nodes": nodes })),
    ))
}

fn new_instance_id() -> String {
    uuid::Uuid::new_v4().to_string()
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

/// The instance; 404 when the tenant has none by that id, 409 once it ended.
pub(super) async fn live_instance(core: &Core, key: &InstanceKey) -> Result<Instance, ApiError> {
    let instance = core
        .store()
        .instance(key)
        .await?
        .ok_or_else(|| ApiError::no_instance(key))?;
    if instance.status.is_final() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "INSTANCE_ENDED",
            format!("{key} has ended ({})", instance.status.as_str()),
        ));
    }
    Ok(instance)
}

async fn pause(State(api): State<Arc<Api>>, tenant: Tenant, Path(id): Path<String>) -> Reply {
    let key = tenant.key(id);
    live_instance(&api.core, &key).await?;
    let store = api.core.store();
    store.request_control(&key, Control::Pause).await?;
    // Sleeping (in a durable sleep or waiting for a signal): it pauses now. The
    // request was written first, so a run suspending meanwhile sees it instead.
    if store.pause_sleeping(&key).await? {
        return Ok((
            StatusCode::OK,
            Json(json!({ "instanceId": key.instance, "paused": true })),
        ));
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "instanceId": key.instance, "requested": "pause" })),
    ))
}

async fn resume(State(api): State<Arc<Api>>, tenant: Tenant, Path(id): Path<String>) -> Reply {
    let key = tenant.key(id);
    let instance = live_instance(&api.core, &key).await?;
    if instance.status != Status::Paused {
        return Ok((
            StatusCode::OK,
            Json(json!({ "instanceId": key.instance, "resumed": false })),
        ));
    }
    api.core
        .store()
        .set_status(&key, Status::Pending, None)
        .await?;
    if instance.component.is_none() {
        // Run by an adapter elsewhere: it goes on when its component runs again.
        return Ok((
            StatusCode::OK,
            Json(json!({
                "instanceId": key.instance,
                "resumed": true,
                "note": "this instance runs outside the core (a durable-http component or a native binary): run it again to continue",
            })),
        ));
    }
    api.core.start(key.clone(), &[Status::Pending]);
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "instanceId": key.instance, "resumed": true })),
    ))
}

async fn cancel(State(api): State<Arc<Api>>, tenant: Tenant, Path(id): Path<String>) -> Reply {
    let key = tenant.key(id);
    live_instance(&api.core, &key).await?;
    let store = api.core.store();
    // A run, on this core, another or outside any, ends at its next checkpoint, or
    // when it suspends. The request is written first, so an instance that no run
    // holds, or that one suspended meanwhile, is found idle below and ends now.
    store.request_control(&key, Control::Cancel).await?;
    let error = json!({
        "code": runtara_protocol::CANCELLED,
        "message": format!("{key} was cancelled while it was not running"),
        "category": "permanent",
    });
    if store.cancel_idle(&key, &error).await? {
        return Ok((
            StatusCode::OK,
            Json(json!({ "instanceId": key.instance, "cancelled": true })),
        ));
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "instanceId": key.instance, "requested": "cancel" })),
    ))
}

async fn signal(
    State(api): State<Arc<Api>>,
    tenant: Tenant,
    Path((id, signal_id)): Path<(String, String)>,
    Body(body): Body,
) -> Reply {
    let key = tenant.key(id);
    let instance = live_instance(&api.core, &key).await?;
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
    let delivery = api
        .core
        .store()
        .send_signal(&key, &signal_id, &payload)
        .await?;
    if delivery == SignalDelivery::AlreadyTaken {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "SIGNAL_ALREADY_TAKEN",
            format!(
                "the step waiting for signal '{signal_id}' of {key} already took a signal; \
                 this one would never be seen"
            ),
        ));
    }
    if instance.component.is_some() {
        // A run suspended in a WaitForSignal step goes on now. Claiming reads the
        // status after the signal was written (see `Store::suspend_until`); an
        // instance that is not sleeping stays as it is.
        api.core.start(key.clone(), &[Status::Sleeping]);
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "instanceId": key.instance, "signalId": signal_id })),
    ))
}
