//! The journal through `Run::drive`: checkpoints after each step, replay on resume,
//! pause and cancel requests on checkpoint replies, durable waits of
//! `utils/delay-in-ms`, a WaitForSignal step the provider suspends, and the
//! attempts and handled errors a checkpoint records, with an in-memory provider.

use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use runtara_runtime::dsl::step::{AgentStep, FinishStep, WaitForSignalStep};
use runtara_runtime::{
    AgentError, Agents, CheckpointReply, Control, Durable, Graph, LogLevel, Next, Run, SignalWait,
    SleepOutcome, WorkflowError, embedded,
};
use serde_json::{Value, json};

/// Counts the agent calls; every capability echoes its input, after failing with a
/// transient error the first `failures` calls, and taking `takes` each call.
#[derive(Default)]
struct CountingAgents {
    calls: Mutex<Vec<String>>,
    failures: usize,
    takes: Duration,
}

impl CountingAgents {
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

impl Agents for CountingAgents {
    fn call(&self, _agent: &str, capability: &str, input: &str) -> Result<String, AgentError> {
        let calls = {
            let mut calls = self.calls.lock().unwrap();
            calls.push(capability.to_owned());
            calls.len()
        };
        std::thread::sleep(self.takes);
        if calls <= self.failures {
            return Err(AgentError::transient(
                "HTTP_ERROR",
                "503 Service Unavailable",
            ));
        }
        Ok(input.to_owned())
    }
}

/// Keeps checkpoints in memory and answers the next checkpoint with a request; its
/// durable sleeps are noted, and suspend the run while `suspend_sleeps` is set. It
/// holds at most one `signal`; waits for it are noted and answered `signal_wait`.
#[derive(Default)]
struct MemoryDurable {
    saved: Vec<(String, Value)>,
    request: Option<Control>,
    ended: Option<String>,
    sleeps: Vec<(Duration, String)>,
    suspend_sleeps: bool,
    signal: Option<Value>,
    signal_waits: Vec<(String, Option<Duration>)>,
    signal_wait: Option<SignalWait>,
}

impl Durable for MemoryDurable {
    fn register(&mut self) -> Result<Vec<(String, Value)>, String> {
        Ok(self.saved.clone())
    }
    fn checkpoint(&mut self, id: &str, state: &Value) -> Result<CheckpointReply, String> {
        let existing = self
            .saved
            .iter()
            .find(|(saved, _)| saved == id)
            .map(|(_, s)| s.clone());
        if existing.is_none() {
            self.saved.push((id.to_owned(), state.clone()));
        }
        let request = self.request.take();
        Ok(CheckpointReply {
            existing,
            pause: request == Some(Control::Pause),
            cancel: request == Some(Control::Cancel),
        })
    }
    fn poll_control(&mut self) -> Option<Control> {
        None
    }
    fn take_signal(&mut self, _: &str) -> Result<Option<Value>, String> {
        Ok(self.signal.clone())
    }
    fn await_signal(
        &mut self,
        signal_id: &str,
        timeout: Option<Duration>,
    ) -> Result<SignalWait, String> {
        self.signal_waits.push((signal_id.to_owned(), timeout));
        self.signal_wait.ok_or_else(|| "no answer set".to_owned())
    }
    fn sleep(&mut self, duration: Duration, checkpoint_id: &str) -> Result<SleepOutcome, String> {
        self.sleeps.push((duration, checkpoint_id.to_owned()));
        Ok(if self.suspend_sleeps {
            SleepOutcome::Suspend
        } else {
            SleepOutcome::Done
        })
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

static FETCH: LazyLock<AgentStep> = LazyLock::new(|| {
    embedded(
        r#"{"id": "fetch", "agentId": "utils", "capabilityId": "fetch",
            "inputMapping": {"n": {"valueType": "reference", "value": "data.n"}}}"#,
    )
});
static POST: LazyLock<AgentStep> = LazyLock::new(|| {
    embedded(
        r#"{"id": "post", "agentId": "utils", "capabilityId": "post",
            "inputMapping": {"fetched": {"valueType": "reference", "value": "steps.fetch.outputs.n"}}}"#,
    )
});
static DONE: LazyLock<FinishStep> = LazyLock::new(|| {
    embedded(
        r#"{"id": "done", "inputMapping": {"posted": {"valueType": "reference", "value": "steps.post.outputs.fetched"}}}"#,
    )
});

fn fetch(run: &mut Run) -> Result<Next, WorkflowError> {
    run.agent(&FETCH)?;
    Ok(Next::Take(&[1]))
}
fn post(run: &mut Run) -> Result<Next, WorkflowError> {
    run.agent(&POST)?;
    Ok(Next::Take(&[2]))
}
fn done(run: &mut Run) -> Result<Next, WorkflowError> {
    Ok(Next::Done(run.finish(&DONE)?))
}

static GRAPH: Graph = Graph {
    steps: &[fetch, post, done],
    ids: &["fetch", "post", "done"],
    edges: &[(0, 1), (1, 2)],
    entry: 0,
    // What the compiler works out: post is the only step that reads fetch.
    releases: &[(1, "fetch")],
};

fn run(agents: &CountingAgents, durable: &mut MemoryDurable) -> Result<Value, WorkflowError> {
    let mut run = Run::new(json!({"n": 7}), &Default::default(), "w", agents, durable);
    let result = run.register().and_then(|()| run.drive(&GRAPH));
    run.end(result)
}

#[test]
fn every_finished_step_is_checkpointed_with_its_outputs_and_edges() {
    let (agents, mut durable) = (CountingAgents::default(), MemoryDurable::default());
    assert_eq!(run(&agents, &mut durable), Ok(json!({"posted": 7})));
    let ids: Vec<&str> = durable.saved.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["fetch", "post", "done"]);
    let fetch = &durable.saved[0].1;
    assert_eq!(fetch["steps"]["fetch"]["outputs"], json!({"n": 7}));
    assert_eq!(fetch["take"], json!([1]));
    assert_eq!(durable.saved[2].1["finish"], json!({"posted": 7}));
    assert_eq!(durable.ended.as_deref(), Some("completed"));
}

