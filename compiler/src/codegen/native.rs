//! The part of a scenario crate that exists only in the native binary: agent
//! calls go straight to the agent crates, linked in, and `main` is
//! `runtara-native`'s command line.

use std::fmt::Write as _;

use super::AgentImport;

/// The Rust crate of an agent (`runtara-agent-<agent>`), as a path in code.
pub fn crate_ident(agent: &str) -> String {
    format!("runtara_agent_{}", agent.replace('-', "_"))
}

/// The glue: the `Agents` seam over one match arm per agent, and `main`.
pub fn glue(agents: &[AgentImport]) -> String {
    let mut arms = String::new();
    for AgentImport { agent, .. } in agents {
        let _ = writeln!(
            arms,
            "            {agent:?} => {}::call(capability, input),",
            crate_ident(agent)
        );
    }
    GLUE.replace("{ARMS}", &arms)
}

const GLUE: &str = r#"
// ---- The native binary: the agent crates linked in ----

/// Agent calls go to the agent crates, in this process.
struct NativeAgents;

impl runtara_runtime::Agents for NativeAgents {
    fn call(&self, agent: &str, capability: &str, input: &str) -> Result<String, runtara_runtime::AgentError> {
        let input: Value = runtara_runtime::serde_json::from_str(input).map_err(|e| {
            runtara_runtime::AgentError::permanent("INVALID_INPUT", format!("the input of {agent}/{capability} is not JSON: {e}"))
        })?;
        let output: Value = match agent {
{ARMS}            _ => Err(runtara_runtime::AgentError::permanent(
                "UNKNOWN_CAPABILITY",
                format!("this scenario was not compiled to call {agent}/{capability}"),
            )),
        }?;
        Ok(output.to_string())
    }
}

fn main() -> std::process::ExitCode {
    runtara_native::main(WORKFLOW_ID, |input, durable| {
        execute(input, None, &NativeAgents, durable)
    })
}
"#;
