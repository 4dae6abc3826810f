//! Parallel Split natively: iterations run at once up to `parallelism`, with the
//! same outputs and the same failure as one after another; a cancel seen by the
//! background signal poll stops the branches; a resumed run replays the iterations
//! that were checkpointed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex};
use std::time::{Duration, Instant};

use runtara_runtime::dsl::step::{AgentStep, FinishStep, SplitStep};
use runtara_runtime::{
    AgentError, Agents, CheckpointReply, Control, Durable, Graph, LogLevel, MAX_PARALLELISM, Next,
    Run, SleepOutcome, WorkflowError, embedded,
};
use serde_json::{Value, json};

/// Longest a test waits for branches to meet; only a broken runtime waits this long.
const PATIENCE: Duration = Duration::from_secs(20);

/// What the agent and the provider of one test see, shared across branches.
#[derive(Default)]
struct Seen {
    /// The `n` of every call, in the order the calls started.
    calls: Vec<u64>,
    in_flight: usize,
    most_in_flight: usize,
    /// Set once the agent asked for a cancel; the next signal poll answers it.
    cancel_wanted: bool,
    /// How often the provider was polled after `cancel_wanted` was set.
    polls_after_cancel_wanted: usize,
}

#[derive(Default)]
struct Shared {
    seen: Mutex<Seen>,
    changed: Condvar,
}

impl Shared {
    /// Waits until `done` holds of what was seen, or [`PATIENCE`] has passed.
    fn wait_until(&self, done: impl Fn(&Seen) -> bool) {
        let seen = self.seen.lock().unwrap();
        let _ = self
            .changed
            .wait_timeout_while(seen, PATIENCE, |seen| !done(seen))
            .unwrap();
    }

    fn update(&self, change: impl FnOnce(&mut Seen)) {
        change(&mut self.seen.lock().unwrap());
        self.changed.notify_all();
    }
}

/// Echoes `{ "n": n }`. Each call waits until `meet` calls have started (so that
/// many must run at once), fails permanently for the `n` in `fails`, and, when
/// `cancel` is set, asks for a cancel and waits until the signal poll has seen it.
#[derive(Default)]
struct Gate {
    shared: Arc<Shared>,
    meet: usize,
    fails: Vec<u64>,
    cancel: bool,
}

impl Agents for Gate {
    fn call(&self, _agent: &str, _capability: &str, input: &str) -> Result<String, AgentError> {
        let input: Value = serde_json::from_str(input).unwrap();
        let n = input["n"].as_u64().unwrap();
        self.shared.update(|seen| {
            seen.calls.push(n);
            seen.in_flight += 1;
            seen.most_in_flight = seen.most_in_flight.max(seen.in_flight);
        });
        self.shared.wait_until(|seen| seen.calls.len() >= self.meet);
        if self.cancel {
            self.shared.update(|seen| seen.cancel_wanted = true);
            self.shared
                .wait_until(|seen| seen.polls_after_cancel_wanted > 0);
        }
        self.shared.update(|seen| seen.in_flight -= 1);
        if self.fails.contains(&n) {
            return Err(AgentError::permanent("REFUSED", format!("{n} is refused")));
        }
        Ok(input.to_string())
    }
}

/// Keeps checkpoints in memory; its signal poll answers a cancel the agent asked for.
#[derive(Default)]
struct Memory {
    shared: Arc<Shared>,
    saved: Vec<(String, Value)>,
    ended: Option<String>,
}

impl Durable for Memory {
    fn register(&mut self) -> Result<Vec<(String, Value)>, String> {
        Ok(self.saved.clone())
    }
    fn checkpoint(&mut self, id: &str, state: &Value) -> Result<CheckpointReply, String> {
        self.saved.push((id.to_owned(), state.clone()));
        Ok(CheckpointReply::default())
    }
    fn poll_control(&mut self) -> Option<Control> {
        let mut cancel = false;
        self.shared.update(|seen| {
            if seen.cancel_wanted {
                seen.polls_after_cancel_wanted += 1;
                cancel = true;
            }
        });
        cancel.then_some(Control::Cancel)
    }
    fn take_signal(&mut self, _: &str) -> Result<Option<Value>, String> {
        Ok(None)
    }
    fn sleep(&mut self, duration: Duration, _: &str) -> Result<SleepOutcome, String> {
        Ok(SleepOutcome::Wait(duration))
    }
    fn log(&mut self, _: LogLevel, _: &str, _: &Value) {}
    fn completed(&mut self, _: &Value) {
        self.ended = Some("completed".into());
    }
    fn failed(&mut self, error: &WorkflowError) {
        self.ended = Some(format!("failed {}", error.code));
    }
    fn suspended(&mut self) {
        self.ended = Some("suspended".into());
    }
}

