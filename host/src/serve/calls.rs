//! What the core does for each call a workflow run outside it makes on its
//! instance (the operations of `runtara:durable/context`, [`Call`]), whichever
//! way it arrives: HTTP from the `durable-http` adapter (`adapter_api`), QUIC from
//! native binaries (`quic`). The answer is the reply body both send.
//!
//! `register` creates the instance when the tenant has none by that id (its input
//! stays unknown to the core: the workflow reads it itself). The other calls need
//! an instance registered so, still live: an instance the core runs from an
//! uploaded component takes no outside calls.

use axum::http::StatusCode;
use runtara_protocol::{
    Call, Checkpointed, ControlKind, ControlSignal, Polled, Registered, Saved, Slept, Taken,
};
use serde_json::{Value, json};

use super::api::{ApiError, live_instance};
use super::core::Core;
use crate::store::{Control, InstanceKey};

/// The longest instance id `register` accepts.
const MAX_INSTANCE_ID_BYTES: usize = 256;

/// Does `call` for the instance `key`; see the module documentation.
pub(super) async fn handle(core: &Core, key: &InstanceKey, call: Call) -> Result<Value, ApiError> {
    let store = core.store();
    if call == Call::Register {
        if key.instance.is_empty() || key.instance.len() > MAX_INSTANCE_ID_BYTES {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_INSTANCE_ID",
                format!("an instance id has 1 to {MAX_INSTANCE_ID_BYTES} bytes"),
            ));
        }
        store.create_instance(key, &Value::Null, None).await?;
    }
    outside_instance(core, key).await?;
    Ok(match call {
        Call::Register => {
            let checkpoints = store.register(key).await?;
            reply(Registered {
                checkpoints: checkpoints
                    .into_iter()
                    .map(|(id, state)| Saved { id, state })
                    .collect(),
            })
        }
        Call::Checkpoint {
            checkpoint_id,
            state,
        } => {
            if !state.is_object() {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "INVALID_STATE",
                    "a checkpoint's state is a JSON object (what the workflow runtime saves)",
                ));
            }
            let saved = store.checkpoint(key, &checkpoint_id, &state).await?;
            reply(Checkpointed {
                existing_state: saved.existing,
                should_pause: saved.control == Some(Control::Pause),
                should_cancel: saved.control == Some(Control::Cancel),
            })
        }
        Call::PollSignal => {
            let control = store.pending_control(key).await?;
            reply(Polled {
                signal: control.map(|control| ControlSignal {
                    kind: match control {
                        Control::Pause => ControlKind::Pause,
                        Control::Cancel => ControlKind::Cancel,
                    },
                    payload: None,
                }),
            })
        }
        Call::TakeSignal { signal_id } => {
            let payload = store.take_signal(key, &signal_id).await?;
            reply(Taken {
                arrived: payload.is_some(),
                payload: payload.unwrap_or(Value::Null),
            })
        }
        Call::DurableSleep {
            checkpoint_id,
            duration_ms,
        } => {
            let sleep = store
                .durable_sleep(key, &checkpoint_id, duration_ms)
                .await?;
            reply(Slept {
                wake_at: sleep.wake_at,
                remaining_ms: u64::try_from(sleep.left.as_millis()).unwrap_or(u64::MAX),
            })
        }
        Call::Log {
            level,
            message,
            context,
        } => {
            store
                .log_event(key, level.as_str(), &message, &context)
                .await?;
            Value::Null
        }
        Call::Completed { output } => {
            store.complete(key, &output).await?;
            Value::Null
        }
        Call::Failed { error } => {
            store.fail(key, &error).await?;
            Value::Null
        }
        Call::Suspended => json!({ "status": store.suspend(key).await? }),
    })
}

/// A reply body as JSON.
fn reply(body: impl serde::Serialize) -> Value {
    serde_json::to_value(body).expect("a reply serializes")
}

/// The live instance registered from outside; other instances refuse the calls.
async fn outside_instance(core: &Core, key: &InstanceKey) -> Result<(), ApiError> {
    let instance = live_instance(core, key).await?;
    if instance.component.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "RUN_BY_CORE",
            format!("{key} runs in the core from an uploaded component; it takes no outside calls"),
        ));
    }
    Ok(())
}
