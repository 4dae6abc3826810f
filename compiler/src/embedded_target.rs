//! What the embedded target refuses at compile time, so that firmware never meets
//! a missing capability at run time: agents and capabilities the board cannot run
//! (the support matrix is [`crate::embedded_support`]) and templates, whose engine
//! (minijinja) needs std. Also where the firmware is built for.

use std::path::Path;

use serde_json::Value;

use runtara_dsl::{ExecutionGraph, Step};

use crate::templates::{self, Template, TemplateKind};
use crate::{CompileError, embedded_support, native_target};

/// The Rust target of firmware: Cortex-M4F and M7F (the reference board is QEMU's
/// mps2-an386).
pub const RUST_TARGET: &str = "thumbv7em-none-eabihf";

/// Every reason `scenario` (at `path`, its document as written) cannot be firmware.
pub fn check(
    path: &Path,
    scenario: &runtara_dsl::Scenario,
    document: &Value,
) -> Result<(), CompileError> {
    let mut problems = Vec::new();
    agent_problems(&scenario.execution_graph, "", &mut problems);
    template_problems(document, &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CompileError::NotForEmbedded {
            path: path.to_owned(),
            problems,
        })
    }
}

/// An error unless the Rust target of firmware is installed.
pub fn require_rust_target() -> Result<(), CompileError> {
    if native_target::target_installed(RUST_TARGET) {
        Ok(())
    } else {
        Err(CompileError::MissingRustTarget {
            target: RUST_TARGET,
        })
    }
}

/// The Agent steps of `graph` and its subgraphs that call what the board cannot run.
fn agent_problems(graph: &ExecutionGraph, location: &str, problems: &mut Vec<String>) {
    for (id, step) in &graph.steps {
        if let Step::Agent(agent) = step {
            let (agent_id, capability) = (&agent.agent_id, &agent.capability_id);
            let why = embedded_support::agent_unavailable(agent_id)
                .map(|why| {
                    format!("the agent '{agent_id}' is not available on embedded targets: {why}")
                })
                .or_else(|| {
                    embedded_support::capability_unavailable(agent_id, capability).map(|why| {
                        format!(
                            "'{agent_id}/{capability}' is not available on embedded targets: {why}"
                        )
                    })
                });
            if let Some(why) = why {
                problems.push(format!("{location}steps.{id}: {why}"));
            }
        }
        for (field, subgraph) in step.subgraphs() {
            agent_problems(
                subgraph,
                &format!("{location}steps.{id}.{field}."),
                problems,
            );
        }
    }
}

const NO_TEMPLATES: &str =
    "templates are not available on embedded targets (their engine, minijinja, needs std)";

/// Why each template of the document cannot be firmware, by its path.
fn template_problems(document: &Value, problems: &mut Vec<String>) {
    for Template { path, kind } in templates::find(document) {
        problems.push(match kind {
            TemplateKind::Value => {
                format!("{path}: {NO_TEMPLATES}; use a reference or a composite value")
            }
            TemplateKind::LogMessage => format!(
                "{path}: {NO_TEMPLATES}, and this Log message is one; log plain text and put \
                 values in its context"
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(document: Value) -> Vec<String> {
        let scenario = runtara_dsl::parse_scenario(&document.to_string()).unwrap();
        match check(Path::new("s.json"), &scenario, &document) {
            Ok(()) => Vec::new(),
            Err(CompileError::NotForEmbedded { problems, .. }) => problems,
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn unavailable_agents_and_templates_are_named_by_their_step() {
        let found = problems(json!({
            "name": "n", "entryPoint": "fetch",
            "steps": {
                "fetch": {"stepType": "Agent", "id": "fetch", "agentId": "http",
                    "capabilityId": "http-request", "inputMapping": {}},
                "each": {"stepType": "Split", "id": "each",
                    "config": {"value": {"valueType": "reference", "value": "data.items"}},
                    "subgraph": {"entryPoint": "greet", "steps": {
                        "greet": {"stepType": "Finish", "id": "greet", "inputMapping": {
                            "text": {"valueType": "template", "value": "hi {{ item }}"}}}}}},
                "say": {"stepType": "Log", "id": "say", "message": "at {{ data.at }}"},
                "done": {"stepType": "Finish", "id": "done"}
            },
            "executionPlan": [{"fromStep": "fetch", "toStep": "each"},
                {"fromStep": "each", "toStep": "say"}, {"fromStep": "say", "toStep": "done"}]
        }));
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(
            found[0].starts_with("steps.fetch: the agent 'http' is not available"),
            "{}",
            found[0]
        );
        assert!(
            found[1].starts_with("steps.each.subgraph.steps.greet.inputMapping.text: templates"),
            "{}",
            found[1]
        );
        assert!(
            found[2].starts_with("steps.say.message: templates"),
            "{}",
            found[2]
        );
    }

    #[test]
    fn a_scenario_of_available_agents_passes() {
        let found = problems(json!({
            "name": "n", "entryPoint": "count",
            "steps": {
                "count": {"stepType": "Agent", "id": "count", "agentId": "transform",
                    "capabilityId": "array-length", "inputMapping": {}},
                "done": {"stepType": "Finish", "id": "done"}
            },
            "executionPlan": [{"fromStep": "count", "toStep": "done"}]
        }));
        assert_eq!(found, Vec::<String>::new());
    }
}