static CALL: LazyLock<AgentStep> = LazyLock::new(|| {
    embedded(
        r#"{"id": "call", "agentId": "utils", "capabilityId": "echo",
            "inputMapping": {"n": {"valueType": "reference", "value": "item"}}}"#,
    )
});
static ITERATION_DONE: LazyLock<FinishStep> = LazyLock::new(|| {
    embedded(
        r#"{"id": "done", "inputMapping": {"n": {"valueType": "reference", "value": "steps.call.outputs.n"}}}"#,
    )
});

fn call(run: &mut Run) -> Result<Next, WorkflowError> {
    run.agent(&CALL)?;
    Ok(Next::Take(&[1]))
}
fn iteration_done(run: &mut Run) -> Result<Next, WorkflowError> {
    Ok(Next::Done(run.finish(&ITERATION_DONE)?))
}
static BODY: Graph = Graph {
    steps: &[call, iteration_done],
    ids: &["call", "done"],
    edges: &[(0, 1)],
    entry: 0,
    releases: &[],
};
fn body(run: &mut Run) -> Result<Value, WorkflowError> {
    run.drive(&BODY)
}

/// A Split step over `data.items` with `config` on top of the value.
fn split_step(config: Value) -> SplitStep {
    let mut config = config;
    config["value"] = json!({"valueType": "reference", "value": "data.items"});
    let subgraph = json!({
        "entryPoint": "call",
        "steps": {"call": {"stepType": "Finish", "id": "call", "inputMapping": {}}},
        "executionPlan": [],
    });
    embedded(&json!({"id": "each", "subgraph": subgraph, "config": config}).to_string())
}

/// Runs the Split over `items` as the whole workflow: its outputs, or its error.
fn run_split(
    step: &SplitStep,
    items: &[u64],
    agents: &dyn Agents,
    durable: &mut Memory,
) -> Result<Value, WorkflowError> {
    let input = json!({ "items": items });
    let mut run = Run::new(input, &Default::default(), "w", agents, durable);
    let result = run
        .register()
        .and_then(|()| run.split(step, body))
        .map(|()| run.outputs("each").cloned().unwrap_or_default());
    run.end(result)
}

fn gate(meet: usize) -> Gate {
    Gate {
        meet,
        ..Gate::default()
    }
}

fn memory(agents: &Gate) -> Memory {
    Memory {
        shared: agents.shared.clone(),
        ..Memory::default()
    }
}

const ITEMS: [u64; 9] = [10, 11, 12, 13, 14, 15, 16, 17, 18];

fn in_order() -> Vec<Value> {
    ITEMS.iter().map(|n| json!({ "n": n })).collect()
}

#[test]
fn iterations_run_at_once_up_to_parallelism_with_outputs_in_input_order() {
    let step = split_step(json!({"parallelism": 3}));
    // Every call waits until three have started: only three at once get past that.
    let agents = gate(3);
    let output = run_split(&step, &ITEMS, &agents, &mut memory(&agents)).unwrap();
    assert_eq!(output, Value::Array(in_order()));
    let seen = agents.shared.seen.lock().unwrap();
    assert_eq!(seen.most_in_flight, 3, "parallelism 3 runs three at once");
    assert_eq!(seen.calls.len(), ITEMS.len());
}

#[test]
fn sequential_runs_one_at_a_time_with_the_same_outputs() {
    let step = split_step(json!({"parallelism": 3, "sequential": true}));
    let agents = gate(1);
    let output = run_split(&step, &ITEMS, &agents, &mut memory(&agents)).unwrap();
    assert_eq!(output, Value::Array(in_order()));
    let seen = agents.shared.seen.lock().unwrap();
    assert_eq!(seen.most_in_flight, 1);
    assert_eq!(seen.calls, ITEMS);
}

#[test]
fn a_failing_iteration_fails_the_split_exactly_as_in_order() {
    let fails = vec![12, 15];
    let parallel = Gate {
        meet: 4,
        fails: fails.clone(),
        ..Gate::default()
    };
    let sequential = Gate {
        meet: 1,
        fails,
        ..Gate::default()
    };
    let parallel_error = run_split(
        &split_step(json!({"parallelism": 4})),
        &ITEMS,
        &parallel,
        &mut memory(&parallel),
    )
    .unwrap_err();
    let sequential_error = run_split(
        &split_step(json!({"sequential": true})),
        &ITEMS,
        &sequential,
        &mut memory(&sequential),
    )
    .unwrap_err();
    assert_eq!(parallel_error, sequential_error);
    assert_eq!(parallel_error.attributes["iteration"], json!(2));
    // Iterations after the failing one that had not started never start.
    let calls = parallel.shared.seen.lock().unwrap().calls.len();
    assert!(
        calls < ITEMS.len(),
        "{calls} calls: the split went on after failing"
    );
}

