//! Steps that run a subgraph: Split (once per element) and While (while a condition holds).
//!
//! Each iteration runs the generated drive function of the subgraph on a child
//! run whose scope starts as a copy of the parent's (so steps of enclosing
//! graphs stay readable) with the iteration's bindings on top; what the
//! iteration's own steps produce stays in its copy. The bindings are `item` and
//! `data` (Split) or `loop` (While), and the built-in iteration variables
//! (`runtara_dsl::builtins`): `_index`, `_loop_indices` (the enclosing ones plus
//! this index), `_item` (Split), `_loop` and, from iteration 1 on,
//! `_previousOutputs` (While). `_item` and `_loop` pass on to nested iterations;
//! `_previousOutputs` does not.

use crate::prelude::*;
use core::time::Duration;

use serde_json::{Map, Value, json};

use runtara_dsl::schema::{Schema, check_input};
use runtara_dsl::step::{SplitStep, WhileStep};
use runtara_dsl::{InputMapping, builtins, condition, mapping};

use super::{Run, StepFailure};
use crate::WorkflowError;
use crate::deadline::Deadline;
use crate::retry::RetryPolicy;

/// A subgraph's generated drive function: runs it to its end and returns its output.
pub type GraphFn = fn(&mut Run) -> Result<Value, WorkflowError>;

/// What one iteration binds besides `_index` and `_loop_indices`.
enum Bound<'v> {
    /// A Split's element (or chunk): `item`, `data` and `variables._item`.
    Split { item: &'v Value },
    /// A While's `loop` and `variables._loop` (`{index, outputs}`), and from
    /// iteration 1 on the previous iteration's output as `variables._previousOutputs`.
    While {
        context: &'v Value,
        previous: Option<&'v Value>,
    },
}

/// What every iteration of one Split step shares.
pub(super) struct SplitPlan<'s> {
    pub(super) step: &'s SplitStep,
    body: GraphFn,
    /// The graph's variables with the step's `config.variables` on top.
    variables: Map<String, Value>,
    /// `dontStopOnFailed`: failed iterations are collected instead of failing the step.
    keep_going: bool,
    /// `config.timeout`, for the whole step.
    deadline: Option<Deadline>,
    policy: RetryPolicy,
}

/// How one iteration of a Split went.
pub(super) enum Outcome {
    Succeeded(Value),
    /// It failed, and `dontStopOnFailed` collects the failure.
    Collected(WorkflowError),
    /// It failed (or could not start), and that fails the step with this error.
    Fatal(WorkflowError),
}

