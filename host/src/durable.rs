//! The host's own provider of `runtara:durable/context`: one instance's
//! checkpoints, pause/cancel requests, signals, sleeps and events, kept in the
//! state store. A component composed with `--durable host` imports the interface
//! and the host satisfies it here.

use std::time::Duration;

use serde_json::Value;

use crate::bindings::runtara::durable::context::{
    CheckpointResult, Host, LogLevel, SavedCheckpoint, Signal, SignalKind, SignalWait, SleepOutcome,
};
use crate::state::HostState;
use crate::store::{Fence, InstanceKey, Store, StoreError, json_or_text};
use runtara_runtime::Control;

/// The instance a run belongs to, and where its state is kept.
#[derive(Debug, Clone)]
pub struct DurableInstance {
    pub store: Store,
    pub key: InstanceKey,
    /// A durable sleep with more than this left suspends the instance (for the core to
    /// wake it), and so does a wait for a signal; `None` waits in place, whatever the
    /// length, and polls for signals.
    pub suspend_sleeps_over: Option<Duration>,
    /// What wakes the instance if this run suspends.
    wake: Wake,
    /// What registering the run asks of the store.
    registration: Registration,
    /// The run's fencing number, when a core claimed it: its writes carry it, and a
    /// refused one stops the run.
    fence: Option<Fence>,
}

/// What registering a run asks of the store.
#[derive(Debug, Clone, Copy)]
enum Registration {
    /// Mark the instance running and read its checkpoints.
    Full,
    /// The instance was claimed for this run (see [`DurableInstance::claimed`]):
    /// it is running already, and its checkpoints are read only if it has any.
    Claimed { has_checkpoints: bool },
}

/// What wakes a suspended instance: the earliest end of the sleeps and signal
/// timeouts this run was told to suspend in (none: only a signal), and the signals
/// it waits for.
#[derive(Debug, Clone, Default)]
struct Wake {
    at: Option<i64>,
    signals: Vec<String>,
}

impl Wake {
    fn at_the_latest(&mut self, at: i64) {
        self.at = Some(self.at.map_or(at, |earlier| earlier.min(at)));
    }
}

impl DurableInstance {
    pub fn new(store: Store, key: InstanceKey, suspend_sleeps_over: Option<Duration>) -> Self {
        Self {
            store,
            key,
            suspend_sleeps_over,
            wake: Wake::default(),
            registration: Registration::Full,
            fence: None,
        }
    }

    /// This run's instance was claimed for it ([`Store::claim`]): it is running
    /// already, and has checkpoints to replay only if `has_checkpoints`. So the run
    /// registers without a round trip to the store when it starts afresh. Its
    /// writes carry `fence`.
    pub fn claimed(mut self, has_checkpoints: bool, fence: Fence) -> Self {
        self.registration = Registration::Claimed { has_checkpoints };
        self.fence = Some(fence);
        self
    }
}

impl HostState {
    fn instance(&self) -> wasmtime::Result<&DurableInstance> {
        self.durable.as_ref().ok_or_else(no_instance)
    }

    fn wake(&mut self) -> wasmtime::Result<&mut Wake> {
        Ok(&mut self.durable.as_mut().ok_or_else(no_instance)?.wake)
    }
}

fn no_instance() -> wasmtime::Error {
    wasmtime::Error::msg(
        "the component asked the host for runtara:durable/context, but this run has no instance",
    )
}

/// A store failure the workflow can be told about (the call returns an error),
/// as the call's result; a refused write of a run that lost its instance to
/// another core stops the run instead.
fn told<T>(error: StoreError) -> wasmtime::Result<Result<T, String>> {
    match error {
        StoreError::Fenced { .. } => Err(trap(error)),
        error => Ok(Err(error.to_string())),
    }
}

/// A store failure that must stop the run (nothing to report it to).
fn trap(error: StoreError) -> wasmtime::Error {
    wasmtime::Error::msg(error.to_string())
}

