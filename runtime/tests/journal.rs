//! The journal through `Run::drive`: checkpoints after each step, replay on resume,
//! and pause and cancel requests on checkpoint replies, with an in-memory provider.

use std::sync::LazyLock;

use runtara_runtime::dsl::step::{AgentStep, FinishStep};
use runtara_runtime::{
    AgentError, Agents, CheckpointReply, Control, Durable, Graph, LogLevel, Next, Run,
    SleepOutcome, WorkflowError, embedded,
};
use serde_json::{Value, json};

/// Counts the agent calls; every capability echoes its input.
#[derive(Default)]
struct CountingAgents {
    calls: Vec<String>,
}

impl Agents for CountingAgents {
    fn call(&mut self, _agent: &str, capability: &str, input: &str) -> Result<String, AgentError> {
        self.calls.push(capability.to_owned());
        Ok(input.to_owned())
    }
}

/// Keeps checkpoints in memory and answers the next checkpoint with a request.
#[derive(Default)]
struct MemoryDurable {
    saved: Vec<(String, Value)>,
    request: Option<Control>,
    ended: Option<String>,
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
        Ok(None)
    }
    fn sleep(&mut self, _: std::time::Duration, _: &str) -> Result<SleepOutcome, String> {
        Ok(SleepOutcome::Done)
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
};

fn run(agents: &mut CountingAgents, durable: &mut MemoryDurable) -> Result<Value, WorkflowError> {
    let mut run = Run::new(json!({"n": 7}), &Default::default(), "w", agents, durable);
    let result = run.register().and_then(|()| run.drive(&GRAPH));
    run.end(result)
}

#[test]
fn every_finished_step_is_checkpointed_with_its_outputs_and_edges() {
    let (mut agents, mut durable) = (CountingAgents::default(), MemoryDurable::default());
    assert_eq!(run(&mut agents, &mut durable), Ok(json!({"posted": 7})));
    let ids: Vec<&str> = durable.saved.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["fetch", "post", "done"]);
    let fetch = &durable.saved[0].1;
    assert_eq!(fetch["steps"]["fetch"]["outputs"], json!({"n": 7}));
    assert_eq!(fetch["take"], json!([1]));
    assert_eq!(durable.saved[2].1["finish"], json!({"posted": 7}));
    assert_eq!(durable.ended.as_deref(), Some("completed"));
}

#[test]
fn a_resumed_run_replays_finished_steps_instead_of_calling_them() {
    let (mut first, mut durable) = (CountingAgents::default(), MemoryDurable::default());
    run(&mut first, &mut durable).unwrap();
    // As if the first run had crashed right after checkpointing `fetch`.
    durable.saved.truncate(1);
    let mut second = CountingAgents::default();
    assert_eq!(run(&mut second, &mut durable), Ok(json!({"posted": 7})));
    assert_eq!(
        second.calls,
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
    let mut first = CountingAgents::default();
    let error = run(&mut first, &mut durable).unwrap_err();
    assert_eq!(error.code, runtara_runtime::PAUSED);
    assert_eq!(error.step_id.as_deref(), Some("fetch"));
    assert_eq!(first.calls, ["fetch"]);
    assert_eq!(durable.ended.as_deref(), Some("suspended"));

    let mut second = CountingAgents::default();
    assert_eq!(run(&mut second, &mut durable), Ok(json!({"posted": 7})));
    assert_eq!(second.calls, ["post"]);
}

#[test]
fn a_cancel_ends_the_run_as_cancelled() {
    let mut durable = MemoryDurable {
        request: Some(Control::Cancel),
        ..Default::default()
    };
    let mut agents = CountingAgents::default();
    let error = run(&mut agents, &mut durable).unwrap_err();
    assert_eq!(error.code, runtara_runtime::CANCELLED);
    assert_eq!(agents.calls, ["fetch"]);
    assert_eq!(durable.ended.as_deref(), Some("failed CANCELLED"));
}

#[test]
fn a_corrupt_checkpoint_is_a_clear_error() {
    let mut durable = MemoryDurable {
        saved: vec![("fetch".into(), json!({"steps": {}}))],
        ..Default::default()
    };
    let error = run(&mut CountingAgents::default(), &mut durable).unwrap_err();
    assert_eq!(error.code, "CHECKPOINT_CORRUPT");
    assert!(error.message.contains("'fetch'"), "{}", error.message);
}
