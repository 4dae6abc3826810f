//! Durable progress: each finished step is checkpointed, and a resumed run replays
//! the steps earlier runs of the instance finished instead of running them again.
//!
//! A step's checkpoint id is its key: its id prefixed by where the run is
//! (`each[2].fetch` in iteration 2 of Split `each`, `child.fetch` in the child
//! workflow of EmbedWorkflow `child`). Its state is what the step left in the scope
//! and which way the run went on:
//!
//! ```json
//! { "steps": { "<step id>": { "outputs": ..., "error": ... } },
//!   "take": [1, 2] | "finish": <output>,
//!   "durationMs": 12,
//!   "attempts": 3 }
//! ```
//!
//! Every step's effect on the scope is its own `steps.<id>` entry, so restoring that
//! entry and following the recorded edges puts a resumed run exactly where the first
//! one was. `attempts` is history only, never put back in the scope: present when the
//! step's retry loop (an Agent's or EmbedWorkflow's call, a Split's iterations) made
//! more than one attempt, the most any one loop made. A failure handled by the step's
//! `onError` edge (a timeout, say) is in its entry as `error`.
//!
//! The journal also holds the steps this run finished inside Split and While
//! iterations and child workflows, so a retried iteration or child goes on from the
//! step that failed, whichever provider keeps (or does not keep) the state. A step
//! of the workflow's own graph runs once per run, so its state is not kept: a large
//! output stays one value in the scope.
//!
//! Stopping is shared by the whole run: a pause or cancel request (on a checkpoint
//! reply, while waiting, or from the signal poll of a parallel Split) and a durable
//! sleep that suspends set it, and from then on no step runs or is checkpointed,
//! whatever error handling the graph has.

use crate::prelude::*;
use alloc::collections::BTreeMap;
#[cfg(not(feature = "std"))]
use alloc::rc::Rc;
#[cfg(feature = "std")]
use alloc::sync::Arc;
#[cfg(not(feature = "std"))]
use core::cell::{RefCell, RefMut};
#[cfg(feature = "std")]
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::{Map, Value, json};

use crate::clock::Instant;

use super::Run;
use crate::schedule::Next;
use crate::{
    CANCELLED, Control, ErrorCategory, LogLevel, PAUSED, SUSPENDED, SleepOutcome, WorkflowError,
};

/// What the run and its subgraph and child runs share.
#[derive(Default)]
pub(crate) struct Progress {
    /// Checkpoint id -> state, for every step finished in this run or an earlier one.
    finished: BTreeMap<String, Value>,
    /// Why the run is stopping, once it is.
    stop: Option<WorkflowError>,
}

/// Shared by the branches of a parallel Split too, hence the lock; without std the
/// branches run one after another, on one thread.
#[derive(Clone, Default)]
pub(crate) struct SharedProgress(
    #[cfg(feature = "std")] Arc<Mutex<Progress>>,
    #[cfg(not(feature = "std"))] Rc<RefCell<Progress>>,
);

impl SharedProgress {
    #[cfg(feature = "std")]
    fn lock(&self) -> MutexGuard<'_, Progress> {
        // A branch that panicked ends the whole run anyway; what it left is still whole.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(not(feature = "std"))]
    fn lock(&self) -> RefMut<'_, Progress> {
        self.0.borrow_mut()
    }

    /// Why the run is stopping, once it is.
    pub(crate) fn stop_reason(&self) -> Option<WorkflowError> {
        self.lock().stop.clone()
    }

    /// Stops the run with `error` unless it is stopping already; returns why it stops.
    pub(crate) fn stop_with(&self, error: WorkflowError) -> WorkflowError {
        self.lock().stop.get_or_insert(error).clone()
    }
}

/// Which way a step sent the run on, as recorded.
pub(crate) enum Decided {
    Take(Vec<usize>),
    Finish(Value),
}

impl From<Next> for Decided {
    fn from(next: Next) -> Self {
        match next {
            Next::Take(targets) => Self::Take(targets.to_vec()),
            Next::Done(output) => Self::Finish(output),
        }
    }
}

