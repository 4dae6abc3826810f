use crate::prelude::*;
use core::time::Duration;

use crate::clock::Instant;

use serde_json::{Map, Value, json};

use runtara_dsl::step::{AgentStep, ConditionalStep, FinishStep, LogStep};
use runtara_dsl::{condition, mapping};

#[cfg(all(feature = "std", not(target_arch = "wasm32")))]
mod branches;
mod collections;
mod control;
mod embed;
mod identity;
mod journal;
mod retries;
mod scope;
mod signal;
mod subgraphs;

#[cfg(all(feature = "std", not(target_arch = "wasm32")))]
pub use branches::MAX_PARALLELISM;
pub(crate) use journal::Decided;
use scope::Scope;
pub use subgraphs::GraphFn;

use crate::deadline::Deadline;
use crate::retry::RetryPolicy;
use crate::{Agents, Durable, ErrorCategory, LogLevel, WorkflowError};

/// How often a wait looks whether the run is stopping.
const STOP_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// A step that failed, as the generated control flow sees it: either it follows the
/// step's `onError` edge (after [`Run::record_error`]) or it ends the workflow.
pub type StepFailure = WorkflowError;

/// One execution of a workflow: its scope (input, step outputs, variables) and the
/// seams to agents and to the durability provider.
///
/// The scope is what mappings and conditions are evaluated against, read as one
/// JSON object: `{ "data", "workflow": { "inputs" }, "steps": { <id>: { "outputs",
/// "error" } }, "variables" }`; inside a loop iteration, a layer over its parent's
/// (`run/scope.rs`).
pub struct Run<'a> {
    scope: Scope<'a>,
    /// The earliest deadline this run is under (`executionTimeoutSeconds`, a
    /// Split's or While's `config.timeout`).
    deadline: Option<Deadline>,
    /// Where this run is, as a prefix of the signal ids of its WaitForSignal steps:
    /// empty for the workflow, `split[2].` inside iteration 2 of step `split`,
    /// `child.` inside the child workflow of EmbedWorkflow step `child`.
    place: String,
    agents: &'a dyn Agents,
    durable: &'a mut dyn Durable,
    /// Finished steps and the stop request, shared with subgraph and child runs.
    progress: journal::SharedProgress,
    /// The step entries the running step wrote, for its checkpoint.
    touched: Vec<String>,
    /// The most attempts one retry loop of the running step made, for its checkpoint.
    attempts: u32,
}

impl<'a> Run<'a> {
    /// Starts a run of the workflow `workflow_id` on `input` with the graph's declared
    /// `variables` (name -> value). The built-in variables `_workflow_id`,
    /// `_instance_id` (`$RUNTARA_INSTANCE_ID`, else a fresh UUID) and `_tenant_id`
    /// (`$RUNTARA_TENANT_ID`, else `default`) are added; they win over declared ones.
    pub fn new(
        input: Value,
        variables: &Map<String, Value>,
        workflow_id: &str,
        agents: &'a dyn Agents,
        durable: &'a mut dyn Durable,
    ) -> Self {
        let mut variables = variables.clone();
        variables.insert("_workflow_id".into(), json!(workflow_id));
        variables.insert("_instance_id".into(), json!(identity::instance_id()));
        variables.insert("_tenant_id".into(), json!(identity::tenant_id()));
        Self {
            scope: Scope::workflow(input, variables),
            deadline: None,
            place: String::new(),
            agents,
            durable,
            progress: Default::default(),
            touched: Vec::new(),
            attempts: 0,
        }
    }

    /// Makes `id` the run's `_instance_id`, when the caller names the instance (the
    /// `http-trigger` adapter, per request) rather than the environment.
    pub fn name_instance(&mut self, id: &str) {
        self.scope.set_variable("_instance_id", json!(id));
    }

    /// Fails the run at the next step once `limit` has passed (`executionTimeoutSeconds`).
    pub fn limit_time(&mut self, limit: Duration) {
        let error = WorkflowError::workflow(
            "EXECUTION_TIMEOUT",
            format!(
                "the workflow ran longer than its executionTimeoutSeconds ({} s)",
                limit.as_secs()
            ),
        );
        self.deadline = Deadline::earliest(self.deadline.take(), Deadline::after(limit, error));
    }

    /// An error when the run's deadline has passed.
    pub(crate) fn check_deadline(&self) -> Result<(), WorkflowError> {
        self.deadline.as_ref().map_or(Ok(()), Deadline::check)
    }

