//! Scenario -> the Rust source of a scenario crate.
//!
//! The generated crate is small and readable: one function per step holding the
//! step's control flow (which step follows, on which edge), the step itself
//! embedded as the JSON the user wrote, one drive function per graph (the
//! scenario's and each Split or While subgraph), and glue that reaches agents
//! and the durability provider: through the scenario's WIT imports ([`wasi`]),
//! or through the agent crates linked in ([`native`]), with `runtara-native`'s
//! command line or, in firmware, `runtara-embedded`'s board.
//! Everything a step does lives in `runtara-runtime`, which is built once and
//! cached.

mod graph;
mod native;
mod releases;
mod wasi;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

use runtara_dsl::{ExecutionGraph, Scenario, Step};

use crate::{CompilationTarget, CompileError};
use graph::{Flow, Successors};
use releases::Reads;

/// An agent a scenario imports: its id (also its WIT package name) and WIT package version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AgentImport {
    pub agent: String,
    pub version: String,
}

/// The generated sources of a scenario crate.
#[derive(Debug, Clone)]
pub struct GeneratedScenario {
    /// `src/main.rs`.
    pub main_rs: String,
    /// `wit/world.wit`: the scenario's own world (a component only).
    pub world_wit: Option<String>,
    /// The agents the scenario calls, each imported once.
    pub agents: Vec<AgentImport>,
}

/// A scenario to compile: its id (`variables._workflow_id`; for a child, the
/// `childWorkflowId` that embeds it), its parsed form and its document (steps are
/// embedded as written).
pub struct ScenarioSource<'a> {
    pub id: &'a str,
    pub scenario: &'a Scenario,
    pub document: &'a Value,
}

/// Generates the crate sources for `main` and the child scenarios its EmbedWorkflow
/// steps (and theirs) run. `agent_version` gives the WIT package version of an agent.
pub fn generate(
    main: &ScenarioSource,
    children: &[ScenarioSource],
    target: CompilationTarget,
    agent_version: &dyn Fn(&str) -> Option<String>,
) -> Result<GeneratedScenario, CompileError> {
    refuse_embedding_cycles(main, children)?;
    let mut generator = Generator {
        out: String::new(),
        agents: BTreeMap::new(),
        calls: BTreeSet::new(),
        children: children
            .iter()
            .enumerate()
            .map(|(index, child)| (child.id.to_owned(), index))
            .collect(),
        agent_version,
    };
    generator.header(main, target);
    let workflows = std::iter::once((GraphName::root(), main)).chain(
        children
            .iter()
            .enumerate()
            .map(|(index, child)| (GraphName::child(index, child.id), child)),
    );
    for (name, source) in workflows {
        let raw_graph = source
            .document
            .get("executionGraph")
            .unwrap_or(source.document);
        let reads = Reads::of(raw_graph);
        generator.graph(&source.scenario.execution_graph, raw_graph, &name, &reads)?;
    }

    let Generator {
        mut out,
        agents,
        calls,
        ..
    } = generator;
    let calls: Vec<(String, String)> = calls.into_iter().collect();
    let agents: Vec<AgentImport> = agents
        .into_iter()
        .map(|(agent, version)| AgentImport { agent, version })
        .collect();
    out.push_str(EXECUTE);
    let world_wit = match target {
        CompilationTarget::Wasi => {
            out.push_str(&wasi::glue(&calls));
            Some(wasi::world(&agents))
        }
        CompilationTarget::Native => {
            out.push_str(&workflow_table(children));
            out.push_str(&native::glue(&agents));
            None
        }
        CompilationTarget::Embedded => {
            out.push_str(&workflow_table(children));
            out.push_str(&native::firmware_glue(&calls));
            None
        }
    };
    Ok(GeneratedScenario {
        world_wit,
        main_rs: out,
        agents,
    })
}

