//! The parts of a scenario crate that exist only in the `wasm32-wasip2` component:
//! its WIT world and the glue between the runtime's seams and the WIT imports.

use std::fmt::Write as _;

use super::AgentImport;

/// The scenario's world: the agents it uses, the durability contract, the workflow export.
pub fn world(agents: &[AgentImport]) -> String {
    let mut wit = String::from("package runtara:generated@0.1.0;\n\nworld scenario {\n");
    for AgentImport { agent, version } in agents {
        let _ = writeln!(wit, "  import runtara:{agent}/capabilities@{version};");
    }
    wit.push_str("  include runtara:scenario/scenario-base@0.1.0;\n}\n");
    wit
}

/// The glue: bindings, the `Agents` seam over one match arm per capability the
/// scenario calls, the `Durable` seam over `runtara:durable/context`, the
/// `workflow` export and `main` (which the toolchain exports as `wasi:cli/run`).
pub fn glue(calls: &[(String, String)]) -> String {
    let mut arms = String::new();
    for (agent, capability) in calls {
        let module = agent.replace('-', "_");
        let function = capability.replace('-', "_");
        let _ = writeln!(
            arms,
            "            ({agent:?}, {capability:?}) => bindings::runtara::{module}::capabilities::{function}(input),"
        );
    }
    let agents = if calls.is_empty() {
        NO_AGENTS_GLUE.to_owned()
    } else {
        AGENTS_GLUE.replace("{ARMS}", &arms)
    };
    GLUE.replace("{AGENTS}", &agents)
}

const AGENTS_GLUE: &str = r#"/// Agent calls go to the scenario's WIT imports, one per capability used.
struct WitAgents;

impl runtara_runtime::Agents for WitAgents {
    fn call(&self, agent: &str, capability: &str, input: &str) -> Result<String, runtara_runtime::AgentError> {
        let result = match (agent, capability) {
{ARMS}            _ => {
                return Err(runtara_runtime::AgentError::permanent(
                    "UNKNOWN_CAPABILITY",
                    format!("this scenario was not compiled to call {agent}/{capability}"),
                ));
            }
        };
        result.map_err(agent_error)
    }
}
fn agent_error(error: bindings::runtara::agent::types::AgentError) -> runtara_runtime::AgentError {
    use bindings::runtara::agent::types::ErrorCategory;
    runtara_runtime::AgentError {
        code: error.code,
        message: error.message,
        category: match error.category {
            ErrorCategory::Transient => runtara_runtime::AgentErrorCategory::Transient,
            ErrorCategory::Permanent => runtara_runtime::AgentErrorCategory::Permanent,
        },
        retryable: error.retryable,
        retry_after_ms: error.retry_after_ms,
        attributes: runtara_runtime::serde_json::from_str(&error.attributes).unwrap_or_default(),
    }
}

"#;

const NO_AGENTS_GLUE: &str = r#"/// This scenario calls no agent.
struct WitAgents;

impl runtara_runtime::Agents for WitAgents {
    fn call(&self, agent: &str, capability: &str, _input: &str) -> Result<String, runtara_runtime::AgentError> {
        Err(runtara_runtime::AgentError::permanent(
            "UNKNOWN_CAPABILITY",
            format!("this scenario was not compiled to call {agent}/{capability}"),
        ))
    }
}

"#;

const GLUE: &str = r#"
// ---- The component: WIT bindings and the seams over them ----

mod bindings {
    runtara_runtime::wit_bindgen::generate!({
        world: "runtara:generated/scenario",
        path: "wit",
        generate_all,
        runtime_path: "runtara_runtime::wit_bindgen::rt",
    });
}

use bindings::exports::runtara::scenario::workflow;
use bindings::runtara::durable::context;

{AGENTS}/// Checkpoints, signals, sleeps, log events and the run's end go to `runtara:durable/context`.
struct WitDurable;

impl runtara_runtime::Durable for WitDurable {
    fn register(&mut self) -> Result<Vec<(String, Value)>, String> {
        context::register()?
            .into_iter()
            .map(|saved| {
                runtara_runtime::serde_json::from_str(&saved.state)
                    .map(|state| (saved.id.clone(), state))
                    .map_err(|e| format!("the checkpoint '{}' is not JSON: {e}", saved.id))
            })
            .collect()
    }

