//! What a compiled runtara scenario links.
//!
//! The compiler turns a scenario into a small Rust crate whose control flow
//! (which step runs after which, on which edge) is generated code; every step
//! body is a call into this crate's [`Run`], which evaluates mappings and
//! conditions, calls agents through the [`Agents`] seam and reports to the
//! durability provider through the [`Durable`] seam, which checkpoints every
//! finished step (a resumed instance replays them instead of running them again). On `wasm32` the generated
//! crate implements both seams over its WIT imports; natively they are direct
//! calls. The [`command`] module is the `wasi:cli/run` entry point.
//!
//! ```
//! use runtara_runtime::{Agents, CheckpointReply, Control, Durable, LogLevel, Run, SleepOutcome};
//! use runtara_agent::AgentError;
//! use serde_json::{json, Value};
//!
//! struct Echo;
//! impl Agents for Echo {
//!     fn call(&self, _agent: &str, _capability: &str, input: &str) -> Result<String, AgentError> {
//!         Ok(input.to_owned())
//!     }
//! }
//! struct Quiet;
//! impl Durable for Quiet {
//!     fn register(&mut self) -> Result<Vec<(String, Value)>, String> { Ok(Vec::new()) }
//!     fn checkpoint(&mut self, _: &str, _: &Value) -> Result<CheckpointReply, String> {
//!         Ok(CheckpointReply::default())
//!     }
//!     fn poll_control(&mut self) -> Option<Control> { None }
//!     fn take_signal(&mut self, _: &str) -> Result<Option<Value>, String> { Ok(None) }
//!     fn sleep(&mut self, _: core::time::Duration, _: &str) -> Result<SleepOutcome, String> {
//!         Ok(SleepOutcome::Done)
//!     }
//!     fn log(&mut self, _: LogLevel, _: &str, _: &Value) {}
//!     fn completed(&mut self, _: &Value) {}
//!     fn failed(&mut self, _: &runtara_runtime::WorkflowError) {}
//!     fn suspended(&mut self) {}
//! }
//!
//! let step = runtara_runtime::embedded(r#"{"id": "echo", "agentId": "utils",
//!     "capabilityId": "return-input",
//!     "inputMapping": {"value": {"valueType": "reference", "value": "data.name"}}}"#);
//! let (agents, mut durable) = (Echo, Quiet);
//! let mut run = Run::new(json!({"name": "Ada"}), &Default::default(), "greet", &agents, &mut durable);
//! run.agent(&step).unwrap();
//! assert_eq!(run.outputs("echo"), Some(&json!({"value": "Ada"})));
//! ```

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod clock;
#[cfg(feature = "std")]
pub mod command;
mod deadline;
mod error;
mod lazy;
mod prelude;
mod retry;
mod run;
mod schedule;
mod seams;

#[cfg(not(feature = "std"))]
pub use clock::block_on;
pub use error::{ErrorCategory, WorkflowError};
pub use lazy::Lazy;
#[cfg(all(feature = "std", not(target_arch = "wasm32")))]
pub use run::MAX_PARALLELISM;
pub use run::{GraphFn, Run, StepFailure};
/// The stop requests and stop codes, as the core and every durability provider know them.
pub use runtara_protocol::{CANCELLED, Control, PAUSED, SUSPENDED};
pub use schedule::{Graph, Next, StepFn};
pub use seams::{Agents, CheckpointReply, Durable, LogLevel, SignalWait, SleepOutcome};

pub use runtara_agent::{AgentError, ErrorCategory as AgentErrorCategory};
pub use runtara_dsl as dsl;
pub use serde_json;
#[cfg(target_arch = "wasm32")]
pub use wit_bindgen;

/// Reads a step (or any part of a scenario) that the compiler embedded as JSON.
///
/// The compiler only embeds what it parsed and validated itself, so a failure
/// here is a bug in the compiler, never in the user's scenario.
pub fn embedded<T: serde::de::DeserializeOwned>(json: &str) -> T {
    match serde_json::from_str(json) {
        Ok(value) => value,
        Err(e) => {
            panic!("runtara compiler bug: an embedded scenario part does not parse ({e}): {json}")
        }
    }
}
