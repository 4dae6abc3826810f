//! Graph structure: entry point, ids, edges, reachability; and the scope
//! that reference checks need.

use crate::prelude::*;
use alloc::collections::{BTreeMap, BTreeSet};

use super::Validator;
use super::suggest::{list_hint, names_hint};
use crate::builtins;
use crate::path::{join_index, join_key};
use crate::scenario::ExecutionGraph;
use crate::step::Step;

/// An enclosing graph, seen from inside a subgraph.
#[derive(Debug, Clone)]
pub(super) struct Outer<'g> {
    /// The step that holds the subgraph.
    pub step: &'g str,
    /// Every step of the enclosing graph.
    pub ids: BTreeSet<&'g str>,
    /// The steps that have run before `step`.
    pub visible: BTreeSet<&'g str>,
}

/// What a graph's mappings may read besides `data`, `workflow` and `steps`.
#[derive(Debug, Clone, Default)]
pub(super) struct Bindings {
    /// Readable as `variables.<name>`: declared, built in, or passed in by an enclosing step.
    pub variables: BTreeSet<String>,
    /// Bound by an enclosing step: `item` (Split) and `loop` (While).
    pub bound: BTreeSet<&'static str>,
}

impl Bindings {
    /// What the workflow graph starts with: the built-in variables.
    pub fn workflow() -> Self {
        Self {
            variables: [
                builtins::WORKFLOW_ID,
                builtins::INSTANCE_ID,
                builtins::TENANT_ID,
            ]
            .map(str::to_owned)
            .into(),
            bound: BTreeSet::new(),
        }
    }

    /// These bindings plus `variables` and the top-level name `bound`.
    pub fn with<'a>(
        &self,
        variables: impl IntoIterator<Item = &'a str>,
        bound: Option<&'static str>,
    ) -> Self {
        let mut more = self.clone();
        more.variables
            .extend(variables.into_iter().map(str::to_owned));
        more.bound.extend(bound);
        more
    }

    /// These bindings without the variable `name`.
    pub fn without(mut self, name: &str) -> Self {
        self.variables.remove(name);
        self
    }
}

/// One graph under validation.
pub(super) struct GraphScope<'g> {
    pub graph: &'g ExecutionGraph,
    /// Step -> the steps that lead to it through the edges.
    pub ancestors: BTreeMap<&'g str, BTreeSet<&'g str>>,
    /// Enclosing graphs, outermost first.
    pub outers: Vec<Outer<'g>>,
    /// What the graph's steps may read (its own declared variables included).
    pub bindings: Bindings,
}

impl<'g> GraphScope<'g> {
    /// The `Outer` that a subgraph of `step` sees for this graph.
    pub fn outer_for(&self, step: &'g str) -> Outer<'g> {
        Outer {
            step,
            ids: self.graph.steps.keys().map(String::as_str).collect(),
            visible: self.ancestors.get(step).cloned().unwrap_or_default(),
        }
    }
}

fn ancestors(graph: &ExecutionGraph) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut predecessors: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for edge in &graph.execution_plan {
        if graph.steps.contains_key(&edge.from_step) && graph.steps.contains_key(&edge.to_step) {
            predecessors
                .entry(edge.to_step.as_str())
                .or_default()
                .push(edge.from_step.as_str());
        }
    }
    let mut all = BTreeMap::new();
    for key in graph.steps.keys() {
        let mut seen = BTreeSet::new();
        let mut stack = vec![key.as_str()];
        while let Some(current) = stack.pop() {
            for before in predecessors.get(current).into_iter().flatten() {
                if seen.insert(*before) {
                    stack.push(before);
                }
            }
        }
        all.insert(key.as_str(), seen);
    }
    all
}