#[test]
fn an_entry_no_later_step_reads_is_dropped_and_its_checkpoint_keeps_it() {
    let (agents, mut durable) = (CountingAgents::default(), MemoryDurable::default());
    let mut run = Run::new(
        json!({"n": 7}),
        &Default::default(),
        "w",
        &agents,
        &mut durable,
    );
    assert_eq!(run.drive(&GRAPH), Ok(json!({"posted": 7})));
    assert_eq!(run.outputs("fetch"), None, "post was fetch's last reader");
    assert_eq!(run.outputs("post"), Some(&json!({"fetched": 7})));
    drop(run);
    assert_eq!(
        durable.saved[0].1["steps"]["fetch"]["outputs"],
        json!({"n": 7})
    );
}

#[test]
fn a_resumed_run_replays_finished_steps_instead_of_calling_them() {
    let (first, mut durable) = (CountingAgents::default(), MemoryDurable::default());
    run(&first, &mut durable).unwrap();
    // As if the first run had crashed right after checkpointing `fetch`.
    durable.saved.truncate(1);
    let second = CountingAgents::default();
    assert_eq!(run(&second, &mut durable), Ok(json!({"posted": 7})));
    assert_eq!(
        second.calls(),
        ["post"],
        "fetch must come from its checkpoint"
    );
}

