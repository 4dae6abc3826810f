//! Where each step goes next: the scenario's edges, checked and grouped per step.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use runtara_dsl::{ExecutionGraph, Step};

use crate::CompileError;

/// An edge taken only when its condition holds.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardedEdge {
    /// The condition as the user wrote it (embedded in the generated code).
    pub condition: Value,
    pub priority: i64,
    pub target: String,
}

/// What follows one step.
#[derive(Debug, Clone, PartialEq)]
pub enum Flow {
    /// Conditional edges, highest priority first (ties in plan order): the first whose
    /// condition holds is taken; when none holds, every unconditional edge is (several
    /// start parallel branches); with none at all this path of the graph ends.
    Edges {
        guarded: Vec<GuardedEdge>,
        fallback: Vec<String>,
    },
    /// A Conditional: the `"true"` and `"false"` edges (a missing one ends the graph).
    Branch {
        on_true: Option<String>,
        on_false: Option<String>,
    },
    /// A routing Switch: the edge labelled with the matched case's route, or `"default"`.
    Routes {
        routes: BTreeMap<String, String>,
        default: Option<String>,
    },
    /// A Finish step: its mapping is the graph's output.
    Finish,
    /// An Error step: it always fails.
    Fail,
}

/// A step's way on: the normal flow and, when it has one, the `onError` edge.
#[derive(Debug, Clone, PartialEq)]
pub struct Successors {
    pub flow: Flow,
    pub on_error: Option<String>,
}

impl Successors {
    /// Every step an edge of this step leads to, `onError` included.
    pub fn targets(&self) -> Vec<&String> {
        let mut targets: Vec<&String> = match &self.flow {
            Flow::Edges { guarded, fallback } => {
                guarded.iter().map(|e| &e.target).chain(fallback).collect()
            }
            Flow::Branch { on_true, on_false } => on_true.iter().chain(on_false).collect(),
            Flow::Routes { routes, default } => routes.values().chain(default).collect(),
            Flow::Finish | Flow::Fail => Vec::new(),
        };
        targets.extend(&self.on_error);
        targets
    }
}

/// How a step's outgoing edges are read, by its type.
enum EdgeStyle {
    Plain,
    Branch,
    Routes,
    Terminal,
}

fn edge_style(step: &Step) -> EdgeStyle {
    match step {
        Step::Conditional(_) => EdgeStyle::Branch,
        Step::Switch(switch) if switch.config.cases.iter().any(|case| case.route.is_some()) => {
            EdgeStyle::Routes
        }
        Step::Finish(_) | Step::Error(_) => EdgeStyle::Terminal,
        _ => EdgeStyle::Plain,
    }
}