#[test]
fn dont_stop_on_failed_collects_the_same_failures_as_in_order() {
    let config = json!({"dontStopOnFailed": true, "parallelism": 4});
    let parallel = Gate {
        meet: 4,
        fails: vec![11, 17],
        ..Gate::default()
    };
    let sequential = Gate {
        meet: 1,
        fails: vec![11, 17],
        ..Gate::default()
    };
    let mut in_order_config = config.clone();
    in_order_config["sequential"] = json!(true);
    let parallel_output = run_split(
        &split_step(config),
        &ITEMS,
        &parallel,
        &mut memory(&parallel),
    )
    .unwrap();
    let sequential_output = run_split(
        &split_step(in_order_config),
        &ITEMS,
        &sequential,
        &mut memory(&sequential),
    )
    .unwrap();
    assert_eq!(parallel_output, sequential_output);
    assert_eq!(parallel_output["stats"]["failed"], json!(2));
    assert_eq!(parallel_output["failed"][0]["index"], json!(1));
}

#[test]
fn a_cancel_seen_by_the_signal_poll_stops_the_remaining_branches() {
    let agents = Gate {
        meet: 2,
        cancel: true,
        ..Gate::default()
    };
    let mut durable = memory(&agents);
    let error = run_split(
        &split_step(json!({"parallelism": 2})),
        &ITEMS,
        &agents,
        &mut durable,
    )
    .unwrap_err();
    assert_eq!(error.code, runtara_runtime::CANCELLED);
    assert_eq!(error.step_id.as_deref(), Some("each"));
    assert_eq!(durable.ended.as_deref(), Some("failed CANCELLED"));
    let seen = agents.shared.seen.lock().unwrap();
    assert_eq!(
        seen.calls.len(),
        2,
        "only the two branches running when the cancel came called the agent"
    );
    // A call that returned as the cancel came may still be checkpointed (it
    // finished); nothing after it is.
    let saved: Vec<&str> = durable.saved.iter().map(|(id, _)| id.as_str()).collect();
    assert!(
        saved
            .iter()
            .all(|id| ["each[0].call", "each[1].call"].contains(id)),
        "a cancelled run went on: {saved:?}"
    );
}

#[test]
fn a_resumed_parallel_split_replays_the_iterations_that_were_checkpointed() {
    let step = split_step(json!({"parallelism": 4}));
    let first = gate(1);
    let mut durable = memory(&first);
    run_split(&step, &ITEMS, &first, &mut durable).unwrap();
    let keys: Vec<&str> = durable.saved.iter().map(|(id, _)| id.as_str()).collect();
    for index in 0..ITEMS.len() {
        assert!(
            keys.contains(&format!("each[{index}].call").as_str()),
            "{keys:?}"
        );
    }
    // As if the first run had crashed after the calls of iterations 0, 3 and 7.
    durable
        .saved
        .retain(|(id, _)| ["each[0].call", "each[3].call", "each[7].call"].contains(&id.as_str()));
    let second = gate(1);
    durable.shared = second.shared.clone();
    let output = run_split(&step, &ITEMS, &second, &mut durable).unwrap();
    assert_eq!(output, Value::Array(in_order()));
    let mut called = second.shared.seen.lock().unwrap().calls.clone();
    called.sort_unstable();
    assert_eq!(called, [11, 12, 14, 15, 16, 18]);
}

/// Echoes its input and counts the calls in flight. Each call holds until one more
/// call than [`MAX_PARALLELISM`] has started, or [`CROWD_HOLD`] has passed: under
/// the cap that extra call cannot start while the first ones hold, so they wait
/// out the hold; without the cap it joins them at once.
#[derive(Default)]
struct Crowd {
    started: AtomicUsize,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
}

/// How long the calls of a [`Crowd`] hold, at most.
const CROWD_HOLD: Duration = Duration::from_secs(1);

impl Agents for Crowd {
    fn call(&self, _agent: &str, _capability: &str, input: &str) -> Result<String, AgentError> {
        self.started.fetch_add(1, Ordering::SeqCst);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        let until = Instant::now() + CROWD_HOLD;
        while self.started.load(Ordering::SeqCst) <= MAX_PARALLELISM && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(1));
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        Ok(input.to_owned())
    }
}

#[test]
fn parallelism_beyond_the_cap_runs_at_most_the_cap_at_once() {
    let step = split_step(json!({"parallelism": 100_000}));
    let items: Vec<u64> = (0..2 * MAX_PARALLELISM as u64).collect();
    let agents = Crowd::default();
    let output = run_split(&step, &items, &agents, &mut Memory::default()).unwrap();
    let expected: Vec<Value> = items.iter().map(|n| json!({ "n": n })).collect();
    assert_eq!(output, Value::Array(expected));
    assert_eq!(
        agents.most_in_flight.load(Ordering::SeqCst),
        MAX_PARALLELISM,
        "parallelism 100000 runs the cap's worth of iterations at once, no more"
    );
}