#[test]
fn a_pause_stops_after_the_checkpoint_and_a_resume_goes_on_from_there() {
    let mut durable = MemoryDurable {
        request: Some(Control::Pause),
        ..Default::default()
    };
    let first = CountingAgents::default();
    let error = run(&first, &mut durable).unwrap_err();
    assert_eq!(error.code, runtara_runtime::PAUSED);
    assert_eq!(error.step_id.as_deref(), Some("fetch"));
    assert_eq!(first.calls(), ["fetch"]);
    assert_eq!(durable.ended.as_deref(), Some("suspended"));

    let second = CountingAgents::default();
    assert_eq!(run(&second, &mut durable), Ok(json!({"posted": 7})));
    assert_eq!(second.calls(), ["post"]);
}

#[test]
fn a_cancel_ends_the_run_as_cancelled() {
    let mut durable = MemoryDurable {
        request: Some(Control::Cancel),
        ..Default::default()
    };
    let agents = CountingAgents::default();
    let error = run(&agents, &mut durable).unwrap_err();
    assert_eq!(error.code, runtara_runtime::CANCELLED);
    assert_eq!(agents.calls(), ["fetch"]);
    assert_eq!(durable.ended.as_deref(), Some("failed CANCELLED"));
}

#[test]
fn a_corrupt_checkpoint_is_a_clear_error() {
    let mut durable = MemoryDurable {
        saved: vec![("fetch".into(), json!({"steps": {}}))],
        ..Default::default()
    };
    let error = run(&CountingAgents::default(), &mut durable).unwrap_err();
    assert_eq!(error.code, "CHECKPOINT_CORRUPT");
    assert!(error.message.contains("'fetch'"), "{}", error.message);
}

/// A graph of one step, then a Finish step that outputs the scope's `steps`.
macro_rules! one_step_then_finish {
    ($step:ident, $id:literal) => {
        Graph {
            steps: &[$step, finish_one_step],
            ids: &[$id, "done"],
            edges: &[(0, 1)],
            entry: 0,
            releases: &[],
        }
    };
}

static DONE_WITH_OUTPUTS: LazyLock<FinishStep> = LazyLock::new(|| {
    embedded(
        r#"{"id": "done", "inputMapping": {"outputs": {"valueType": "reference", "value": "steps"}}}"#,
    )
});

fn finish_one_step(run: &mut Run) -> Result<Next, WorkflowError> {
    Ok(Next::Done(run.finish(&DONE_WITH_OUTPUTS)?))
}

fn run_graph(
    graph: &Graph,
    agents: &CountingAgents,
    durable: &mut MemoryDurable,
) -> Result<Value, WorkflowError> {
    let mut run = Run::new(json!({}), &Default::default(), "w", agents, durable);
    let result = run.register().and_then(|()| run.drive(graph));
    run.end(result)
}

static LONG_DELAY: LazyLock<AgentStep> = LazyLock::new(|| {
    embedded(
        r#"{"id": "wait", "agentId": "utils", "capabilityId": "delay-in-ms",
            "inputMapping": {"delay_value": {"valueType": "immediate", "value": 5000}}}"#,
    )
});
static SHORT_DELAY: LazyLock<AgentStep> = LazyLock::new(|| {
    embedded(
        r#"{"id": "wait", "agentId": "utils", "capabilityId": "delay-in-ms",
            "inputMapping": {"delay_value": {"valueType": "immediate", "value": 10}}}"#,
    )
});

fn long_delay(run: &mut Run) -> Result<Next, WorkflowError> {
    run.agent(&LONG_DELAY)?;
    Ok(Next::Take(&[1]))
}
fn short_delay(run: &mut Run) -> Result<Next, WorkflowError> {
    run.agent(&SHORT_DELAY)?;
    Ok(Next::Take(&[1]))
}