    /// Waits `duration` in place, or until the run's deadline, which then fails the
    /// wait, or until the run stops (another branch of a parallel Split saw a cancel).
    pub(crate) fn sleep(&self, duration: Duration) -> Result<(), WorkflowError> {
        match &self.deadline {
            Some(deadline) if deadline.remaining() <= duration => {
                // Past the deadline at the end, however coarse the clock.
                self.wait_unless_stopped(deadline.remaining() + Duration::from_millis(1))?;
                deadline.check()
            }
            _ => self.wait_unless_stopped(duration),
        }
    }

    /// Waits `duration` in place, or until the run stops.
    pub(crate) fn wait_unless_stopped(&self, duration: Duration) -> Result<(), WorkflowError> {
        let end = Instant::now() + duration;
        loop {
            self.stopping()?;
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            crate::clock::sleep(left.min(STOP_CHECK_INTERVAL));
        }
    }

    /// What step `step_id` produced, if it ran.
    pub fn outputs(&self, step_id: &str) -> Option<&Value> {
        self.scope.step(step_id)?.get("outputs")
    }

    /// Runs an Agent step: resolves its input mapping, calls the capability and retries
    /// transient errors per the step's policy (DSL.md: 3 retries, 1 s doubling). An
    /// attempt that outlasts the step's `timeout` fails with a transient `STEP_TIMEOUT`
    /// once the call returns (see [`crate::deadline`] for why not sooner). A long
    /// `utils/delay-in-ms` call is a durable wait keyed by the step's key instead of a
    /// call, with the agent's output (the milliseconds waited).
    pub fn agent(&mut self, step: &AgentStep) -> Result<(), StepFailure> {
        let input = mapping::resolve_map(&step.input_mapping, &self.scope).map_err(|e| {
            WorkflowError::step(&step.id, "MAPPING_ERROR", format!("inputMapping: {e}"))
        })?;
        let durable_delay = control::durable_agent_delay(step, &input);
        // The first attempt takes the resolved input; a retry resolves it again (the
        // scope has not changed), so a large input is never copied up front.
        let mut first_input = Some(input);
        let policy = RetryPolicy::from_step(step.max_retries, step.retry_delay);
        let capability = format!("{}/{}", step.agent_id, step.capability_id);
        if step.connection_id.is_some() || step.connection_ref.is_some() {
            // Said on every call, so a scenario that relies on a connection is not
            // mistaken for one that works: credentials must be in the inputMapping.
            let message = format!(
                "{capability}: connectionId is ignored: connections are kept (`runtara \
                 connection`) but not yet added to agent calls; pass credentials in the \
                 inputMapping"
            );
            self.log_event(LogLevel::Warn, &step.id, &message, &json!({}));
        }
        let output = self.retrying(&step.id, &policy, &capability, |run| {
            let started = Instant::now();
            let output = match durable_delay {
                // What the agent would answer after waiting: the milliseconds waited.
                Some(millis) => run.wait(&step.id, millis, true).map(|()| Value::from(millis)),
                None => {
                    let input = match first_input.take() {
                        Some(input) => input,
                        None => mapping::resolve_map(&step.input_mapping, &run.scope).map_err(
                            |e| {
                                WorkflowError::step(
                                    &step.id,
                                    "MAPPING_ERROR",
                                    format!("inputMapping: {e}"),
                                )
                            },
                        )?,
                    };
                    run.agents
                        .call_value(&step.agent_id, &step.capability_id, input)
                        .map_err(|error| {
                        WorkflowError::from_agent(
                            &step.id,
                            &step.agent_id,
                            &step.capability_id,
                                error,
                            )
                        })
                }
            }?;
            match step.timeout {
                Some(limit) if started.elapsed().as_millis() > u128::from(limit) => {
                    Err(WorkflowError {
                        category: ErrorCategory::Transient,
                        ..WorkflowError::step(
                            &step.id,
                            "STEP_TIMEOUT",
                            format!(
                                "{capability} took {} ms, longer than the step's timeout of {limit} ms",
                                started.elapsed().as_millis()
                            ),
                        )
                    })
                }
                _ => Ok(output),
            }
        })?;
        self.record_outputs(&step.id, output);
        Ok(())
    }

    /// Runs a Conditional step; its outputs are `{ "result": bool }`.
    pub fn conditional(&mut self, step: &ConditionalStep) -> Result<bool, StepFailure> {
        let result = condition::evaluate(&step.condition, &self.scope).map_err(|e| {
            WorkflowError::step(&step.id, "CONDITION_ERROR", format!("condition: {e}"))
        })?;
        self.record_outputs(&step.id, json!({ "result": result }));
        Ok(result)
    }

