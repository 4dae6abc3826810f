//! The tenant's connections, under `/api/v1/connections` ([`crate::Connections`]):
//!
//! | route | what |
//! |---|---|
//! | `POST /connections` | create one: its fields and `secret` ([`ConnectionFields`]) |
//! | `GET /connections` | the tenant's connections, without secrets |
//! | `GET /connections/{id}` | one, without its secret |
//! | `PUT /connections/{id}/secret` | rotate: `{"secret": "..."}` |
//! | `DELETE /connections/{id}` | delete it |
//!
//! Secrets are sealed with the core's connections key before they reach the store
//! and are never sent back. A core started without a key answers these routes
//! with 503 `NO_CONNECTIONS_KEY`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use serde::Deserialize;
use serde_json::json;

use runtara_connections::{ConnectionFields, ConnectionsKey, Secret};

use crate::api::{Api, ApiError, Body, Reply, Tenant};
use crate::connections::{Connections, ConnectionsError};

pub(super) fn routes() -> axum::Router<Arc<Api>> {
    axum::Router::new()
        .route("/api/v1/connections", get(list).post(create))
        .route(
            "/api/v1/connections/{connection_id}",
            get(read).delete(delete),
        )
        .route("/api/v1/connections/{connection_id}/secret", put(rotate))
}

/// The core's connections, or why these routes cannot be served.
fn connections(api: &Api) -> Result<Connections<'_>, ApiError> {
    let key = api.core.connections_key().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "NO_CONNECTIONS_KEY",
            format!(
                "this core keeps no connections: start it with --connections-key-file FILE or {}",
                ConnectionsKey::ENV
            ),
        )
    })?;
    Ok(Connections {
        store: api.core.store(),
        key,
    })
}

impl From<ConnectionsError> for ApiError {
    fn from(error: ConnectionsError) -> Self {
        let (status, code) = match &error {
            ConnectionsError::Invalid { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "INVALID_CONNECTION")
            }
            ConnectionsError::Exists { .. } => (StatusCode::CONFLICT, "CONNECTION_EXISTS"),
            ConnectionsError::NotFound { .. } => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            ConnectionsError::Corrupt { .. }
            | ConnectionsError::Key(_)
            | ConnectionsError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "STORE_ERROR"),
        };
        ApiError::new(status, code, error.to_string())
    }
}

async fn create(State(api): State<Arc<Api>>, tenant: Tenant, body: Body) -> Reply {
    let connections = connections(&api)?;
    let fields: ConnectionFields = body.json(
        r#"{"id": "...", "kind": "bearer|basic|api-key|oauth2-client-credentials|sftp", "baseUrl"|"hosts": ..., "secret": "...", ...}"#,
    )?;
    let created = connections.create(&tenant.0, &fields).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn list(State(api): State<Arc<Api>>, tenant: Tenant) -> Reply {
    let listed = connections(&api)?.list(&tenant.0).await?;
    Ok((StatusCode::OK, Json(json!({ "connections": listed }))))
}

async fn read(State(api): State<Arc<Api>>, tenant: Tenant, Path(id): Path<String>) -> Reply {
    let connection = connections(&api)?.get(&tenant.0, &id).await?;
    Ok((StatusCode::OK, Json(connection)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSecret {
    secret: Secret,
}

async fn rotate(
    State(api): State<Arc<Api>>,
    tenant: Tenant,
    Path(id): Path<String>,
    body: Body,
) -> Reply {
    let connections = connections(&api)?;
    let NewSecret { secret } = body.json(r#"{"secret": "..."}"#)?;
    let rotated = connections.rotate(&tenant.0, &id, &secret).await?;
    Ok((StatusCode::OK, Json(rotated)))
}

async fn delete(State(api): State<Arc<Api>>, tenant: Tenant, Path(id): Path<String>) -> Reply {
    connections(&api)?.delete(&tenant.0, &id).await?;
    Ok((StatusCode::OK, Json(json!({ "deleted": id }))))
}