#[test]
fn a_long_agent_delay_is_a_durable_sleep_keyed_by_the_step_not_an_agent_call() {
    static GRAPH: Graph = one_step_then_finish!(long_delay, "wait");
    let mut durable = MemoryDurable {
        suspend_sleeps: true,
        ..Default::default()
    };
    let agents = CountingAgents::default();
    let error = run_graph(&GRAPH, &agents, &mut durable).unwrap_err();
    assert_eq!(error.code, runtara_runtime::SUSPENDED);
    assert_eq!(durable.ended.as_deref(), Some("suspended"));
    assert_eq!(
        durable.sleeps,
        [(Duration::from_millis(5000), "wait".to_owned())]
    );
    assert!(durable.saved.is_empty(), "a suspended step is not finished");

    // Resumed once the time has passed: the same step key asks again (the provider
    // waits only the rest), and the output is what the agent would have returned.
    durable.suspend_sleeps = false;
    let output = run_graph(&GRAPH, &agents, &mut durable).unwrap();
    assert_eq!(output, json!({"outputs": {"wait": {"outputs": 5000}}}));
    assert_eq!(durable.sleeps.len(), 2);
    assert_eq!(durable.sleeps[1].1, "wait");
    assert_eq!(durable.saved[0].1["steps"]["wait"]["outputs"], json!(5000));
    assert!(
        agents.calls().is_empty(),
        "the agent was called: {:?}",
        agents.calls()
    );

    // A crash after the wait's checkpoint: the replay does not sleep again.
    durable.saved.truncate(1);
    let output = run_graph(&GRAPH, &agents, &mut durable).unwrap();
    assert_eq!(output, json!({"outputs": {"wait": {"outputs": 5000}}}));
    assert_eq!(durable.sleeps.len(), 2, "the replayed wait slept again");
    assert!(agents.calls().is_empty());
}

#[test]
fn a_short_agent_delay_calls_the_agent() {
    static GRAPH: Graph = one_step_then_finish!(short_delay, "wait");
    let (agents, mut durable) = (CountingAgents::default(), MemoryDurable::default());
    run_graph(&GRAPH, &agents, &mut durable).unwrap();
    assert_eq!(agents.calls(), ["delay-in-ms"]);
    assert!(durable.sleeps.is_empty());
}

static APPROVE: LazyLock<WaitForSignalStep> = LazyLock::new(|| {
    embedded(r#"{"id": "approve", "timeoutMs": {"valueType": "immediate", "value": 86400000}}"#)
});

fn approve(run: &mut Run) -> Result<Next, WorkflowError> {
    run.wait_for_signal(&APPROVE, None)?;
    Ok(Next::Take(&[1]))
}

#[test]
fn a_wait_for_a_signal_the_provider_suspends_goes_on_when_resumed_with_it() {
    static GRAPH: Graph = one_step_then_finish!(approve, "approve");
    let agents = CountingAgents::default();
    let mut durable = MemoryDurable {
        signal_wait: Some(SignalWait::Suspend),
        ..Default::default()
    };
    let error = run_graph(&GRAPH, &agents, &mut durable).unwrap_err();
    assert_eq!(error.code, runtara_runtime::SUSPENDED, "{error:?}");
    assert_eq!(durable.ended.as_deref(), Some("suspended"));
    let day = Some(Duration::from_secs(86_400));
    assert_eq!(durable.signal_waits, [("approve".to_owned(), day)]);
    assert!(durable.saved.is_empty(), "a suspended step is not finished");

    // Woken by the signal: the step takes it and is not asked to wait again.
    durable.signal = Some(json!({"approved": true}));
    let output = run_graph(&GRAPH, &agents, &mut durable).unwrap();
    assert_eq!(
        output,
        json!({"outputs": {"approve": {"outputs": {"approved": true}}}})
    );
    assert_eq!(durable.signal_waits.len(), 1);
    assert_eq!(durable.ended.as_deref(), Some("completed"));

    // Woken by the timeout instead: the step fails as a timed-out wait does.
    let mut durable = MemoryDurable {
        signal_wait: Some(SignalWait::TimedOut),
        ..Default::default()
    };
    let error = run_graph(&GRAPH, &agents, &mut durable).unwrap_err();
    assert_eq!(error.code, "SIGNAL_TIMEOUT", "{error:?}");
    assert_eq!(
        error.message,
        "no signal 'approve' arrived within the timeoutMs of 86400000 ms"
    );
    assert_eq!(durable.ended.as_deref(), Some("failed SIGNAL_TIMEOUT"));
}

static FLAKY: LazyLock<AgentStep> = LazyLock::new(|| {
    embedded(
        r#"{"id": "flaky", "agentId": "http", "capabilityId": "http-request",
            "maxRetries": 3, "retryDelay": 1, "inputMapping": {}}"#,
    )
});

