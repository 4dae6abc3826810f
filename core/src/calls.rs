//! What the core does for each call a workflow run outside it makes on its
//! instance (the operations of `runtara:durable/context`, [`Call`]), whichever
//! way it arrives: HTTP from the `durable-http` adapter (`adapter_api`), QUIC from
//! native binaries (`quic`). The answer is the reply body both send.
//!
//! `register` creates the instance when the tenant has none by that id (its input
//! stays unknown to the core: the workflow reads it itself). The other calls need
//! an instance registered so, still live: an instance the core runs from an
//! uploaded component takes no outside calls.
//!
//! `register` answers with the first page of the instance's checkpoints, and
//! `checkpoints` with the pages after it, each of at most [`MAX_PAGE_BYTES`] (or
//! one checkpoint), so that no reply grows with the length of a run: a client
//! reads pages until one has no `next`. A checkpoint over
//! [`MAX_CHECKPOINT_BYTES`] is refused, since no page could carry it back.

use axum::http::StatusCode;
use runtara_protocol::{
    Call, Checkpointed, ControlSignal, MAX_CHECKPOINT_BYTES, MAX_PAGE_BYTES, Polled, ReplayPage,
    Saved, Slept, Taken,
};
use serde_json::{Value, json};

use crate::api::{ApiError, live_instance};
use crate::executor::Core;
use crate::request_limits;
use runtara_store::{CheckpointPage, Control, InstanceKey};

/// Does `call` for the instance `key`; see the module documentation.
pub(super) async fn handle(core: &Core, key: &InstanceKey, call: Call) -> Result<Value, ApiError> {
    request_limits::check_call(key, &call)?;
    let store = core.store();
    if call == Call::Register {
        store.create_instance(key, &Value::Null, None).await?;
    }
    outside_instance(core, key).await?;
    Ok(match call {
        Call::Register => reply(replay_page(
            store.register_paged(key, MAX_PAGE_BYTES).await?,
        )),
        Call::Checkpoints { after } => {
            let after = i64::try_from(after).map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "INVALID_CURSOR",
                    format!(
                        "`after` is {after}: a page's `next` is at most {}",
                        i64::MAX
                    ),
                )
            })?;
            let page = store.checkpoint_page(key, after, MAX_PAGE_BYTES).await?;
            reply(replay_page(page))
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
            let bytes = checkpoint_id.len() + json_len(&state);
            if bytes > MAX_CHECKPOINT_BYTES {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "CHECKPOINT_TOO_LARGE",
                    format!(
                        "checkpoint '{checkpoint_id}' takes {bytes} bytes as JSON, more than the \
                         {MAX_CHECKPOINT_BYTES} a resumed run could read back"
                    ),
                ));
            }
            let saved = store.checkpoint(key, None, &checkpoint_id, &state).await?;
            reply(Checkpointed {
                existing_state: saved.existing,
                should_pause: saved.control == Some(Control::Pause),
                should_cancel: saved.control == Some(Control::Cancel),
            })
        }
        Call::PollSignal => {
            let control = store.pending_control(key).await?;
            reply(Polled {
                signal: control.map(|kind| ControlSignal {
                    kind,
                    payload: None,
                }),
            })
        }
        Call::TakeSignal { signal_id } => {
            let payload = store.take_signal(key, None, &signal_id).await?;
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
                .durable_sleep(key, None, &checkpoint_id, duration_ms)
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
            store.complete(key, None, &output).await?;
            Value::Null
        }
        Call::Failed { error } => {
            store.fail(key, None, &error).await?;
            Value::Null
        }
        Call::Suspended => json!({ "status": store.suspend(key).await? }),
    })
}

/// A page of checkpoints as the protocol sends it.
fn replay_page(page: CheckpointPage) -> ReplayPage {
    ReplayPage {
        checkpoints: page
            .checkpoints
            .into_iter()
            .map(|(id, state)| Saved { id, state })
            .collect(),
        // Sequence numbers start at 1: never negative.
        next: page.next.map(|next| next.unsigned_abs()),
    }
}

/// The length of `value` written as JSON, without writing it anywhere.
fn json_len(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).expect("a JSON value serializes");
    count.0
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
