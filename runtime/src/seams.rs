use crate::prelude::*;
use serde_json::Value;

use runtara_agent::AgentError;

use crate::{Control, WorkflowError};

/// How the workflow reaches its agents: WIT imports in a component, direct calls natively.
///
/// Shared by the branches of a parallel Split, which call it from several threads at once.
pub trait Agents: Sync {
    /// Calls one capability with its input as JSON text; returns its output as JSON text.
    fn call(&self, agent: &str, capability: &str, input: &str) -> Result<String, AgentError>;

    /// Calls one capability with its input as a value; returns its output as a value.
    ///
    /// A component's agents are reached through WIT, which carries text: this default
    /// goes through [`Agents::call`]. Where the agents are linked in (native binaries,
    /// firmware) it is overridden to hand the values over as they are, so a large step
    /// output is not written out as JSON and read back on every call.
    fn call_value(&self, agent: &str, capability: &str, input: Value) -> Result<Value, AgentError> {
        let output = self.call(agent, capability, &input.to_string())?;
        serde_json::from_str(&output).map_err(|e| {
            AgentError::permanent(
                "INVALID_AGENT_OUTPUT",
                format!("returned invalid JSON: {e}"),
            )
        })
    }
}

/// How the workflow reports to whoever keeps its state (`runtara:durable/context`).
///
/// The branches of a parallel Split share it behind a lock, one call at a time, so no
/// call should wait long: a sleep the provider wants waited in place is answered with
/// [`SleepOutcome::Wait`], and the run does the waiting.
pub trait Durable: Send {
    /// Called once as the run starts: the checkpoints earlier runs of this instance
    /// saved, as (id, state), oldest first; none for a new instance.
    fn register(&mut self) -> Result<Vec<(String, Value)>, String>;
    /// Saves `state` under `id` after a step finished (an earlier state saved there is
    /// kept); the reply carries pause and cancel requests.
    fn checkpoint(&mut self, id: &str, state: &Value) -> Result<CheckpointReply, String>;
    /// A pending pause or cancel request, asked while the workflow waits between checkpoints.
    fn poll_control(&mut self) -> Option<Control>;
    /// The signal addressed to `signal_id` (a WaitForSignal step of this run), if it
    /// has arrived: its JSON payload. An error means no signal can be received at all.
    fn take_signal(&mut self, signal_id: &str) -> Result<Option<Value>, String>;
    /// Asked when [`Durable::take_signal`] found nothing: how to wait for `signal_id`,
    /// whose `timeout` counts from the first time the id asked. By default the run
    /// stays and polls: only a provider that can wake a stopped instance suspends it.
    fn await_signal(
        &mut self,
        signal_id: &str,
        timeout: Option<core::time::Duration>,
    ) -> Result<SignalWait, String> {
        let _ = (signal_id, timeout);
        Ok(SignalWait::Poll)
    }
    /// A durable wait of `duration` at the step `checkpoint_id`, counted from the first
    /// time that id asked: the provider waits in place, or asks the run to suspend.
    fn sleep(
        &mut self,
        duration: core::time::Duration,
        checkpoint_id: &str,
    ) -> Result<SleepOutcome, String>;
    /// A structured log event; `context` is a JSON object.
    fn log(&mut self, level: LogLevel, message: &str, context: &Value);
    /// The workflow finished with `output`.
    fn completed(&mut self, output: &Value);
    /// The workflow failed, or was cancelled, with `error`.
    fn failed(&mut self, error: &WorkflowError);
    /// The workflow stopped itself (paused, or suspended in a durable sleep) to be resumed.
    fn suspended(&mut self);
}

/// What a checkpoint tells the workflow besides saving.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckpointReply {
    /// The state saved earlier under the same id, which was kept.
    pub existing: Option<Value>,
    /// Stop here, to be resumed from this checkpoint.
    pub pause: bool,
    /// Stop here and end the instance as cancelled.
    pub cancel: bool,
}

/// What a durable sleep asks of the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SleepOutcome {
    /// The time has passed: go on.
    Done,
    /// Wait this long in place, then go on: the provider recorded when the sleep ends,
    /// so a resumed run waits only what is left.
    Wait(core::time::Duration),
    /// Stop now; the provider resumes the instance once the time has passed.
    Suspend,
}

/// What a WaitForSignal step whose signal has not arrived asks of the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalWait {
    /// Stay, and ask again after the step's poll interval.
    Poll,
    /// Stop now; the provider resumes the instance when the signal is sent or the
    /// timeout has passed.
    Suspend,
    /// The step's timeout, counted by the provider since the wait first began, has passed.
    TimedOut,
}

pub use runtara_dsl::step::LogLevel;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Agents reached through text only, as a component's are: `echo` answers with the
    /// input text it got, `garble` with text that is not JSON.
    struct Text;

    impl Agents for Text {
        fn call(&self, agent: &str, capability: &str, input: &str) -> Result<String, AgentError> {
            Ok(match agent {
                "echo" => format!(r#"{{"capability": "{capability}", "input": {input}}}"#),
                _ => "{not json".into(),
            })
        }
    }

    #[test]
    fn a_value_call_goes_through_the_text_one_by_default() {
        let output = Text.call_value("echo", "sort", json!({"value": [2, 1]}));
        assert_eq!(
            output.unwrap(),
            json!({"capability": "sort", "input": {"value": [2, 1]}})
        );
    }

    #[test]
    fn output_that_is_not_json_is_a_permanent_error() {
        let error = Text.call_value("garble", "sort", json!({})).unwrap_err();
        assert_eq!(error.code, "INVALID_AGENT_OUTPUT");
        assert_eq!(error.category, runtara_agent::ErrorCategory::Permanent);
        assert!(
            error.message.starts_with("returned invalid JSON"),
            "{}",
            error.message
        );
    }
}