/// The workflow over whatever reaches agents and durability, for every target.
const EXECUTE: &str = r#"
/// Runs the workflow on `input`: resumes from the provider's checkpoints, drives the
/// graph, and tells the provider how it ended. `instance` names the instance when
/// the caller knows it (else it comes from the environment).
fn execute(
    input: Value,
    instance: Option<&str>,
    agents: &dyn runtara_runtime::Agents,
    durable: &mut dyn runtara_runtime::Durable,
) -> Result<Value, WorkflowError> {
    let mut run = Run::new(input, &VARIABLES, WORKFLOW_ID, agents, durable);
    if let Some(instance) = instance {
        run.name_instance(instance);
    }
    let result = run.register().and_then(|()| drive(&mut run));
    run.end(result)
}
"#;

/// `execute_workflow`: runs any workflow the program carries by its id, the main
/// scenario's or a child's, as a workflow of its own (a child's
/// `executionTimeoutSeconds` applies then). One firmware, or one native binary, can
/// carry many workflows.
fn workflow_table(children: &[ScenarioSource]) -> String {
    let mut arms = String::new();
    let mut ids = vec!["WORKFLOW_ID".to_owned()];
    for (index, child) in children.iter().enumerate() {
        let name = GraphName::child(index, child.id);
        let limit = match child.scenario.execution_graph.execution_timeout_seconds {
            Some(seconds) => format!("Some({seconds})"),
            None => "None".to_owned(),
        };
        let _ = writeln!(
            arms,
            "        {:?} => (&*{}, {}, {limit}),",
            child.id,
            name.variables(),
            name.drive()
        );
        ids.push(format!("{:?}", child.id));
    }
    let children = if children.is_empty() {
        "    None\n".to_owned()
    } else {
        CHILD_WORKFLOWS.replace("{ARMS}", &arms)
    };
    WORKFLOW_TABLE
        .replace("{CHILDREN}", &children)
        .replace("{IDS}", &ids.join(", "))
}

const WORKFLOW_TABLE: &str = r#"
/// Runs the workflow `workflow_id` this program carries (the scenario's own, or a
/// child scenario's as a workflow of its own); `None` when it carries no such workflow.
fn execute_workflow(
    workflow_id: &str,
    input: Value,
    instance: Option<&str>,
    agents: &dyn runtara_runtime::Agents,
    durable: &mut dyn runtara_runtime::Durable,
) -> Option<Result<Value, WorkflowError>> {
    if workflow_id == WORKFLOW_ID {
        return Some(execute(input, instance, agents, durable));
    }
{CHILDREN}}

/// The ids of the workflows [`execute_workflow`] runs.
const WORKFLOW_IDS: &[&str] = &[{IDS}];
"#;

const CHILD_WORKFLOWS: &str = r#"    let (variables, drive, limit): (&Map<String, Value>, runtara_runtime::GraphFn, Option<u64>) = match workflow_id {
{ARMS}        _ => return None,
    };
    let mut run = Run::new(input, variables, workflow_id, agents, durable);
    if let Some(instance) = instance {
        run.name_instance(instance);
    }
    if let Some(seconds) = limit {
        run.limit_time(core::time::Duration::from_secs(seconds));
    }
    let result = run.register().and_then(|()| drive(&mut run));
    Some(run.end(result))
"#;

/// Names in the generated code of one graph: the scenario's graph has the empty
/// prefix, the subgraph of step 3 of it `s3_`, a subgraph inside that `s3_s0_`,
/// the second child scenario `c1_`.
struct GraphName {
    prefix: String,
    location: String,
    /// The top graph of a scenario (the main one or a child), not a subgraph.
    workflow: bool,
}

impl GraphName {
    fn root() -> Self {
        Self {
            prefix: String::new(),
            location: String::new(),
            workflow: true,
        }
    }

    fn child(index: usize, id: &str) -> Self {
        Self {
            prefix: format!("c{index}_"),
            location: format!("children.{id}."),
            workflow: true,
        }
    }

    /// The static holding a scenario's declared variables.
    fn variables(&self) -> String {
        format!("{}VARIABLES", self.prefix.to_uppercase())
    }

    /// The graph in member `field` (`subgraph`, `onWait`) of the step at `index`.
    fn subgraph(&self, index: usize, step_id: &str, field: &str) -> Self {
        Self {
            prefix: format!("{}s{index}_", self.prefix),
            location: format!("{}steps.{step_id}.{field}.", self.location),
            workflow: false,
        }
    }