impl Validator<'_> {
    /// Checks one graph; `base` is its path (empty for the workflow), `bindings`
    /// what the enclosing graphs and step give it.
    pub(super) fn graph<'g>(
        &mut self,
        graph: &'g ExecutionGraph,
        base: &str,
        outers: Vec<Outer<'g>>,
        bindings: &Bindings,
    ) {
        let scope = GraphScope {
            graph,
            ancestors: ancestors(graph),
            outers,
            // A declared built-in is reported below, and reads stay checked as built-ins.
            bindings: bindings.with(
                graph
                    .variables
                    .keys()
                    .map(String::as_str)
                    .filter(|name| !builtins::is_builtin(name)),
                None,
            ),
        };
        let variables_path = join_key(base, "variables");
        self.no_builtins(graph.variables.keys(), &variables_path);
        let steps_path = join_key(base, "steps");
        let keys: Vec<&str> = graph.steps.keys().map(String::as_str).collect();
        if graph.steps.is_empty() {
            self.report(steps_path.clone(), "the graph has no steps", None);
        } else if !graph.steps.contains_key(&graph.entry_point) {
            self.report(
                join_key(base, "entryPoint"),
                format!("entry point '{}' is not a step", graph.entry_point),
                names_hint(&graph.entry_point, &keys, "steps are"),
            );
        }
        for (key, step) in &graph.steps {
            let step_path = join_key(&steps_path, key);
            if step.id() != key {
                self.report(
                    join_key(&step_path, "id"),
                    format!("id '{}' differs from the step's key '{key}'", step.id()),
                    Some("a step repeats its key as its id".to_string()),
                );
            }
            self.step(&scope, key, step, &step_path);
        }
        self.edges(&scope, base, &keys);
        self.reachability(graph, &steps_path);
    }

    /// Reports each of `names` (declared or passed-in variables, under `at`) that
    /// is a built-in variable: a scenario cannot set those.
    pub(super) fn no_builtins<'n>(
        &mut self,
        names: impl IntoIterator<Item = &'n String>,
        at: &str,
    ) {
        for name in names {
            if builtins::is_builtin(name) {
                self.report(
                    join_key(at, name),
                    format!("'{name}' is a built-in variable, set by the runtime; a scenario cannot set it"),
                    Some("give the variable a name that is not built in".to_string()),
                );
            }
        }
    }

    fn edges(&mut self, scope: &GraphScope<'_>, base: &str, keys: &[&str]) {
        let graph = scope.graph;
        let plan_path = join_key(base, "executionPlan");
        let mut conditional_labels: BTreeSet<(&str, &str)> = BTreeSet::new();
        for (i, edge) in graph.execution_plan.iter().enumerate() {
            let edge_path = join_index(&plan_path, i);
            for (member, id) in [("fromStep", &edge.from_step), ("toStep", &edge.to_step)] {
                if !graph.steps.contains_key(id) {
                    self.report(
                        join_key(&edge_path, member),
                        format!("unknown step '{id}'"),
                        names_hint(id, keys, "steps are"),
                    );
                }
            }
            match graph.steps.get(&edge.from_step) {
                Some(Step::Conditional(_)) => {
                    let label = edge.label.as_deref();
                    match label {
                        None => self.report(
                            edge_path.clone(),
                            format!(
                                "an edge leaving Conditional step '{}' needs the label \"true\" or \"false\"",
                                edge.from_step
                            ),
                            None,
                        ),
                        Some("true" | "false" | "onError") => {}
                        Some(other) => self.report(
                            join_key(&edge_path, "label"),
                            format!("a Conditional step continues on \"true\" or \"false\", not '{other}'"),
                            None,
                        ),
                    }
                    if let Some(label @ ("true" | "false")) = label
                        && !conditional_labels.insert((edge.from_step.as_str(), label))
                    {
                        self.report(
                            join_key(&edge_path, "label"),
                            format!(
                                "Conditional step '{}' already has a \"{label}\" edge",
                                edge.from_step
                            ),
                            None,
                        );
                    }
                    if edge.condition.is_some() && label != Some("onError") {
                        self.report(
                            join_key(&edge_path, "condition"),
                            "an edge leaving a Conditional step cannot have a condition",
                            Some(
                                "the step's own condition picks the \"true\" or \"false\" edge"
                                    .to_string(),
                            ),
                        );
                    }
                }
                Some(Step::Switch(switch)) if switch.config.is_routing() => {
                    let mut routes: Vec<&str> = switch
                        .config
                        .cases
                        .iter()
                        .filter_map(|case| case.route.as_deref())
                        .collect();
                    routes.push("default");
                    match edge.label.as_deref() {
                        Some(label) if label == "onError" || routes.contains(&label) => {}
                        Some(label) => self.report(
                            join_key(&edge_path, "label"),
                            format!(
                                "no case of Switch step '{}' routes to '{label}'",
                                edge.from_step
                            ),
                            names_hint(label, &routes, "routes are"),
                        ),
                        None => self.report(
                            edge_path.clone(),
                            format!(
                                "an edge leaving routing Switch step '{}' needs a route label",
                                edge.from_step
                            ),
                            list_hint(&routes, "routes are"),
                        ),
                    }
                }
                _ => {}
            }
            if let Some(condition) = &edge.condition
                && let Some((key, _)) = graph.steps.get_key_value(&edge.from_step)
            {
                let reader = self.reader(scope, key, true);
                self.condition(&reader, condition, &join_key(&edge_path, "condition"));
            }
        }
    }

    fn reachability(&mut self, graph: &ExecutionGraph, steps_path: &str) {
        if !graph.steps.contains_key(&graph.entry_point) {
            return;
        }
        let mut reached = BTreeSet::from([graph.entry_point.as_str()]);
        let mut stack = vec![graph.entry_point.as_str()];
        while let Some(current) = stack.pop() {
            for edge in graph.outgoing(current) {
                if graph.steps.contains_key(&edge.to_step) && reached.insert(edge.to_step.as_str())
                {
                    stack.push(edge.to_step.as_str());
                }
            }
        }
        for key in graph.steps.keys() {
            if !reached.contains(key.as_str()) {
                self.report(
                    join_key(steps_path, key),
                    format!(
                        "step '{key}' is never reached from the entry point '{}'",
                        graph.entry_point
                    ),
                    Some("add an edge to it in executionPlan, or remove it".to_string()),
                );
            }
        }
    }
}