/// Groups the edges by their source step and checks that each step's edges make sense
/// for its type; also refuses cycles (loops belong in a While step). `raw_plan` is the
/// `executionPlan` as written, where edge conditions are taken from.
pub fn successors(
    graph: &ExecutionGraph,
    raw_plan: &[Value],
) -> Result<BTreeMap<String, Successors>, CompileError> {
    let mut result = BTreeMap::new();
    for (id, step) in &graph.steps {
        let style = edge_style(step);
        let mut on_error = None;
        let mut plain = Vec::new();
        let mut guarded = Vec::new();
        let mut on_true = None;
        let mut on_false = None;
        let mut routes = BTreeMap::new();
        let mut default = None;
        for (index, edge) in graph
            .execution_plan
            .iter()
            .enumerate()
            .filter(|(_, e)| &e.from_step == id)
        {
            let location = format!(
                "executionPlan[{index}] ({} -> {})",
                edge.from_step, edge.to_step
            );
            let label = edge.label.as_deref().filter(|l| !l.is_empty());
            if label == Some("onError") {
                set_once(&mut on_error, &edge.to_step, id, "onError", &location)?;
                continue;
            }
            if edge.condition.is_some() && !matches!(style, EdgeStyle::Plain) {
                return Err(CompileError::InvalidEdge {
                    location,
                    message: format!(
                        "a {} step's edges cannot carry a condition",
                        step.step_type()
                    ),
                });
            }
            match (&style, label) {
                (EdgeStyle::Plain, None | Some("next")) => match &edge.condition {
                    Some(_) => guarded.push(GuardedEdge {
                        condition: raw_plan
                            .get(index)
                            .and_then(|e| e.get("condition"))
                            .cloned()
                            .ok_or_else(|| {
                                CompileError::Internal(format!(
                                    "{location}: its condition is missing from the document"
                                ))
                            })?,
                        priority: edge.priority.unwrap_or(0),
                        target: edge.to_step.clone(),
                    }),
                    None => plain.push(edge.to_step.clone()),
                },
                (EdgeStyle::Branch, Some("true")) => {
                    set_once(&mut on_true, &edge.to_step, id, "true", &location)?
                }
                (EdgeStyle::Branch, Some("false")) => {
                    set_once(&mut on_false, &edge.to_step, id, "false", &location)?
                }
                (EdgeStyle::Routes, Some("default")) => {
                    set_once(&mut default, &edge.to_step, id, "default", &location)?
                }
                (EdgeStyle::Routes, Some(route)) => {
                    if routes
                        .insert(route.to_owned(), edge.to_step.clone())
                        .is_some()
                    {
                        return Err(CompileError::InvalidEdge {
                            location,
                            message: format!("step '{id}' already has an edge for route {route:?}"),
                        });
                    }
                }
                (EdgeStyle::Terminal, _) => {
                    return Err(CompileError::InvalidEdge {
                        location,
                        message: format!(
                            "a {} step ends its graph; only an \"onError\" edge may leave it",
                            step.step_type()
                        ),
                    });
                }
                (_, label) => {
                    let expected = match style {
                        EdgeStyle::Branch => "\"true\", \"false\" or \"onError\"",
                        EdgeStyle::Routes => "a case's route, \"default\" or \"onError\"",
                        _ => "no label or \"onError\"",
                    };
                    return Err(CompileError::InvalidEdge {
                        location,
                        message: format!(
                            "a {} step's edges take {expected}, this one is labelled {}",
                            step.step_type(),
                            label
                                .map(|l| format!("{l:?}"))
                                .unwrap_or_else(|| "nothing".into())
                        ),
                    });
                }
            }
        }
        // Highest priority first; the sort is stable, so ties keep the plan's order.
        guarded.sort_by_key(|edge| std::cmp::Reverse(edge.priority));
        let flow = match style {
            EdgeStyle::Plain => Flow::Edges {
                guarded,
                fallback: plain,
            },
            EdgeStyle::Branch => Flow::Branch { on_true, on_false },
            EdgeStyle::Routes => Flow::Routes { routes, default },
            EdgeStyle::Terminal if matches!(step, Step::Finish(_)) => Flow::Finish,
            EdgeStyle::Terminal => Flow::Fail,
        };
        result.insert(id.clone(), Successors { flow, on_error });
    }
    refuse_cycles(&graph.entry_point, &result)?;
    Ok(result)
}

fn set_once(
    slot: &mut Option<String>,
    to: &str,
    from: &str,
    label: &str,
    location: &str,
) -> Result<(), CompileError> {
    if let Some(first) = slot {
        return Err(CompileError::InvalidEdge {
            location: location.to_owned(),
            message: format!(
                "step '{from}' already has a {label:?} edge (to '{first}'), this one goes to '{to}'"
            ),
        });
    }
    *slot = Some(to.to_owned());
    Ok(())
}

/// A depth-first walk from the entry point; a step met again while still on the path is a cycle.
fn refuse_cycles(
    entry: &str,
    successors: &BTreeMap<String, Successors>,
) -> Result<(), CompileError> {
    fn visit<'a>(
        step: &'a str,
        successors: &'a BTreeMap<String, Successors>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Result<(), CompileError> {
        if done.contains(step) {
            return Ok(());
        }
        if let Some(start) = path.iter().position(|s| *s == step) {
            let mut cycle = path[start..].to_vec();
            cycle.push(step);
            return Err(CompileError::InvalidEdge {
                location: format!("steps.{step}"),
                message: format!(
                    "the edges form a cycle ({}); repeat steps with a While step",
                    cycle.join(" -> ")
                ),
            });
        }
        path.push(step);
        if let Some(next) = successors.get(step) {
            for target in next.targets() {
                visit(target, successors, path, done)?;
            }
        }
        path.pop();
        done.insert(step);
        Ok(())
    }
    visit(entry, successors, &mut Vec::new(), &mut BTreeSet::new())
}