fn flaky(run: &mut Run) -> Result<Next, WorkflowError> {
    run.agent(&FLAKY)?;
    Ok(Next::Take(&[1]))
}

#[test]
fn a_checkpoint_records_how_many_attempts_a_retried_step_took() {
    static GRAPH: Graph = one_step_then_finish!(flaky, "flaky");
    let agents = CountingAgents {
        failures: 2,
        ..Default::default()
    };
    let mut durable = MemoryDurable::default();
    let output = run_graph(&GRAPH, &agents, &mut durable).unwrap();
    // The scope, and so the workflow's output, does not carry the attempts.
    assert_eq!(output, json!({"outputs": {"flaky": {"outputs": {}}}}));
    assert_eq!(agents.calls().len(), 3);
    let (id, state) = &durable.saved[0];
    assert_eq!(id, "flaky");
    assert_eq!(state["attempts"], json!(3));
    assert_eq!(state["steps"]["flaky"], json!({"outputs": {}}));

    // One attempt is the rule, and is not written down.
    let (agents, mut durable) = (CountingAgents::default(), MemoryDurable::default());
    run_graph(&GRAPH, &agents, &mut durable).unwrap();
    assert_eq!(durable.saved[0].1.get("attempts"), None);
}

static TIMED: LazyLock<AgentStep> = LazyLock::new(|| {
    embedded(
        r#"{"id": "timed", "agentId": "utils", "capabilityId": "slow",
            "timeout": 5, "maxRetries": 1, "retryDelay": 1, "inputMapping": {}}"#,
    )
});
static HANDLED: LazyLock<FinishStep> = LazyLock::new(|| {
    embedded(
        r#"{"id": "handled", "inputMapping": {"code": {"valueType": "reference", "value": "steps.timed.error.code"}}}"#,
    )
});

/// As the compiler generates a step with an `onError` edge (to step 1 here).
fn timed(run: &mut Run) -> Result<Next, WorkflowError> {
    match run.agent(&TIMED) {
        Ok(()) => Ok(Next::Take(&[])),
        Err(error) => {
            run.record_error(&error);
            Ok(Next::Take(&[1]))
        }
    }
}
fn handled(run: &mut Run) -> Result<Next, WorkflowError> {
    Ok(Next::Done(run.finish(&HANDLED)?))
}

static TIMED_GRAPH: Graph = Graph {
    steps: &[timed, handled],
    ids: &["timed", "handled"],
    edges: &[(0, 1)],
    entry: 0,
    releases: &[],
};

#[test]
fn a_timeout_handled_by_on_error_is_in_the_checkpoint_with_the_attempts() {
    let agents = CountingAgents {
        takes: Duration::from_millis(20),
        ..Default::default()
    };
    let mut durable = MemoryDurable::default();
    let output = run_graph(&TIMED_GRAPH, &agents, &mut durable).unwrap();
    assert_eq!(output, json!({"code": "STEP_TIMEOUT"}));
    assert_eq!(agents.calls().len(), 2);
    let (id, state) = &durable.saved[0];
    assert_eq!(id, "timed");
    assert_eq!(state["attempts"], json!(2));
    assert_eq!(state["take"], json!([1]));
    let error = &state["steps"]["timed"]["error"];
    assert_eq!(error["code"], "STEP_TIMEOUT");
    assert_eq!(error["category"], "transient");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("longer than the step's timeout of 5 ms")),
        "{error}"
    );
}