    fn checkpoint(&mut self, id: &str, state: &Value) -> Result<runtara_runtime::CheckpointReply, String> {
        let result = context::checkpoint(id, &state.to_string())?;
        let existing = match result.existing_state {
            Some(text) => Some(
                runtara_runtime::serde_json::from_str(&text)
                    .map_err(|e| format!("the checkpoint '{id}' is not JSON: {e}"))?,
            ),
            None => None,
        };
        Ok(runtara_runtime::CheckpointReply {
            existing,
            pause: result.should_pause,
            cancel: result.should_cancel,
        })
    }

    fn poll_control(&mut self) -> Option<runtara_runtime::Control> {
        match context::poll_signal()?.kind {
            context::SignalKind::Pause => Some(runtara_runtime::Control::Pause),
            context::SignalKind::Cancel => Some(runtara_runtime::Control::Cancel),
            context::SignalKind::Resume => None,
        }
    }

    fn take_signal(&mut self, signal_id: &str) -> Result<Option<Value>, String> {
        match context::take_signal(signal_id)? {
            Some(payload) => runtara_runtime::serde_json::from_str(&payload)
                .map(Some)
                .map_err(|e| format!("the payload of signal '{signal_id}' is not JSON: {e}")),
            None => Ok(None),
        }
    }

    fn await_signal(&mut self, signal_id: &str, timeout: Option<std::time::Duration>) -> Result<runtara_runtime::SignalWait, String> {
        let timeout_ms = timeout.map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX));
        Ok(match context::await_signal(signal_id, timeout_ms)? {
            context::SignalWait::Poll => runtara_runtime::SignalWait::Poll,
            context::SignalWait::Suspend => runtara_runtime::SignalWait::Suspend,
            context::SignalWait::TimedOut => runtara_runtime::SignalWait::TimedOut,
        })
    }

    fn sleep(&mut self, duration: std::time::Duration, checkpoint_id: &str) -> Result<runtara_runtime::SleepOutcome, String> {
        let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        Ok(match context::sleep(millis, checkpoint_id)? {
            context::SleepOutcome::Done => runtara_runtime::SleepOutcome::Done,
            context::SleepOutcome::Suspend => runtara_runtime::SleepOutcome::Suspend,
        })
    }

    fn log(&mut self, level: runtara_runtime::LogLevel, message: &str, context: &Value) {
        let level = match level {
            runtara_runtime::LogLevel::Debug => context::LogLevel::Debug,
            runtara_runtime::LogLevel::Info => context::LogLevel::Info,
            runtara_runtime::LogLevel::Warn => context::LogLevel::Warn,
            runtara_runtime::LogLevel::Error => context::LogLevel::Error,
        };
        context::log(level, message, &context.to_string());
    }

    fn completed(&mut self, output: &Value) {
        context::completed(&output.to_string());
    }

    fn failed(&mut self, error: &WorkflowError) {
        context::failed(&error.to_json().to_string());
    }

    fn suspended(&mut self) {
        context::suspended();
    }
}

/// The workflow, over the WIT imports.
fn execute_here(input: Value) -> Result<Value, WorkflowError> {
    execute(input, None, &WitAgents, &mut WitDurable)
}

struct Scenario;

impl workflow::Guest for Scenario {
    fn run(input: String) -> Result<String, workflow::WorkflowError> {
        run_as(None, &input)
    }

    fn run_instance(instance_id: String, input: String) -> Result<String, workflow::WorkflowError> {
        run_as(Some(&instance_id), &input)
    }
}

/// `workflow.run` and `workflow.run-instance`: JSON text in, JSON text or a WIT error out.
fn run_as(instance: Option<&str>, input: &str) -> Result<String, workflow::WorkflowError> {
    let result = runtara_runtime::serde_json::from_str(input)
        .map_err(|e| WorkflowError::workflow("INPUT_INVALID_JSON", format!("the workflow input is not valid JSON: {e}")))
        .and_then(|input| execute(input, instance, &WitAgents, &mut WitDurable));
    match result {
        Ok(output) => Ok(output.to_string()),
        Err(error) => Err(workflow::WorkflowError {
            step_id: error.step_id,
            code: error.code,
            message: error.message,
            category: match error.category {
                runtara_runtime::ErrorCategory::Transient => workflow::ErrorCategory::Transient,
                runtara_runtime::ErrorCategory::Permanent => workflow::ErrorCategory::Permanent,
            },
            attributes: error.attributes.to_string(),
        }),
    }
}

bindings::export!(Scenario with_types_in bindings);

fn main() -> std::process::ExitCode {
    runtara_runtime::command::main(execute_here)
}
"#;