impl Run<'_> {
    /// Runs a Split step: the subgraph once per element of `config.value` (or per
    /// chunk of `batchSize`), with the element as `item` and `data`; outputs the
    /// iteration results in input order. With `dontStopOnFailed`, failed iterations
    /// are collected: outputs `{ success, failed, stats, hasFailures }`.
    pub fn split(&mut self, step: &SplitStep, body: GraphFn) -> Result<(), StepFailure> {
        let config = &step.config;
        let value = mapping::resolve(&config.value, &self.scope).map_err(|e| {
            WorkflowError::step(&step.id, "MAPPING_ERROR", format!("config.value: {e}"))
        })?;
        let elements = match value {
            Value::Array(items) => items,
            Value::Null if config.allow_null == Some(true) => Vec::new(),
            Value::Null => {
                return Err(WorkflowError::step(
                    &step.id,
                    "INVALID_VALUE",
                    "config.value is null (set config.allowNull to split null into no iterations)",
                ));
            }
            single if config.convert_single_value == Some(true) => vec![single],
            other => {
                return Err(WorkflowError::step(
                    &step.id,
                    "INVALID_VALUE",
                    format!(
                        "config.value must be an array, got {other} (set config.convertSingleValue to split a single value)"
                    ),
                ));
            }
        };
        let iterations: Vec<Value> = match config.batch_size {
            Some(size) if size > 0 => elements
                .chunks(size as usize)
                .map(|chunk| Value::Array(chunk.to_vec()))
                .collect(),
            _ => elements,
        };
        let plan = SplitPlan {
            step,
            body,
            variables: self.variables_for(&step.id, &config.variables)?,
            keep_going: config.dont_stop_on_failed == Some(true),
            deadline: step_deadline("Split", config.timeout),
            // Iterations are not retried unless asked: their Agent steps retry on their own.
            policy: RetryPolicy::from_step(
                Some(config.max_retries.unwrap_or(0)),
                config.retry_delay,
            ),
        };
        #[cfg(all(feature = "std", not(target_arch = "wasm32")))]
        let outcomes = match super::branches::workers(config, iterations.len()) {
            1 => self.split_in_order(&plan, &iterations),
            workers => self.split_in_parallel(&plan, &iterations, workers),
        };
        #[cfg(not(all(feature = "std", not(target_arch = "wasm32"))))]
        let outcomes = self.split_in_order(&plan, &iterations);

        let mut results = Vec::new();
        let mut failed = Vec::new();
        for (index, (item, outcome)) in iterations.into_iter().zip(outcomes).enumerate() {
            match outcome {
                Some(Outcome::Succeeded(output)) => results.push(output),
                Some(Outcome::Collected(error)) => {
                    failed.push(json!({ "index": index, "item": item, "error": error.to_json() }));
                }
                Some(Outcome::Fatal(error)) => return Err(error),
                // Iterations after a fatal one may not have started; none is before it.
                None => {
                    return Err(self.stopping().err().unwrap_or_else(|| {
                        WorkflowError::step(
                            &step.id,
                            "SPLIT_INCOMPLETE",
                            format!("iteration {index} never ran"),
                        )
                    }));
                }
            }
        }
        let outputs = if plan.keep_going {
            let (succeeded, failures) = (results.len(), failed.len());
            json!({
                "success": results,
                "failed": failed,
                "stats": { "total": succeeded + failures, "succeeded": succeeded, "failed": failures },
                "hasFailures": failures > 0,
            })
        } else {
            Value::Array(results)
        };
        self.record_outputs(&step.id, outputs);
        Ok(())
    }

    /// Runs a Split's iterations one after another, until one fails the step.
    fn split_in_order(&mut self, plan: &SplitPlan, iterations: &[Value]) -> Vec<Option<Outcome>> {
        let mut outcomes = Vec::with_capacity(iterations.len());
        for (index, item) in iterations.iter().enumerate() {
            let outcome = self.split_iteration(plan, index, item);
            let fatal = matches!(outcome, Outcome::Fatal(_));
            outcomes.push(Some(outcome));
            if fatal {
                break;
            }
        }
        outcomes.resize_with(iterations.len(), || None);
        outcomes
    }

    /// Runs iteration `index` of a Split on `item`: checks its schemas and retries it
    /// per the step's policy. Sequential and parallel Splits share it, so both decide
    /// alike what fails the step.
    pub(super) fn split_iteration(
        &mut self,
        plan: &SplitPlan,
        index: usize,
        item: &Value,
    ) -> Outcome {
        let step = plan.step;
        if let Err(error) = self
            .stopping()
            .and_then(|()| check_step_deadline(&step.id, plan.deadline.as_ref()))
        {
            return Outcome::Fatal(error);
        }
        let what = format!("iteration {index}");
        let outcome = check_schema("inputSchema", step.input_schema.as_ref(), item)
            .and_then(|()| {
                self.retrying(&step.id, &plan.policy, &what, |run| {
                    run.iteration(
                        &step.id,
                        index,
                        &plan.variables,
                        Bound::Split { item },
                        plan.deadline.clone(),
                        plan.body,
                    )
                })
            })
            .and_then(|output| {
                check_schema("outputSchema", step.output_schema.as_ref(), &output)?;
                Ok(output)
            });
        match outcome {
            Ok(output) => Outcome::Succeeded(output),
            Err(error) if plan.keep_going && !self.out_of_time(plan.deadline.as_ref()) => {
                Outcome::Collected(error)
            }
            Err(error) => Outcome::Fatal(iteration_failure(&step.id, index, error)),
        }
    }

    /// Runs a While step: the subgraph while the condition holds, at most
    /// `maxIterations` times (default 10). In the condition and the subgraph,
    /// `loop.index` is the 0-based iteration and `loop.outputs` the previous
    /// iteration's output; outputs `{ iterations, outputs }`.
    pub fn while_loop(&mut self, step: &WhileStep, body: GraphFn) -> Result<(), StepFailure> {
        let max = step.config.max_iterations_or_default();
        let variables = self.variables_for(&step.id, &step.config.variables)?;
        let deadline = step_deadline("While", step.config.timeout);
        let mut outputs = Value::Null;
        let mut index: u32 = 0;
        while index < max {
            check_step_deadline(&step.id, deadline.as_ref())?;
            let bound = json!({ "index": index, "outputs": outputs });
            let previous = self.bind("loop", bound.clone());
            let holds = condition::evaluate(&step.condition, &self.scope);
            self.restore("loop", previous);
            let holds = holds.map_err(|e| {
                WorkflowError::step(&step.id, "CONDITION_ERROR", format!("condition: {e}"))
            })?;
            if !holds {
                break;
            }
            let previous = (index > 0).then_some(&outputs);
            outputs = self
                .iteration(
                    &step.id,
                    index as usize,
                    &variables,
                    Bound::While {
                        context: &bound,
                        previous,
                    },
                    deadline.clone(),
                    body,
                )
                .map_err(|error| iteration_failure(&step.id, index as usize, error))?;
            index += 1;
        }
        self.record_outputs(&step.id, json!({ "iterations": index, "outputs": outputs }));
        Ok(())
    }

    /// The variables of an iteration: the graph's, plus the step's `config.variables`
    /// resolved once against the parent scope.
    fn variables_for(
        &self,
        step_id: &str,
        extra: &InputMapping,
    ) -> Result<Map<String, Value>, StepFailure> {
        let mut variables = self.scope["variables"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let resolved = mapping::resolve_map(extra, &self.scope).map_err(|e| {
            WorkflowError::step(step_id, "MAPPING_ERROR", format!("config.variables: {e}"))
        })?;
        if let Value::Object(resolved) = resolved {
            variables.extend(resolved);
        }
        Ok(variables)
    }

    /// Runs iteration `index` of step `step_id`'s `body` on a child run: a copy of
    /// this run's scope with `variables` and what the iteration binds on top.
    /// An iteration that succeeds after `deadline` still fails with its error.
    fn iteration(
        &mut self,
        step_id: &str,
        index: usize,
        variables: &Map<String, Value>,
        bound: Bound<'_>,
        deadline: Option<Deadline>,
        body: GraphFn,
    ) -> Result<Value, WorkflowError> {
        let mut indices = match &self.scope["variables"][builtins::LOOP_INDICES] {
            Value::Array(enclosing) => enclosing.clone(),
            _ => Vec::new(),
        };
        indices.push(json!(index));
        let mut variables = variables.clone();
        // Set after the step's config.variables, so that nothing overrides them.
        variables.insert(builtins::INDEX.into(), json!(index));
        variables.insert(builtins::LOOP_INDICES.into(), Value::Array(indices));
        variables.remove(builtins::PREVIOUS_OUTPUTS);
        let mut scope = self.scope.clone();
        let fields = scope.as_object_mut().expect("the scope is an object");
        match bound {
            Bound::Split { item } => {
                variables.insert(builtins::ITEM.into(), item.clone());
                fields.insert("item".into(), item.clone());
                fields.insert("data".into(), item.clone());
            }
            Bound::While { context, previous } => {
                variables.insert(builtins::LOOP.into(), context.clone());
                if let Some(previous) = previous {
                    variables.insert(builtins::PREVIOUS_OUTPUTS.into(), previous.clone());
                }
                fields.insert("loop".into(), context.clone());
            }
        }
        fields.insert("variables".into(), Value::Object(variables));
        let mut child = self.child(scope, &format!("{step_id}[{index}]."), deadline);
        let output = body(&mut child)?;
        child.check_deadline()?;
        Ok(output)
    }

    /// Whether the run's or the step's deadline has passed: a failure then ends a
    /// Split even with `dontStopOnFailed`.
    fn out_of_time(&self, deadline: Option<&Deadline>) -> bool {
        self.check_deadline().is_err() || deadline.is_some_and(|d| d.check().is_err())
    }

    /// Adds a subgraph's declared `variables` that neither an enclosing graph nor the
    /// step's `config.variables` set: they are the subgraph's defaults.
    pub fn declare_variables(&mut self, declared: &Map<String, Value>) {
        if let Some(variables) = self.scope["variables"].as_object_mut() {
            for (name, value) in declared {
                variables
                    .entry(name.clone())
                    .or_insert_with(|| value.clone());
            }
        }
    }
}