impl Host for HostState {
    async fn register(&mut self) -> wasmtime::Result<Result<Vec<SavedCheckpoint>, String>> {
        let DurableInstance {
            store,
            key,
            registration,
            ..
        } = self.instance()?.clone();
        let saved = match registration {
            Registration::Full => store.register(&key).await,
            Registration::Claimed {
                has_checkpoints: true,
            } => store.checkpoints(&key).await,
            Registration::Claimed {
                has_checkpoints: false,
            } => Ok(Vec::new()),
        };
        match saved {
            Ok(saved) => Ok(Ok(saved
                .into_iter()
                .map(|(id, state)| SavedCheckpoint {
                    id,
                    state: state.to_string(),
                })
                .collect())),
            Err(error) => told(error),
        }
    }

    async fn checkpoint(
        &mut self,
        id: String,
        state: String,
    ) -> wasmtime::Result<Result<CheckpointResult, String>> {
        let DurableInstance {
            store, key, fence, ..
        } = self.instance()?.clone();
        let state = match serde_json::from_str::<Value>(&state) {
            Ok(state) => state,
            Err(e) => return Ok(Err(format!("the checkpoint state is not JSON: {e}"))),
        };
        match store.checkpoint(&key, fence, &id, &state).await {
            Ok(reply) => Ok(Ok(CheckpointResult {
                existing_state: reply.existing.map(|s| s.to_string()),
                should_pause: reply.control == Some(Control::Pause),
                should_cancel: reply.control == Some(Control::Cancel),
            })),
            Err(error) => told(error),
        }
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
        let DurableInstance {
            store, key, fence, ..
        } = self.instance()?.clone();
        match store.take_signal(&key, fence, &signal_id).await {
            Ok(payload) => Ok(Ok(payload.map(|p| p.to_string()))),
            Err(error) => told(error),
        }
    }

    /// Suspends the instance until the signal is sent or its timeout has passed, when
    /// there is a core to wake it (`suspend_sleeps_over`) and more than that is left
    /// of the timeout; else the run polls. The timeout's end is recorded when the
    /// signal id first asks, as a durable sleep's is.
    async fn await_signal(
        &mut self,
        signal_id: String,
        timeout_ms: Option<u64>,
    ) -> wasmtime::Result<Result<SignalWait, String>> {
        let DurableInstance {
            store,
            key,
            suspend_sleeps_over,
            fence,
            ..
        } = self.instance()?.clone();
        let Some(limit) = suspend_sleeps_over else {
            return Ok(Ok(SignalWait::Poll));
        };
        if let Some(timeout_ms) = timeout_ms {
            let deadline = match store
                .durable_sleep(&key, fence, &signal_id, timeout_ms)
                .await
            {
                Ok(deadline) => deadline,
                Err(error) => return told(error),
            };
            if deadline.left.is_zero() {
                return Ok(Ok(SignalWait::TimedOut));
            }
            if deadline.left <= limit {
                return Ok(Ok(SignalWait::Poll));
            }
            self.wake()?.at_the_latest(deadline.wake_at);
        }
        self.wake()?.signals.push(signal_id);
        Ok(Ok(SignalWait::Suspend))
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
            fence,
            ..
        } = self.instance()?.clone();
        let sleep = match store
            .durable_sleep(&key, fence, &checkpoint_id, duration_ms)
            .await
        {
            Ok(sleep) => sleep,
            Err(error) => return told(error),
        };
        if suspend_sleeps_over.is_some_and(|limit| sleep.left > limit) {
            self.wake()?.at_the_latest(sleep.wake_at);
            return Ok(Ok(SleepOutcome::Suspend));
        }
        tokio::time::sleep(sleep.left).await;
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
        store
            .log_event(&key, level, &message, &json_or_text(context))
            .await
            .map_err(trap)
    }

    async fn completed(&mut self, output: String) -> wasmtime::Result<()> {
        let DurableInstance {
            store, key, fence, ..
        } = self.instance()?.clone();
        store
            .complete(&key, fence, &json_or_text(output))
            .await
            .map_err(trap)
    }

    async fn failed(&mut self, error: String) -> wasmtime::Result<()> {
        let DurableInstance {
            store, key, fence, ..
        } = self.instance()?.clone();
        store
            .fail(&key, fence, &json_or_text(error))
            .await
            .map_err(trap)
    }

    async fn suspended(&mut self) -> wasmtime::Result<()> {
        let DurableInstance {
            store,
            key,
            wake,
            fence,
            ..
        } = self.instance()?.clone();
        store
            .suspend_until(&key, fence, wake.at, &wake.signals)
            .await
            .map(|_| ())
            .map_err(trap)
    }
}
