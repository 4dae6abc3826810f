//! The host's own provider of `runtara:durable/context`: one instance's
//! checkpoints, pause/cancel requests, signals, sleeps and events, kept in the
//! state store. A component composed with `--durable host` imports the interface
//! and the host satisfies it here.

use std::time::Duration;

use serde_json::Value;

use crate::bindings::runtara::durable::context::{
    CheckpointResult, Host, LogLevel, SavedCheckpoint, Signal, SignalKind, SleepOutcome,
};
use crate::state::HostState;
use crate::store::{InstanceKey, Status, Store, StoreError, now_ms};
use runtara_runtime::Control;

/// The instance a run belongs to, and where its state is kept.
#[derive(Debug, Clone)]
pub struct DurableInstance {
    pub store: Store,
    pub key: InstanceKey,
    /// A durable sleep with more than this left suspends the instance (for the core to
    /// wake it); `None` waits in place, whatever the length.
    pub suspend_sleeps_over: Option<Duration>,
}

impl HostState {
    fn instance(&self) -> wasmtime::Result<&DurableInstance> {
        self.durable.as_ref().ok_or_else(|| {
            wasmtime::Error::msg(
                "the component asked the host for runtara:durable/context, but this run has no instance",
            )
        })
    }
}

/// A store failure the workflow can be told about (the call returns an error).
fn told(error: StoreError) -> String {
    error.to_string()
}

/// A store failure that must stop the run (nothing to report it to).
fn trap(error: StoreError) -> wasmtime::Error {
    wasmtime::Error::msg(error.to_string())
}

fn json(what: &str, text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("the {what} is not JSON: {e}"))
}

impl Host for HostState {
    async fn register(&mut self) -> wasmtime::Result<Result<Vec<SavedCheckpoint>, String>> {
        let DurableInstance { store, key, .. } = self.instance()?.clone();
        let registered = async {
            store.set_status(&key, Status::Running, None).await?;
            store.checkpoints(&key).await
        };
        Ok(registered.await.map_err(told).map(|saved| {
            saved
                .into_iter()
                .map(|(id, state)| SavedCheckpoint {
                    id,
                    state: state.to_string(),
                })
                .collect()
        }))
    }

    async fn checkpoint(
        &mut self,
        id: String,
        state: String,
    ) -> wasmtime::Result<Result<CheckpointResult, String>> {
        let DurableInstance { store, key, .. } = self.instance()?.clone();
        let state = match json("checkpoint state", &state) {
            Ok(state) => state,
            Err(e) => return Ok(Err(e)),
        };
        let saved = async {
            let existing = store.save_checkpoint(&key, &id, &state).await?;
            let control = store.pending_control(&key).await?;
            Ok::<_, StoreError>(CheckpointResult {
                existing_state: existing.map(|s| s.to_string()),
                should_pause: control == Some(Control::Pause),
                should_cancel: control == Some(Control::Cancel),
            })
        };
        Ok(saved.await.map_err(told))
    }

    async fn poll_signal(&mut self) -> wasmtime::Result<Option<Signal>> {
        let DurableInstance { store, key, .. } = self.instance()?.clone();
        let control = store.pending_control(&key).await.map_err(trap)?;
        Ok(control.map(|control| Signal {
            kind: match control {
                Control::Pause => SignalKind::Pause,
                Control::Cancel => SignalKind::Cancel,
            },
            payload: None,
        }))
    }

    async fn take_signal(
        &mut self,
        signal_id: String,
    ) -> wasmtime::Result<Result<Option<String>, String>> {
        let DurableInstance { store, key, .. } = self.instance()?.clone();
        let taken = store.take_signal(&key, &signal_id).await;
        Ok(taken
            .map(|payload| payload.map(|p| p.to_string()))
            .map_err(told))
    }

    /// Waits in place for what is left of the sleep, or suspends the instance when more
    /// than `suspend_sleeps_over` is left. Either way a restarted instance waits only
    /// the remainder: the end of the sleep was recorded when it was first asked.
    async fn sleep(
        &mut self,
        duration_ms: u64,
        checkpoint_id: String,
    ) -> wasmtime::Result<Result<SleepOutcome, String>> {
        let DurableInstance {
            store,
            key,
            suspend_sleeps_over,
        } = self.instance()?.clone();
        let wake_at = now_ms().saturating_add(i64::try_from(duration_ms).unwrap_or(i64::MAX));
        let wake_at = match store.sleep_until(&key, &checkpoint_id, wake_at).await {
            Ok(wake_at) => wake_at,
            Err(e) => return Ok(Err(told(e))),
        };
        let left =
            Duration::from_millis(u64::try_from(wake_at.saturating_sub(now_ms())).unwrap_or(0));
        if suspend_sleeps_over.is_some_and(|limit| left > limit) {
            return Ok(Ok(SleepOutcome::Suspend));
        }
        tokio::time::sleep(left).await;
        Ok(Ok(SleepOutcome::Done))
    }

    async fn log(
        &mut self,
        level: LogLevel,
        message: String,
        context: String,
    ) -> wasmtime::Result<()> {
        let DurableInstance { store, key, .. } = self.instance()?.clone();
        let level = match level {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        };
        let context = serde_json::from_str(&context).unwrap_or(Value::String(context));
        store
            .log_event(&key, level, &message, &context)
            .await
            .map_err(trap)
    }

    async fn completed(&mut self, output: String) -> wasmtime::Result<()> {
        let DurableInstance { store, key, .. } = self.instance()?.clone();
        let output = serde_json::from_str(&output).unwrap_or(Value::String(output));
        store
            .set_status(&key, Status::Completed, Some(&output))
            .await
            .map_err(trap)
    }

    async fn failed(&mut self, error: String) -> wasmtime::Result<()> {
        let DurableInstance { store, key, .. } = self.instance()?.clone();
        let error = serde_json::from_str(&error).unwrap_or(Value::String(error));
        let status = if error["code"] == runtara_runtime::CANCELLED {
            Status::Cancelled
        } else {
            Status::Failed
        };
        store
            .set_status(&key, status, Some(&error))
            .await
            .map_err(trap)
    }

    async fn suspended(&mut self) -> wasmtime::Result<()> {
        let DurableInstance { store, key, .. } = self.instance()?.clone();
        store.suspend(&key).await.map(|_| ()).map_err(trap)
    }
}