    fn drive(&self) -> String {
        format!("{}drive", self.prefix)
    }

    fn step_fn(&self, graph: &ExecutionGraph, id: &str) -> String {
        // Steps are named by their position in the document, so any step id makes a valid Rust name.
        let index = graph
            .steps
            .keys()
            .position(|key| key == id)
            .unwrap_or(usize::MAX);
        format!("{}step_{index}", self.prefix)
    }

    /// The expression that continues on the edges to `targets` (none ends this path).
    fn take<'t>(
        &self,
        graph: &ExecutionGraph,
        targets: impl IntoIterator<Item = &'t String>,
    ) -> String {
        let indices: Vec<String> = targets
            .into_iter()
            .map(|to| step_index(graph, to).to_string())
            .collect();
        format!("Next::Take(&[{}])", indices.join(", "))
    }
}

/// A step's position in its graph's document order.
fn step_index(graph: &ExecutionGraph, id: &str) -> usize {
    graph
        .steps
        .keys()
        .position(|key| key == id)
        .unwrap_or(usize::MAX)
}

struct Generator<'a> {
    out: String,
    /// agent id -> WIT package version
    agents: BTreeMap<String, String>,
    /// (agent, capability) pairs called anywhere in the scenario
    calls: BTreeSet<(String, String)>,
    /// child scenario id -> its index among the children
    children: BTreeMap<String, usize>,
    agent_version: &'a dyn Fn(&str) -> Option<String>,
}