impl Run<'_> {
    /// Registers the run with the durability provider and loads the checkpoints of
    /// earlier runs of the instance, whose steps are then replayed, not run. Called
    /// once, before the workflow's first step.
    pub fn register(&mut self) -> Result<(), WorkflowError> {
        let saved = self.durable.register().map_err(|e| {
            let mut error = WorkflowError::workflow(
                "DURABLE_UNAVAILABLE",
                format!("the durability provider did not register the run: {e}"),
            );
            error.category = ErrorCategory::Transient;
            error
        })?;
        if saved.is_empty() {
            return Ok(());
        }
        let message = format!(
            "resuming: {} finished step(s) are replayed from their checkpoints",
            saved.len()
        );
        self.progress.lock().finished.extend(saved);
        self.log_event(LogLevel::Info, "", &message, &json!({}));
        Ok(())
    }

    /// The key of step `step_id` in this run: its id, prefixed by where the run is.
    /// Checkpoints and signals are addressed by it.
    pub fn step_key(&self, step_id: &str) -> String {
        format!("{}{step_id}", self.place)
    }

    /// The stop error, when the run is stopping.
    pub(crate) fn stopping(&self) -> Result<(), WorkflowError> {
        match self.progress.stop_reason() {
            Some(stop) => Err(stop),
            None => Ok(()),
        }
    }

    /// Stops the run: `code` is [`PAUSED`], [`SUSPENDED`] or [`CANCELLED`].
    pub(crate) fn stop(&mut self, step_id: &str, code: &str, message: String) -> WorkflowError {
        self.progress.stop_with(stop_error(step_id, code, message))
    }

    /// Stops the run if a pause or cancel request is pending; asked while waiting.
    pub(crate) fn heed_control(&mut self, step_id: &str) -> Result<(), WorkflowError> {
        match self.durable.poll_control() {
            Some(control) => Err(self.stop_for(step_id, control)),
            None => Ok(()),
        }
    }

    /// Stops the run at step `step_id` as `control` asks.
    pub(crate) fn stop_for(&mut self, step_id: &str, control: Control) -> WorkflowError {
        self.progress.stop_with(control_stop(step_id, control))
    }

    /// Runs `step` unless an earlier run finished it, whose recorded effect is then
    /// replayed; a step this run finishes is checkpointed.
    pub(crate) fn journaled(
        &mut self,
        step_id: &str,
        step: impl FnOnce(&mut Self) -> Result<Next, WorkflowError>,
    ) -> Result<Decided, WorkflowError> {
        self.stopping()?;
        let key = self.step_key(step_id);
        let recorded = self.progress.lock().finished.get(&key).cloned();
        if let Some(state) = recorded {
            return self.replay(&key, state);
        }
        self.touched.clear();
        self.attempts = 0;
        let started = Instant::now();
        let result = step(self);
        // A stop during the step wins over whatever the step's error handling made of it.
        self.stopping()?;
        let decided = Decided::from(result?);
        self.save(step_id, &key, &decided, started)?;
        Ok(decided)
    }

    fn replay(&mut self, key: &str, state: Value) -> Result<Decided, WorkflowError> {
        let corrupt = |what: &str| {
            WorkflowError::workflow(
                "CHECKPOINT_CORRUPT",
                format!("the checkpoint of step '{key}' {what}"),
            )
        };
        if let Some(entries) = state.get("steps").and_then(Value::as_object) {
            for (id, entry) in entries {
                self.restore_entry(id, entry.clone());
            }
        }
        if let Some(output) = state.get("finish") {
            return Ok(Decided::Finish(output.clone()));
        }
        let targets = state
            .get("take")
            .and_then(Value::as_array)
            .ok_or_else(|| corrupt("says neither where the run went on nor how it finished"))?;
        targets
            .iter()
            .map(|t| t.as_u64().and_then(|t| usize::try_from(t).ok()))
            .collect::<Option<Vec<usize>>>()
            .map(Decided::Take)
            .ok_or_else(|| corrupt("has an edge that is not a step index"))
    }

    fn save(
        &mut self,
        step_id: &str,
        key: &str,
        decided: &Decided,
        started: Instant,
    ) -> Result<(), WorkflowError> {
        // The step's entries move into the state and back after the checkpoint, so a
        // large output is not copied (their places in the scope are kept meanwhile).
        let mut entries = Map::new();
        for id in core::mem::take(&mut self.touched) {
            if let Some(entry) = self.scope.own_step_mut(&id) {
                entries.insert(id, core::mem::take(entry));
            }
        }
        // Built member by member: `json!` would copy the entries through serde.
        let mut state = Map::new();
        state.insert("steps".into(), Value::Object(entries));
        let took = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        state.insert("durationMs".into(), took.into());
        let mut state = Value::Object(state);
        match decided {
            Decided::Take(targets) => state["take"] = json!(targets),
            Decided::Finish(output) => state["finish"] = output.clone(),
        }
        let attempts = core::mem::take(&mut self.attempts);
        if attempts > 1 {
            state["attempts"] = json!(attempts);
        }
        let reply = self.durable.checkpoint(key, &state);
        // Only a step inside a Split or While iteration or a child workflow can run
        // again in this run (when the iteration or child is retried): the journal
        // keeps a copy of its state for that; a step of the workflow's own graph
        // runs once, and its state goes back to the scope whole.
        let replayable = !self.place.is_empty();
        if let Some(Value::Object(entries)) = state.get_mut("steps") {
            let entries = if replayable {
                entries.clone()
            } else {
                core::mem::take(entries)
            };
            for (id, entry) in entries {
                self.scope.restore_step(&id, entry);
            }
        }
        let reply = reply.map_err(|e| {
            let mut error = WorkflowError::step(
                step_id,
                "CHECKPOINT_FAILED",
                format!("step '{key}' finished, but its checkpoint was not saved: {e}"),
            );
            error.category = ErrorCategory::Transient;
            error
        })?;
        if replayable {
            self.progress
                .lock()
                .finished
                .insert(key.to_owned(), reply.existing.unwrap_or(state));
        }
        // A run that is finishing anyway finishes; elsewhere the request stops it here.
        if matches!(decided, Decided::Finish(_)) {
            return Ok(());
        }
        if reply.cancel {
            return Err(self.stop(step_id, CANCELLED, cancelled(key)));
        }
        if reply.pause {
            return Err(self.stop(step_id, PAUSED, paused(key)));
        }
        Ok(())
    }

    /// Notes that a retry loop of the running step made `attempts` attempts.
    pub(super) fn note_attempts(&mut self, attempts: u32) {
        self.attempts = self.attempts.max(attempts);
    }

    /// A durable wait at step `step_id`: done when the provider says the time has
    /// passed, else the run stops, suspended until the provider wakes it.
    pub(crate) fn durable_sleep(
        &mut self,
        step_id: &str,
        duration: core::time::Duration,
    ) -> Result<(), WorkflowError> {
        let key = self.step_key(step_id);
        let outcome = self
            .durable
            .sleep(duration, &key)
            .map_err(|e| WorkflowError::step(step_id, "DURABLE_SLEEP_FAILED", e))?;
        match outcome {
            SleepOutcome::Done => Ok(()),
            // Like a provider that waits itself: the run's deadline does not cut it short.
            SleepOutcome::Wait(left) => self.wait_unless_stopped(left),
            SleepOutcome::Suspend => {
                let message = format!(
                    "the instance is suspended in the durable sleep of step '{key}' ({} ms); \
                     its provider resumes it when the time has passed",
                    duration.as_millis()
                );
                Err(self.stop(step_id, SUSPENDED, message))
            }
        }
    }

    /// Tells the provider how the run ended: completed, failed, cancelled or suspended.
    pub(super) fn report_end(&mut self, result: &Result<Value, WorkflowError>) {
        let stop = self.progress.stop_reason();
        match (stop, result) {
            (Some(stop), _) if stop.code == CANCELLED => self.durable.failed(&stop),
            (Some(_), _) => self.durable.suspended(),
            (None, Ok(output)) => self.durable.completed(output),
            (None, Err(error)) => self.durable.failed(error),
        }
    }
}

/// The error a run stops with: `code` is [`PAUSED`], [`SUSPENDED`] or [`CANCELLED`].
fn stop_error(step_id: &str, code: &str, message: String) -> WorkflowError {
    let mut error = WorkflowError::step(step_id, code, message);
    if code != CANCELLED {
        error.category = ErrorCategory::Transient;
    }
    error
}

/// The error a run stops with at step `step_id` when `control` asks it to.
pub(crate) fn control_stop(step_id: &str, control: Control) -> WorkflowError {
    match control {
        Control::Pause => stop_error(step_id, PAUSED, paused(step_id)),
        Control::Cancel => stop_error(step_id, CANCELLED, cancelled(step_id)),
    }
}

fn paused(key: &str) -> String {
    format!("the instance was paused at step '{key}'; resume it to go on from there")
}

fn cancelled(key: &str) -> String {
    format!("the instance was cancelled at step '{key}'")
}
