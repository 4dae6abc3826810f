//! What a request to the core may carry: bodies sized to what each route takes,
//! and ids (tenant, instance, component, signal, checkpoint) of a bounded length,
//! checked the same way on every route, HTTP or QUIC.

use axum::extract::{RawPathParams, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use runtara_protocol::Call;

use crate::api::ApiError;
use runtara_store::InstanceKey;

/// A component upload: composed apps are a few MB; generous, but bounded.
pub(super) const MAX_COMPONENT_BYTES: usize = 256 << 20;
/// Bodies that carry workflow data: an instance's input, a signal's payload, a
/// checkpoint's state, a run's output or error, a log event. The `durable-http`
/// adapter reads replies of up to 16 MiB (`runtara_protocol::MAX_MESSAGE_BYTES`);
/// a checkpoint's state is held to less, `runtara_protocol::MAX_CHECKPOINT_BYTES`,
/// so that a replay page holding it still fits in one reply.
pub(super) const MAX_DATA_BYTES: usize = 16 << 20;
/// Every other route: a few small fields (a checkpoint id and a duration), or none.
pub(super) const MAX_CONTROL_BYTES: usize = 64 << 10;

/// The longest tenant, instance or component id.
pub(super) const MAX_ID_BYTES: usize = 256;
/// The longest signal or checkpoint id: a step's place in a run (`each[2].approve`),
/// which grows with nested loops.
pub(super) const MAX_STEP_ID_BYTES: usize = 1024;

/// The body limit of an instance call of the `durable-http` adapter.
pub(super) fn call_body_limit(call: &str) -> usize {
    match call {
        "checkpoint" | "completed" | "failed" | "log" => MAX_DATA_BYTES,
        _ => MAX_CONTROL_BYTES,
    }
}

/// Refuses an id (`what` names its kind in the error) that is empty or longer than
/// `max` bytes.
pub(super) fn check_id(what: &str, id: &str, max: usize) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > max {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_ID",
            format!("the {what} has {} bytes; it may have 1 to {max}", id.len()),
        ));
    }
    Ok(())
}

/// Checks the ids of an instance call, whichever way it came (HTTP or QUIC).
pub(super) fn check_call(key: &InstanceKey, call: &Call) -> Result<(), ApiError> {
    check_id("tenant id", &key.tenant, MAX_ID_BYTES)?;
    check_id("instance id", &key.instance, MAX_ID_BYTES)?;
    match call {
        Call::TakeSignal { signal_id } => check_id("signal id", signal_id, MAX_STEP_ID_BYTES),
        Call::Checkpoint { checkpoint_id, .. } | Call::DurableSleep { checkpoint_id, .. } => {
            check_id("checkpoint id", checkpoint_id, MAX_STEP_ID_BYTES)
        }
        _ => Ok(()),
    }
}

/// Middleware on every HTTP route: the ids in its path and the tenant header.
pub(super) async fn check_request_ids(
    params: RawPathParams,
    request: Request,
    next: Next,
) -> Response {
    let tenant = request
        .headers()
        .get("x-runtara-tenant-id")
        .map(|value| value.as_bytes());
    if let Some(tenant) = tenant
        && tenant.len() > MAX_ID_BYTES
    {
        let error = ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_ID",
            format!(
                "the tenant id has {} bytes; it may have 1 to {MAX_ID_BYTES}",
                tenant.len()
            ),
        );
        return error.into_response();
    }
    for (name, value) in &params {
        let checked = match name {
            "signal_id" => check_id("signal id", value, MAX_STEP_ID_BYTES),
            "id" => check_id("instance id", value, MAX_ID_BYTES),
            "connection_id" => check_id("connection id", value, MAX_ID_BYTES),
            other => check_id(other, value, MAX_ID_BYTES),
        };
        if let Err(error) = checked {
            return error.into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_of_an_instance_call_is_bounded() {
        let key = |tenant: &str, instance: &str| InstanceKey::new(tenant, instance);
        let fine = key("acme", "order-1");
        assert!(check_call(&fine, &Call::Register).is_ok());
        let long = "x".repeat(MAX_ID_BYTES + 1);
        let step = "s".repeat(MAX_STEP_ID_BYTES + 1);
        let refused = [
            (key(&long, "order-1"), Call::Register, "tenant id"),
            (key("acme", &long), Call::PollSignal, "instance id"),
            (key("acme", ""), Call::Register, "instance id"),
            (
                fine.clone(),
                Call::TakeSignal {
                    signal_id: step.clone(),
                },
                "signal id",
            ),
            (
                fine.clone(),
                Call::Checkpoint {
                    checkpoint_id: step,
                    state: serde_json::json!({}),
                },
                "checkpoint id",
            ),
        ];
        for (key, call, what) in refused {
            let error = runtara_protocol::CallError::from(check_call(&key, &call).unwrap_err());
            assert_eq!((error.status, error.code.as_str()), (400, "INVALID_ID"));
            assert!(
                error.message.starts_with(&format!("the {what} has ")),
                "{}",
                error.message
            );
        }
    }
}