impl Generator<'_> {
    fn header(&mut self, main: &ScenarioSource, target: CompilationTarget) {
        let (graph, workflow_id) = (&main.scenario.execution_graph, main.id);
        let out = &mut self.out;
        let name = graph.name.as_deref().unwrap_or("unnamed scenario");
        let _ = writeln!(
            out,
            "//! The workflow \"{}\", generated by runtara-compiler. Do not edit:",
            name.escape_default()
        );
        let _ = writeln!(out, "//! change the scenario and compile it again.\n");
        if target == CompilationTarget::Embedded {
            // Firmware: no std, and the entry point is runtara-embedded's.
            out.push_str("#![no_std]\n#![no_main]\n\n#[macro_use]\nextern crate alloc;\n\n");
            out.push_str("use alloc::string::{String, ToString};\n");
        }
        out.push_str("use runtara_runtime::serde_json::{Map, Value};\n");
        out.push_str("use runtara_runtime::{Graph, Lazy, Next, Run, WorkflowError, embedded};\n\n");
        let _ = writeln!(
            out,
            "/// The workflow's id, `variables._workflow_id`.\nconst WORKFLOW_ID: &str = {workflow_id:?};\n"
        );
    }

    /// Emits one graph: its steps (recursing into subgraphs) and its drive function.
    fn graph(
        &mut self,
        graph: &ExecutionGraph,
        raw_graph: &Value,
        name: &GraphName,
        document_reads: &Reads,
    ) -> Result<(), CompileError> {
        let raw_plan = raw_graph
            .get("executionPlan")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let successors =
            graph::successors(graph, raw_plan).map_err(|e| e.within(&name.location))?;
        for (index, (id, step)) in graph.steps.iter().enumerate() {
            let raw_step = raw_graph
                .get("steps")
                .and_then(|steps| steps.get(id))
                .ok_or_else(|| {
                    CompileError::Internal(format!(
                        "step '{id}' is missing from the scenario document"
                    ))
                })?;
            // A step holds at most one graph (Split's and While's `subgraph`, WaitForSignal's `onWait`).
            let subgraph_drive = match step.subgraphs().first() {
                Some((field, subgraph)) => {
                    let child = name.subgraph(index, id, field);
                    let raw_subgraph = raw_step.get(*field).unwrap_or(&Value::Null);
                    self.graph(subgraph, raw_subgraph, &child, document_reads)?;
                    Some(child.drive())
                }
                None => None,
            };
            self.step(
                graph,
                name,
                id,
                step,
                raw_step,
                &successors[id],
                subgraph_drive.as_deref(),
            )?;
        }

        let out = &mut self.out;
        let is_root = name.prefix.is_empty();
        let declares_variables = name.workflow || !graph.variables.is_empty();
        if declares_variables {
            let _ = writeln!(
                out,
                "/// The declared variables of the {}.\nstatic {}: Lazy<Map<String, Value>> =\n    Lazy::new(|| embedded({}));\n",
                describe(name),
                name.variables(),
                raw_string(&Value::Object(graph.variable_values()).to_string())
            );
        }
        // A workflow's variables are set when its run starts; a subgraph's are defaults.
        let declare_variables = if declares_variables && !name.workflow {
            format!("    run.declare_variables(&{});\n", name.variables())
        } else {
            String::new()
        };
        let input_schema_static = format!("{}INPUT_SCHEMA", name.prefix.to_uppercase());
        let check_input = match raw_graph
            .get("inputSchema")
            .filter(|schema| name.workflow && !schema.is_null())
        {
            Some(schema) => {
                let _ = writeln!(
                    out,
                    "/// The input schema of the {}.\nstatic {input_schema_static}: Lazy<runtara_runtime::dsl::Schema> =\n    Lazy::new(|| embedded({}));\n",
                    describe(name),
                    raw_string(&schema.to_string())
                );
                format!("    run.check_input(&{input_schema_static})?;\n")
            }
            None => String::new(),
        };
        let limit_time = match graph.execution_timeout_seconds.filter(|_| is_root) {
            Some(seconds) => {
                format!("    run.limit_time(core::time::Duration::from_secs({seconds}));\n")
            }
            None => String::new(),
        };
        let graph_static = format!("{}GRAPH", name.prefix.to_uppercase());
        let steps: Vec<String> = graph
            .steps
            .keys()
            .map(|id| name.step_fn(graph, id))
            .collect();
        let edges: Vec<String> = graph
            .steps
            .keys()
            .enumerate()
            .flat_map(|(from, id)| {
                successors[id]
                    .targets()
                    .into_iter()
                    .map(move |to| format!("({from}, {})", step_index(graph, to)))
            })
            .collect();
        let ids: Vec<String> = graph.steps.keys().map(|id| format!("{id:?}")).collect();
        let releases: Vec<String> = releases::releases(graph, raw_graph, document_reads)
            .into_iter()
            .map(|(after, id)| format!("({after}, {id:?})"))
            .collect();
        let _ = writeln!(
            out,
            "static {graph_static}: Graph = Graph {{\n    steps: &[{}],\n    ids: &[{}],\n    edges: &[{}],\n    entry: {},\n    releases: &[{}],\n}};\n",
            steps.join(", "),
            ids.join(", "),
            edges.join(", "),
            step_index(graph, &graph.entry_point),
            releases.join(", ")
        );
        let _ = writeln!(
            out,
            "/// Runs the {} from its entry point \"{}\" to its end.\nfn {}(run: &mut Run) -> Result<Value, WorkflowError> {{\n{limit_time}{declare_variables}{check_input}    run.drive(&{graph_static})\n}}\n",
            describe(name),
            graph.entry_point.escape_default(),
            name.drive(),
        );
        Ok(())
    }

    /// Emits one step: its embedded definition and its function.
    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        graph: &ExecutionGraph,
        name: &GraphName,
        id: &str,
        step: &Step,
        raw_step: &Value,
        successors: &Successors,
        subgraph_drive: Option<&str>,
    ) -> Result<(), CompileError> {
        let method = match step {
            Step::Agent(agent) => {
                let version = (self.agent_version)(&agent.agent_id).ok_or_else(|| {
                    CompileError::Unsupported {
                        location: format!("{}steps.{id}.agentId", name.location),
                        what: format!("agent '{}' has no component to import", agent.agent_id),
                    }
                })?;
                self.agents.insert(agent.agent_id.clone(), version);
                self.calls
                    .insert((agent.agent_id.clone(), agent.capability_id.clone()));
                "agent"
            }
            Step::Conditional(_) => "conditional",
            Step::Log(_) => "log",
            Step::Finish(_) => "finish",
            Step::Switch(_) => "switch",
            Step::Filter(_) => "filter",
            Step::GroupBy(_) => "group_by",
            Step::Error(_) => "error",
            Step::Delay(_) => "delay",
            Step::Split(_) => "split",
            Step::While(_) => "while_loop",
            Step::EmbedWorkflow(_) => "embed",
            Step::WaitForSignal(_) => "wait_for_signal",
        };
        // The generated code names the step's type itself; its struct has no `stepType` field.
        let mut raw_step = raw_step.clone();
        if let Some(fields) = raw_step.as_object_mut() {
            fields.remove("stepType");
        }
        let fn_name = name.step_fn(graph, id);
        let step_static = fn_name.to_uppercase();
        let child_call = match step {
            Step::EmbedWorkflow(embed) => {
                let child = self.children.get(&embed.child_workflow_id).ok_or_else(|| {
                    CompileError::MissingChild {
                        location: format!("{}steps.{id}.childWorkflowId", name.location),
                        id: embed.child_workflow_id.clone(),
                    }
                })?;
                let child_name = GraphName::child(*child, &embed.child_workflow_id);
                Some(format!(
                    "run.embed(&{step_static}, {:?}, &{}, {})",
                    embed.child_workflow_id,
                    child_name.variables(),
                    child_name.drive()
                ))
            }
            _ => None,
        };
        let out = &mut self.out;
        let Successors { flow, on_error } = successors;
        let step_type = step.step_type();
        let _ = writeln!(
            out,
            "static {step_static}: Lazy<runtara_runtime::dsl::step::{step_type}Step> =\n    Lazy::new(|| embedded({}));\n",
            raw_string(&raw_step.to_string())
        );
        if let Flow::Edges { guarded, .. } = flow {
            for (index, edge) in guarded.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "/// The condition of the edge {} -> {} (priority {}).\nstatic {step_static}_EDGE_{index}: Lazy<runtara_runtime::dsl::Condition> =\n    Lazy::new(|| embedded({}));\n",
                    id.escape_default(),
                    edge.target.escape_default(),
                    edge.priority,
                    raw_string(&edge.condition.to_string())
                );
            }
        }

        let _ = writeln!(out, "/// Step \"{}\" ({step_type}).", id.escape_default());
        let _ = writeln!(
            out,
            "fn {fn_name}(run: &mut Run) -> Result<Next, WorkflowError> {{"
        );
        // What the step's call yields, bound for the flow below.
        let binding = match flow {
            Flow::Branch { .. } => "let result = ",
            Flow::Routes { .. } => "let route = ",
            Flow::Finish => "let output = ",
            Flow::Edges { .. } | Flow::Fail => "",
        };
        let call = match (step, subgraph_drive) {
            (Step::EmbedWorkflow(_), _) => child_call.unwrap_or_default(),
            (Step::WaitForSignal(_), Some(drive)) => {
                format!("run.{method}(&{step_static}, Some({drive}))")
            }
            (Step::WaitForSignal(_), None) => format!("run.{method}(&{step_static}, None)"),
            (_, Some(drive)) => format!("run.{method}(&{step_static}, {drive})"),
            (_, None) => format!("run.{method}(&{step_static})"),
        };
        match (flow, on_error) {
            (Flow::Fail, None) => {
                let _ = writeln!(out, "    Err({call})\n}}\n");
                return Ok(());
            }
            (Flow::Fail, Some(handler)) => {
                let _ = writeln!(
                    out,
                    "    let error = {call};\n    run.record_error(&error);\n    Ok({})\n}}\n",
                    name.take(graph, [handler])
                );
                return Ok(());
            }
            (_, None) => {
                let _ = writeln!(out, "    {binding}{call}?;");
            }
            (_, Some(handler)) => {
                // A call whose value the flow does not use (a non-routing Switch's) is dropped.
                let (pattern, value) = if binding.is_empty() {
                    ("_", "()")
                } else {
                    ("value", "value")
                };
                let _ = writeln!(
                    out,
                    "    {binding}match {call} {{\n        Ok({pattern}) => {value},\n        Err(error) => {{\n            run.record_error(&error);\n            return Ok({});\n        }}\n    }};",
                    name.take(graph, [handler])
                );
            }
        }
        match flow {
            Flow::Edges { guarded, fallback } => {
                for (index, edge) in guarded.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "    if run.edge_condition({id:?}, &{step_static}_EDGE_{index})? {{\n        return Ok({});\n    }}",
                        name.take(graph, [&edge.target])
                    );
                }
                let _ = writeln!(out, "    Ok({})\n}}\n", name.take(graph, fallback));
            }
            Flow::Branch { on_true, on_false } => {
                let _ = writeln!(
                    out,
                    "    Ok(if result {{ {} }} else {{ {} }})\n}}\n",
                    name.take(graph, on_true),
                    name.take(graph, on_false)
                );
            }
            Flow::Routes { routes, default } => {
                out.push_str("    Ok(match route.as_deref() {\n");
                for (route, target) in routes {
                    let _ = writeln!(
                        out,
                        "        Some({route:?}) => {},",
                        name.take(graph, [target])
                    );
                }
                // No case matched: the "default" edge; a matched route without an edge ends the graph.
                let _ = writeln!(
                    out,
                    "        None => {},\n        Some(_) => Next::Take(&[]),\n    }})\n}}\n",
                    name.take(graph, default)
                );
            }
            Flow::Finish => out.push_str("    Ok(Next::Done(output))\n}\n\n"),
            Flow::Fail => {}
        }
        Ok(())
    }
}

