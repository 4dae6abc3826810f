use serde_json::Value;

use runtara_agent::AgentError;

use crate::WorkflowError;

/// How the workflow reaches its agents: WIT imports in a component, direct calls natively.
pub trait Agents {
    /// Calls one capability with its input as JSON text; returns its output as JSON text.
    fn call(&mut self, agent: &str, capability: &str, input: &str) -> Result<String, AgentError>;
}

/// How the workflow reports to whoever keeps its state (`runtara:durable/context`).
pub trait Durable {
    /// A structured log event; `context` is a JSON object.
    fn log(&mut self, level: LogLevel, message: &str, context: &Value);
    /// A durable wait of `duration` at step `checkpoint_id`, with the run's `state`: a
    /// provider that keeps state may suspend the instance and wake it later; one that
    /// does not waits in place.
    fn sleep(
        &mut self,
        duration: std::time::Duration,
        checkpoint_id: &str,
        state: &Value,
    ) -> Result<(), String>;
    /// The signal addressed to `signal_id` (a WaitForSignal step of this run), if it
    /// has arrived: its JSON payload. An error means no signal can be received at all.
    fn take_signal(&mut self, signal_id: &str) -> Result<Option<Value>, String>;
    /// The workflow finished with `output`.
    fn completed(&mut self, output: &Value);
    /// The workflow failed with `error`.
    fn failed(&mut self, error: &WorkflowError);
}

pub use runtara_dsl::step::LogLevel;
