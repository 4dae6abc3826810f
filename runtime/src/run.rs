use serde_json::{Map, Value, json};

use runtara_agent::{AgentError, ErrorCategory as AgentErrorCategory};
use runtara_dsl::step::{AgentStep, ConditionalStep, FinishStep, LogStep};
use runtara_dsl::{condition, mapping};

mod collections;
mod control;
mod embed;
mod identity;
mod subgraphs;

pub use subgraphs::GraphFn;

use crate::retry::RetryPolicy;
use crate::{Agents, Durable, LogLevel, WorkflowError};

/// A step that failed, as the generated control flow sees it: either it follows the
/// step's `onError` edge (after [`Run::record_error`]) or it ends the workflow.
pub type StepFailure = WorkflowError;

/// One execution of a workflow: its scope (input, step outputs, variables) and the
/// seams to agents and to the durability provider.
///
/// The scope is the JSON object mappings and conditions are evaluated against:
/// `{ "data", "workflow": { "inputs" }, "steps": { <id>: { "outputs", "error" } }, "variables" }`.
pub struct Run<'a> {
    scope: Value,
    /// When the whole run must have finished (`executionTimeoutSeconds`).
    deadline: Option<std::time::Instant>,
    agents: &'a mut dyn Agents,
    durable: &'a mut dyn Durable,
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
        agents: &'a mut dyn Agents,
        durable: &'a mut dyn Durable,
    ) -> Self {
        let mut variables = variables.clone();
        variables.insert("_workflow_id".into(), json!(workflow_id));
        variables.insert("_instance_id".into(), json!(identity::instance_id()));
        variables.insert("_tenant_id".into(), json!(identity::tenant_id()));
        Self {
            scope: runtara_dsl::scope(input, variables),
            deadline: None,
            agents,
            durable,
        }
    }

    /// Fails the run at the next step once `limit` has passed (`executionTimeoutSeconds`).
    pub fn limit_time(&mut self, limit: std::time::Duration) {
        self.deadline = std::time::Instant::now().checked_add(limit);
    }

    /// An error when the run's deadline has passed.
    pub(crate) fn check_deadline(&self) -> Result<(), WorkflowError> {
        match self.deadline {
            Some(deadline) if std::time::Instant::now() > deadline => Err(WorkflowError::workflow(
                "EXECUTION_TIMEOUT",
                "the workflow ran longer than its executionTimeoutSeconds",
            )),
            _ => Ok(()),
        }
    }

    /// What step `step_id` produced, if it ran.
    pub fn outputs(&self, step_id: &str) -> Option<&Value> {
        self.scope["steps"].get(step_id)?.get("outputs")
    }

    /// Runs an Agent step: resolves its input mapping, calls the capability and retries
    /// transient errors per the step's policy (DSL.md: 3 retries, 1 s doubling).
    pub fn agent(&mut self, step: &AgentStep) -> Result<(), StepFailure> {
        let input = mapping::resolve_map(&step.input_mapping, &self.scope).map_err(|e| {
            WorkflowError::step(&step.id, "MAPPING_ERROR", format!("inputMapping: {e}"))
        })?;
        let input = input.to_string();
        let policy = RetryPolicy::from_step(step.max_retries, step.retry_delay);
        let mut retry = 0;
        let output = loop {
            match self
                .agents
                .call(&step.agent_id, &step.capability_id, &input)
            {
                Ok(output) => break output,
                Err(error) => {
                    retry += 1;
                    match retry_wait(&policy, retry, &error) {
                        Some(wait) => {
                            self.log_event(
                                LogLevel::Warn,
                                &step.id,
                                &format!(
                                    "transient error, retry {retry} of {} in {} ms: {error}",
                                    policy.max_retries,
                                    wait.as_millis()
                                ),
                                &Value::Object(Default::default()),
                            );
                            std::thread::sleep(wait);
                        }
                        None => {
                            return Err(WorkflowError::from_agent(
                                &step.id,
                                &step.agent_id,
                                &step.capability_id,
                                error,
                            ));
                        }
                    }
                }
            }
        };
        let output: Value = serde_json::from_str(&output).map_err(|e| {
            WorkflowError::step(
                &step.id,
                "INVALID_AGENT_OUTPUT",
                format!(
                    "{}/{} returned invalid JSON: {e}",
                    step.agent_id, step.capability_id
                ),
            )
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
    pub fn log(&mut self, step: &LogStep) -> Result<(), StepFailure> {
        let context = mapping::resolve_map(&step.context, &self.scope)
            .map_err(|e| WorkflowError::step(&step.id, "MAPPING_ERROR", format!("context: {e}")))?;
        self.log_event(step.level, &step.id, &step.message, &context);
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

    /// Ends the run: tells the durability provider how it ended and passes the result on.
    pub fn end(self, result: Result<Value, WorkflowError>) -> Result<Value, WorkflowError> {
        match &result {
            Ok(output) => self.durable.completed(output),
            Err(error) => self.durable.failed(error),
        }
        result
    }

    /// A run of a subgraph or child workflow on `scope`, sharing this run's seams and deadline.
    fn child(&mut self, scope: Value) -> Run<'_> {
        Run {
            scope,
            deadline: self.deadline,
            agents: &mut *self.agents,
            durable: &mut *self.durable,
        }
    }

    /// Puts `value` at the scope's top-level `name` (`item`, `loop`); returns what was there.
    fn bind(&mut self, name: &str, value: Value) -> Option<Value> {
        self.scope
            .as_object_mut()
            .expect("the scope is an object")
            .insert(name.into(), value)
    }

    /// Undoes [`Run::bind`].
    fn restore(&mut self, name: &str, previous: Option<Value>) {
        let scope = self.scope.as_object_mut().expect("the scope is an object");
        match previous {
            Some(previous) => scope.insert(name.into(), previous),
            None => scope.remove(name),
        };
    }

    pub(crate) fn record_outputs(&mut self, step_id: &str, outputs: Value) {
        self.step_entry(step_id).insert("outputs".into(), outputs);
    }

    fn step_entry(&mut self, step_id: &str) -> &mut Map<String, Value> {
        let steps = self.scope["steps"]
            .as_object_mut()
            .expect("the scope's steps is an object");
        let entry = steps.entry(step_id.to_owned()).or_insert_with(|| json!({}));
        if !entry.is_object() {
            *entry = json!({});
        }
        entry.as_object_mut().expect("just made an object")
    }

    pub(crate) fn log_event(
        &mut self,
        level: LogLevel,
        step_id: &str,
        message: &str,
        context: &Value,
    ) {
        let event = json!({
            "timestamp": humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
            "level": level,
            "step": step_id,
            "message": message,
            "context": context,
        });
        eprintln!("{event}");
        self.durable.log(level, message, &event);
    }
}

fn retry_wait(policy: &RetryPolicy, retry: u32, error: &AgentError) -> Option<std::time::Duration> {
    if error.category != AgentErrorCategory::Transient {
        return None;
    }
    policy.backoff(retry, error.retry_after_ms)
}
