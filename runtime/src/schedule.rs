//! Running a graph's steps in the order its edges give.
//!
//! Generated code says, for each step, which of its outgoing edges it takes
//! ([`Next::Take`]); this module decides what runs next. A step runs once all
//! of its incoming edges are decided and at least one of them was taken, so a
//! step where two branches meet (a diamond) runs once, after both. Edges not
//! taken are dead, and a step all of whose incoming edges are dead is skipped,
//! which kills its own outgoing edges in turn (dead-path elimination): a join
//! after a Conditional does not wait for the branch that was not taken. Ready
//! steps run in document order, one at a time (Wasm has one thread).
//!
//! Each step runs through the journal (`run/journal.rs`): a step an earlier run
//! of the instance finished is replayed from its checkpoint, and a step that
//! finishes now is checkpointed.

use crate::prelude::*;
use serde_json::Value;

use crate::run::Decided;
use crate::{Run, WorkflowError};

/// What a step hands back to the scheduler.
pub enum Next {
    /// Continue on the edges to these steps (indices into [`Graph::steps`]); none ends this path.
    Take(&'static [usize]),
    /// The graph is finished with this output (a Finish step ran).
    Done(Value),
}

/// A generated step function.
pub type StepFn = fn(&mut Run) -> Result<Next, WorkflowError>;

/// One graph as generated code describes it.
pub struct Graph {
    /// The steps, in document order.
    pub steps: &'static [StepFn],
    /// Their ids, in the same order (a step's checkpoint is named after its id).
    pub ids: &'static [&'static str],
    /// Every edge as (from, to) step indices, `onError` edges included.
    pub edges: &'static [(usize, usize)],
    /// The entry point's index.
    pub entry: usize,
    /// (after, step id): the entry of step `step id` is dropped once the step at
    /// index `after` is done, because nothing reads it later (the compiler's
    /// `codegen/releases.rs` works that out). A large output is then not held for
    /// the rest of the run; its checkpoint already has it.
    pub releases: &'static [(usize, &'static str)],
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Waiting,
    Ready,
    Done,
    Skipped,
}

impl Run<'_> {
    /// Runs `graph` from its entry point; the output is the first Finish step's, or null.
    pub fn drive(&mut self, graph: &Graph) -> Result<Value, WorkflowError> {
        let count = graph.steps.len();
        let mut undecided = vec![0usize; count];
        let mut taken = vec![0usize; count];
        for &(_, to) in graph.edges {
            undecided[to] += 1;
        }
        let mut state = vec![State::Waiting; count];
        state[graph.entry] = State::Ready;
        while let Some(step) = state.iter().position(|s| *s == State::Ready) {
            state[step] = State::Done;
            self.check_deadline()?;
            match self.journaled(graph.ids[step], graph.steps[step])? {
                Decided::Finish(output) => return Ok(output),
                Decided::Take(targets) => {
                    for &(_, released) in graph.releases.iter().filter(|(after, _)| *after == step)
                    {
                        self.release_step(released);
                    }
                    let mut dead = Vec::new();
                    decide(
                        graph,
                        step,
                        &targets,
                        &mut undecided,
                        &mut taken,
                        &mut state,
                        &mut dead,
                    );
                    // Skipped steps take none of their edges, which may skip more steps.
                    while let Some(skipped) = dead.pop() {
                        decide(
                            graph,
                            skipped,
                            &[],
                            &mut undecided,
                            &mut taken,
                            &mut state,
                            &mut dead,
                        );
                    }
                }
            }
        }
        Ok(Value::Null)
    }
}

/// Decides every outgoing edge of `from`: taken when its target is in `targets`, dead otherwise.
fn decide(
    graph: &Graph,
    from: usize,
    targets: &[usize],
    undecided: &mut [usize],
    taken: &mut [usize],
    state: &mut [State],
    skipped: &mut Vec<usize>,
) {
    for &(_, to) in graph.edges.iter().filter(|(source, _)| *source == from) {
        undecided[to] = undecided[to].saturating_sub(1);
        if targets.contains(&to) {
            taken[to] += 1;
        }
        if undecided[to] == 0 && state[to] == State::Waiting {
            if taken[to] > 0 {
                state[to] = State::Ready;
            } else {
                state[to] = State::Skipped;
                skipped.push(to);
            }
        }
    }
}