    /// Runs a Log step: one JSON line on stderr and an event for the durability provider.
    /// The message is a template rendered against the scope, like a template mapping.
    pub fn log(&mut self, step: &LogStep) -> Result<(), StepFailure> {
        let message = mapping::render_template(&step.message, &self.scope)
            .map_err(|e| WorkflowError::step(&step.id, "MAPPING_ERROR", format!("message: {e}")))?;
        let context = mapping::resolve_map(&step.context, &self.scope)
            .map_err(|e| WorkflowError::step(&step.id, "MAPPING_ERROR", format!("context: {e}")))?;
        self.log_event(step.level, &step.id, &message, &context);
        Ok(())
    }

    /// Runs a Finish step: its input mapping is the workflow's output.
    pub fn finish(&mut self, step: &FinishStep) -> Result<Value, StepFailure> {
        let output = mapping::resolve_map(&step.input_mapping, &self.scope).map_err(|e| {
            WorkflowError::step(&step.id, "MAPPING_ERROR", format!("inputMapping: {e}"))
        })?;
        self.record_outputs(&step.id, output.clone());
        Ok(output)
    }

    /// Makes a failed step's error readable as `steps.<id>.error` before its `onError` edge is taken.
    pub fn record_error(&mut self, error: &WorkflowError) {
        let Some(step_id) = &error.step_id else {
            return;
        };
        let record = json!({
            "code": error.code,
            "message": error.message,
            "category": error.category,
            "severity": "error",
            "attributes": error.attributes,
        });
        self.step_entry(step_id).insert("error".into(), record);
    }

    /// Ends the run: tells the durability provider how it ended (completed, failed,
    /// cancelled or suspended) and passes the result on.
    pub fn end(mut self, result: Result<Value, WorkflowError>) -> Result<Value, WorkflowError> {
        self.report_end(&result);
        result
    }

    /// A run of a subgraph or child workflow on the scope `scope` makes (of this run's,
    /// which it may build a layer on), sharing this run's seams, at `place` (appended
    /// to this run's place) and under this run's deadline or the earlier `deadline`.
    fn child<'c>(
        &'c mut self,
        scope: impl FnOnce(&'c Scope<'a>) -> Scope<'c>,
        place: &str,
        deadline: Option<Deadline>,
    ) -> Run<'c> {
        Run {
            scope: scope(&self.scope),
            deadline: Deadline::earliest(self.deadline.clone(), deadline),
            place: format!("{}{place}", self.place),
            agents: self.agents,
            durable: &mut *self.durable,
            progress: self.progress.clone(),
            touched: Vec::new(),
            attempts: 0,
        }
    }

    /// Runs `f` with this run's scope lent out as the parent of the layers a Split or
    /// While builds for its iterations, which borrow it while `f` borrows the run.
    /// The run itself reads no scope meanwhile.
    fn lending_scope<T>(&mut self, f: impl FnOnce(&mut Self, &Scope<'a>) -> T) -> T {
        let scope = core::mem::take(&mut self.scope);
        let result = f(self, &scope);
        self.scope = scope;
        result
    }

    pub(crate) fn record_outputs(&mut self, step_id: &str, outputs: Value) {
        self.step_entry(step_id).insert("outputs".into(), outputs);
    }

    /// Drops the entry of step `step_id`, which nothing reads any more.
    pub(crate) fn release_step(&mut self, step_id: &str) {
        self.scope.release_step(step_id);
    }

    /// Puts back a step entry recorded in a checkpoint.
    fn restore_entry(&mut self, step_id: &str, entry: Value) {
        self.scope.restore_step(step_id, entry);
    }

    fn step_entry(&mut self, step_id: &str) -> &mut Map<String, Value> {
        if !self.touched.iter().any(|id| id == step_id) {
            self.touched.push(step_id.to_owned());
        }
        self.scope.step_mut(step_id)
    }

    pub(crate) fn log_event(
        &mut self,
        level: LogLevel,
        step_id: &str,
        message: &str,
        context: &Value,
    ) {
        let (time_key, time) = crate::clock::timestamp();
        let mut event = Map::new();
        event.insert(time_key.to_owned(), time);
        event.insert("level".to_owned(), json!(level));
        event.insert("step".to_owned(), json!(step_id));
        event.insert("message".to_owned(), json!(message));
        event.insert("context".to_owned(), context.clone());
        let event = Value::Object(event);
        // One write per line: written piece by piece, the lines of instances that
        // share a host's stderr would interleave mid-line.
        #[cfg(feature = "std")]
        {
            use std::io::Write;
            let line = format!("{event}\n");
            let _ = std::io::stderr().write_all(line.as_bytes());
        }
        self.durable.log(level, message, &event);
    }
}
