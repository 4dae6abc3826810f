//! Where each step goes next: the scenario's edges, checked and grouped per step.

use std::collections::{BTreeMap, BTreeSet};

use runtara_dsl::{ExecutionGraph, Step};

use crate::CompileError;

/// What follows one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flow {
    /// Continue at the step, or end the graph (`None`).
    Next(Option<String>),
    /// A Conditional: the `"true"` and `"false"` edges (a missing one ends the graph).
    Branch {
        on_true: Option<String>,
        on_false: Option<String>,
    },
    /// A Finish step: its mapping is the graph's output.
    Finish,
}

/// A step's way on: the normal flow and, when it has one, the `onError` edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Successors {
    pub flow: Flow,
    pub on_error: Option<String>,
}

/// Groups the edges by their source step and checks that each step's edges make sense
/// for its type; also refuses cycles (loops belong in a While step).
pub fn successors(graph: &ExecutionGraph) -> Result<BTreeMap<String, Successors>, CompileError> {
    let mut result = BTreeMap::new();
    for (id, step) in &graph.steps {
        let edges: Vec<_> = graph
            .execution_plan
            .iter()
            .filter(|e| &e.from_step == id)
            .collect();
        let mut on_error = None;
        let mut plain = Vec::new();
        let mut on_true = None;
        let mut on_false = None;
        for edge in edges {
            let here = || format!("executionPlan edge {} -> {}", edge.from_step, edge.to_step);
            if edge.condition.is_some() || edge.priority.is_some() {
                return Err(CompileError::Unsupported {
                    location: here(),
                    what: "conditional edges (`condition`, `priority`)".into(),
                });
            }
            match edge.label.as_deref() {
                Some("onError") => set_once(&mut on_error, &edge.to_step, id, "onError")?,
                Some("true") if matches!(step, Step::Conditional(_)) => {
                    set_once(&mut on_true, &edge.to_step, id, "true")?
                }
                Some("false") if matches!(step, Step::Conditional(_)) => {
                    set_once(&mut on_false, &edge.to_step, id, "false")?
                }
                None | Some("") | Some("next") if !matches!(step, Step::Conditional(_)) => {
                    plain.push(edge.to_step.clone())
                }
                other => {
                    let expected = if matches!(step, Step::Conditional(_)) {
                        "\"true\", \"false\" or \"onError\""
                    } else {
                        "no label or \"onError\""
                    };
                    return Err(CompileError::InvalidEdge {
                        location: here(),
                        message: format!(
                            "a {} step's edges take {expected}, this one is labelled {}",
                            step.step_type(),
                            other
                                .map(|l| format!("{l:?}"))
                                .unwrap_or_else(|| "nothing".into())
                        ),
                    });
                }
            }
        }
        let flow = match step {
            Step::Finish(_) => Flow::Finish,
            Step::Conditional(_) => Flow::Branch { on_true, on_false },
            _ => {
                if plain.len() > 1 {
                    return Err(CompileError::Unsupported {
                        location: format!("steps.{id}"),
                        what: format!(
                            "more than one outgoing edge ({}): parallel branches",
                            plain.join(", ")
                        ),
                    });
                }
                Flow::Next(plain.pop())
            }
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
) -> Result<(), CompileError> {
    if let Some(first) = slot {
        return Err(CompileError::InvalidEdge {
            location: format!("executionPlan edge {from} -> {to}"),
            message: format!("step '{from}' already has a {label:?} edge (to '{first}')"),
        });
    }
    *slot = Some(to.to_owned());
    Ok(())
}

impl Successors {
    fn targets(&self) -> impl Iterator<Item = &String> {
        let flow: Vec<&String> = match &self.flow {
            Flow::Next(next) => next.iter().collect(),
            Flow::Branch { on_true, on_false } => on_true.iter().chain(on_false.iter()).collect(),
            Flow::Finish => Vec::new(),
        };
        flow.into_iter().chain(self.on_error.iter())
    }
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