/// The deadline of a Split's or While's `config.timeout`. Its error is permanent (the
/// whole step ran out of time; retrying an iteration cannot help) and names no step,
/// so that inside an iteration it reads as the iteration's failure.
fn step_deadline(step_type: &str, timeout_ms: Option<u64>) -> Option<Deadline> {
    let timeout_ms = timeout_ms?;
    let error = WorkflowError::workflow(
        "STEP_TIMEOUT",
        format!("the {step_type} step ran longer than its config.timeout of {timeout_ms} ms"),
    );
    Deadline::after(Duration::from_millis(timeout_ms), error)
}

/// Fails step `step_id` when its deadline has passed.
fn check_step_deadline(step_id: &str, deadline: Option<&Deadline>) -> Result<(), WorkflowError> {
    match deadline.map(Deadline::check) {
        Some(Err(error)) => Err(WorkflowError {
            step_id: Some(step_id.to_owned()),
            ..error
        }),
        _ => Ok(()),
    }
}

/// An iteration's failure as the Split or While step reports it.
fn iteration_failure(step_id: &str, index: usize, error: WorkflowError) -> WorkflowError {
    error.raised_in(
        step_id,
        &format!("iteration {index}"),
        ("iteration", json!(index)),
        "innerStepId",
    )
}

/// Checks an iteration's input or output against the Split's schema, listing every violation.
fn check_schema(which: &str, schema: Option<&Schema>, value: &Value) -> Result<(), WorkflowError> {
    let Some(schema) = schema else { return Ok(()) };
    check_input(schema, value)
        .map(|_| ())
        .map_err(|violations| {
            let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
            WorkflowError::workflow(
                "SCHEMA_VIOLATION",
                format!("does not match the {which}: {}", listed.join("; ")),
            )
        })
}
