//! `cargo bench -p runtara-cli --bench split [-- N ...]`: a Split over N items
//! (default 1k, 10k and 100k), each iteration one agent call through the native
//! `Agents` seam and a Finish step, driven without compiling a scenario. Prints the
//! time per item for each N, in order and in parallel, and its ratio to the first N:
//! a Split whose iterations cost the same whatever N is stays near 1.

use std::hint::black_box;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use runtara_runtime::dsl::step::{AgentStep, FinishStep, SplitStep};
use runtara_runtime::{
    AgentError, Agents, CheckpointReply, Control, Durable, Graph, LogLevel, Next, Run,
    SleepOutcome, WorkflowError, embedded,
};
use serde_json::{Value, json};

/// Echoes its input, as a transform-like agent would answer.
struct Echo;

impl Agents for Echo {
    fn call(&self, _agent: &str, _capability: &str, input: &str) -> Result<String, AgentError> {
        Ok(input.to_owned())
    }
}

/// Takes every checkpoint and keeps nothing: the figure is the runtime's own work.
struct Discard {
    checkpoints: usize,
}

impl Durable for Discard {
    fn register(&mut self) -> Result<Vec<(String, Value)>, String> {
        Ok(Vec::new())
    }
    fn checkpoint(&mut self, _: &str, state: &Value) -> Result<CheckpointReply, String> {
        black_box(state);
        self.checkpoints += 1;
        Ok(CheckpointReply::default())
    }
    fn poll_control(&mut self) -> Option<Control> {
        None
    }
    fn take_signal(&mut self, _: &str) -> Result<Option<Value>, String> {
        Ok(None)
    }
    fn sleep(&mut self, duration: Duration, _: &str) -> Result<SleepOutcome, String> {
        Ok(SleepOutcome::Wait(duration))
    }
    fn log(&mut self, _: LogLevel, _: &str, _: &Value) {}
    fn completed(&mut self, _: &Value) {}
    fn failed(&mut self, _: &WorkflowError) {}
    fn suspended(&mut self) {}
}

static CALL: LazyLock<AgentStep> = LazyLock::new(|| {
    embedded(
        r#"{"id": "call", "agentId": "transform", "capabilityId": "echo",
            "inputMapping": {
                "id": {"valueType": "reference", "value": "item.id"},
                "name": {"valueType": "reference", "value": "item.name", "type": "string"},
                "index": {"valueType": "reference", "value": "variables._index"}}}"#,
    )
});
static DONE: LazyLock<FinishStep> = LazyLock::new(|| {
    embedded(
        r#"{"id": "done", "inputMapping": {"id": {"valueType": "reference", "value": "steps.call.outputs.id"}}}"#,
    )
});

fn call(run: &mut Run) -> Result<Next, WorkflowError> {
    run.agent(&CALL)?;
    Ok(Next::Take(&[1]))
}
fn done(run: &mut Run) -> Result<Next, WorkflowError> {
    Ok(Next::Done(run.finish(&DONE)?))
}
static BODY: Graph = Graph {
    steps: &[call, done],
    ids: &["call", "done"],
    edges: &[(0, 1)],
    entry: 0,
    releases: &[],
};
fn body(run: &mut Run) -> Result<Value, WorkflowError> {
    run.drive(&BODY)
}

fn split_step(sequential: bool) -> SplitStep {
    embedded(
        &json!({"id": "each",
            "subgraph": {"entryPoint": "call",
                "steps": {"call": {"stepType": "Finish", "id": "call", "inputMapping": {}}},
                "executionPlan": []},
            "config": {"value": {"valueType": "reference", "value": "data.items"},
                "sequential": sequential}})
        .to_string(),
    )
}

/// Runs the Split over `n` items once; the time it took.
fn time_split(step: &SplitStep, n: usize) -> Duration {
    let items: Vec<Value> = (0..n)
        .map(|i| json!({"id": i, "name": format!("item {i}"), "tags": ["a", "b"]}))
        .collect();
    let (agents, mut durable) = (Echo, Discard { checkpoints: 0 });
    let started = Instant::now();
    let mut run = Run::new(
        json!({ "items": items }),
        &Default::default(),
        "bench",
        &agents,
        &mut durable,
    );
    run.split(step, body).expect("the split runs");
    let outputs = run.outputs("each").and_then(Value::as_array).map(Vec::len);
    assert_eq!(outputs, Some(n), "one output per item");
    let took = started.elapsed();
    drop(run);
    assert_eq!(
        durable.checkpoints,
        2 * n,
        "two steps checkpointed per item"
    );
    took
}

/// The least time per item, in µs, of runs of the Split over `n` items: at least
/// [`MIN_RUNS`], and more until [`MIN_TOTAL`] has passed (at most [`MAX_RUNS`]). The
/// least is the run that other work on the machine disturbed least.
fn best_per_item(step: &SplitStep, n: usize) -> (f64, usize) {
    let started = Instant::now();
    let mut best = f64::INFINITY;
    let mut runs = 0;
    while runs < MIN_RUNS || (started.elapsed() < MIN_TOTAL && runs < MAX_RUNS) {
        let per_item = time_split(step, n).as_secs_f64() * 1e6 / n as f64;
        best = best.min(per_item);
        runs += 1;
    }
    (best, runs)
}

const MIN_RUNS: usize = 3;
const MAX_RUNS: usize = 50;
const MIN_TOTAL: Duration = Duration::from_secs(2);

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|arg| arg.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 10_000, 100_000]
    } else {
        sizes
    };
    for (mode, sequential) in [("in order", true), ("parallel", false)] {
        let step = split_step(sequential);
        // Warms the allocator and the lazily built steps.
        time_split(&step, 100);
        let mut reference = None;
        println!("Split {mode} (best of the runs):");
        for &n in &sizes {
            let (per_item, runs) = best_per_item(&step, n);
            let reference = *reference.get_or_insert(per_item);
            println!(
                "  N = {n:>7}: {per_item:>9.2} µs per item ({runs:>2} runs), {:>5.2}× the time per item at N = {}",
                per_item / reference,
                sizes[0]
            );
        }
    }
}
