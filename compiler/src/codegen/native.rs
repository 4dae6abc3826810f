//! The parts of a scenario crate that exist only where the agent crates are linked
//! in: the native binary (`main` is `runtara-native`'s command line) and the
//! firmware (the entry point is `runtara-embedded`'s).

use std::fmt::Write as _;

use super::AgentImport;

/// The Rust crate of an agent (`runtara-agent-<agent>`), as a path in code.
pub fn crate_ident(agent: &str) -> String {
    format!("runtara_agent_{}", agent.replace('-', "_"))
}

/// The native binary's glue: the `Agents` seam over the agent crates (one match arm
/// per agent), and `main` (over the workflow table: `--workflow` runs a child).
pub fn glue(agents: &[AgentImport]) -> String {
    let mut arms = String::new();
    for AgentImport { agent, .. } in agents {
        let _ = writeln!(
            arms,
            "            {agent:?} => {}::call(capability, input),",
            crate_ident(agent)
        );
    }
    LINKED_AGENTS.replace("{ARMS}", &arms) + NATIVE_MAIN
}

/// The firmware's glue: the `Agents` seam over the agent crates, one match arm per
/// capability the scenario calls, and the entry point. Each arm calls its agent
/// with a constant capability id, so that the agent's dispatch (inlined) folds to
/// that one capability and the linker drops the others: flash is small.
pub fn firmware_glue(calls: &[(String, String)]) -> String {
    let mut arms = String::new();
    for (agent, capability) in calls {
        let _ = writeln!(
            arms,
            "            ({agent:?}, {capability:?}) => {}::call({capability:?}, input),",
            crate_ident(agent)
        );
    }
    LINKED_AGENTS
        .replace("match agent {", "match (agent, capability) {")
        .replace("{ARMS}", &arms)
        + FIRMWARE_MAIN
}

const LINKED_AGENTS: &str = r#"
// ---- The agent crates, linked in ----

/// Agent calls go to the agent crates, in this program: values are handed over as
/// they are, without writing them out as JSON text and reading them back.
struct LinkedAgents;

impl runtara_runtime::Agents for LinkedAgents {
    fn call(&self, agent: &str, capability: &str, input: &str) -> Result<String, runtara_runtime::AgentError> {
        let input: Value = runtara_runtime::serde_json::from_str(input).map_err(|e| {
            runtara_runtime::AgentError::permanent("INVALID_INPUT", format!("the input of {agent}/{capability} is not JSON: {e}"))
        })?;
        self.call_value(agent, capability, input).map(|output| output.to_string())
    }

    fn call_value(&self, agent: &str, capability: &str, input: Value) -> Result<Value, runtara_runtime::AgentError> {
        match agent {
{ARMS}            _ => Err(runtara_runtime::AgentError::permanent(
                "UNKNOWN_CAPABILITY",
                format!("this scenario was not compiled to call {agent}/{capability}"),
            )),
        }
    }
}
"#;

const NATIVE_MAIN: &str = r#"
#[global_allocator]
static ALLOCATOR: runtara_native::Allocator = runtara_native::Allocator;

fn main() -> std::process::ExitCode {
    runtara_native::main(WORKFLOW_IDS, |workflow_id, input, durable| {
        execute_workflow(workflow_id, input, None, &LinkedAgents, durable)
    })
}
"#;

const FIRMWARE_MAIN: &str = r#"
// The entry point, the board, the flash and the executor: runtara-embedded.
runtara_embedded::firmware!(WORKFLOW_IDS, |workflow_id, instance, input, durable| {
    execute_workflow(workflow_id, input, Some(instance), &LinkedAgents, durable)
});
"#;