/// What a graph is, for comments in the generated code.
fn describe(name: &GraphName) -> String {
    match (name.workflow, name.prefix.is_empty()) {
        (true, true) => "scenario".to_owned(),
        (true, false) => format!(
            "child scenario {}",
            name.location
                .trim_start_matches("children.")
                .trim_end_matches('.')
        ),
        (false, _) => format!("subgraph {}", name.location.trim_end_matches('.')),
    }
}

/// The child workflow ids a graph (and its subgraphs) embeds, with where.
fn embedded_children(graph: &ExecutionGraph, location: &str, found: &mut Vec<(String, String)>) {
    for (id, step) in &graph.steps {
        if let Step::EmbedWorkflow(embed) = step {
            found.push((
                format!("{location}steps.{id}.childWorkflowId"),
                embed.child_workflow_id.clone(),
            ));
        }
        for (field, subgraph) in step.subgraphs() {
            embedded_children(subgraph, &format!("{location}steps.{id}.{field}."), found);
        }
    }
}

/// A scenario that embeds itself, directly or through its children, would never end.
fn refuse_embedding_cycles(
    main: &ScenarioSource,
    children: &[ScenarioSource],
) -> Result<(), CompileError> {
    fn visit<'a>(
        id: &'a str,
        graph: &ExecutionGraph,
        children: &'a [ScenarioSource],
        path: &mut Vec<&'a str>,
    ) -> Result<(), CompileError> {
        let mut embeds = Vec::new();
        embedded_children(graph, "", &mut embeds);
        path.push(id);
        for (location, child_id) in embeds {
            let Some(child) = children.iter().find(|c| c.id == child_id) else {
                continue;
            };
            if path.contains(&child.id) {
                let cycle = path
                    .iter()
                    .chain([&child.id])
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" -> ");
                return Err(CompileError::InvalidEdge {
                    location: format!(
                        "{}{location}",
                        if id == path[0] {
                            String::new()
                        } else {
                            format!("children.{id}.")
                        }
                    ),
                    message: format!("the scenarios embed each other in a cycle ({cycle})"),
                });
            }
            visit(child.id, &child.scenario.execution_graph, children, path)?;
        }
        path.pop();
        Ok(())
    }
    visit(
        main.id,
        &main.scenario.execution_graph,
        children,
        &mut Vec::new(),
    )
}

/// A Rust raw string literal holding `text`, with enough `#`s that nothing inside ends it.
pub(crate) fn raw_string(text: &str) -> String {
    let mut hashes = 1;
    while text.contains(&format!("\"{}", "#".repeat(hashes))) {
        hashes += 1;
    }
    let fence = "#".repeat(hashes);
    format!("r{fence}\"{text}\"{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_strings_survive_quotes_and_hashes() {
        assert_eq!(raw_string("plain"), "r#\"plain\"#");
        assert_eq!(raw_string("a\"#b"), "r##\"a\"#b\"##");
    }
}
