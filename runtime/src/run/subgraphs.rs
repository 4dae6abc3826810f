//! Steps that run a subgraph: Split (once per element) and While (while a condition holds).
//!
//! Each iteration runs the generated drive function of the subgraph on a child
//! run whose scope is a layer over the parent's (so steps of enclosing graphs
//! stay readable; see [`super::scope`]) holding the iteration's bindings; what
//! the iteration's own steps produce stays in its layer. Between the two sits one
//! layer per step with its `config.variables`. The bindings are `item` and
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

use super::{Run, Scope, StepFailure};
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
    /// The run's scope with the step's `config.variables` on top: what every
    /// iteration's layer sits on.
    scope: Scope<'s>,
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
        let keep_going = config.dont_stop_on_failed == Some(true);
        let outcomes = self.lending_scope(|run, scope| {
            let plan = SplitPlan {
                step,
                body,
                scope: step_layer(scope, &step.id, &config.variables)?,
                keep_going,
                deadline: step_deadline("Split", config.timeout),
                // Iterations are not retried unless asked: their Agent steps retry on their own.
                policy: RetryPolicy::from_step(
                    Some(config.max_retries.unwrap_or(0)),
                    config.retry_delay,
                ),
            };
            #[cfg(all(feature = "std", not(target_arch = "wasm32")))]
            let outcomes = match super::branches::workers(config, iterations.len()) {
                1 => run.split_in_order(&plan, &iterations),
                workers => run.split_in_parallel(&plan, &iterations, workers),
            };
            #[cfg(not(all(feature = "std", not(target_arch = "wasm32"))))]
            let outcomes = run.split_in_order(&plan, &iterations);
            Ok::<_, StepFailure>(outcomes)
        })?;

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
        let outputs = if keep_going {
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
                        &plan.scope,
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
        let (iterations, outputs) =
            self.lending_scope(|run, scope| run.loop_while(scope, step, body))?;
        self.record_outputs(
            &step.id,
            json!({ "iterations": iterations, "outputs": outputs }),
        );
        Ok(())
    }

    /// Runs a While step's iterations on layers over `parent`, the run's scope: how
    /// many ran, and the last one's output.
    fn loop_while(
        &mut self,
        parent: &Scope<'_>,
        step: &WhileStep,
        body: GraphFn,
    ) -> Result<(u32, Value), StepFailure> {
        let max = step.config.max_iterations_or_default();
        let layer = step_layer(parent, &step.id, &step.config.variables)?;
        let deadline = step_deadline("While", step.config.timeout);
        let mut outputs = Value::Null;
        let mut index: u32 = 0;
        while index < max {
            check_step_deadline(&step.id, deadline.as_ref())?;
            let bound = json!({ "index": index, "outputs": outputs });
            // The condition sees the run's scope with `loop`, not the config.variables.
            let mut looking = Scope::over(parent);
            looking.bind("loop", bound.clone());
            let holds = condition::evaluate(&step.condition, &looking);
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
                    &layer,
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
        Ok((index, outputs))
    }

    /// Runs iteration `index` of step `step_id`'s `body` on a child run: a layer
    /// over `parent` (the step's layer) with what the iteration binds.
    /// An iteration that succeeds after `deadline` still fails with its error.
    fn iteration(
        &mut self,
        step_id: &str,
        index: usize,
        parent: &Scope<'_>,
        bound: Bound<'_>,
        deadline: Option<Deadline>,
        body: GraphFn,
    ) -> Result<Value, WorkflowError> {
        let mut indices = match parent.variable(builtins::LOOP_INDICES) {
            Some(Value::Array(enclosing)) => enclosing.clone(),
            _ => Vec::new(),
        };
        indices.push(json!(index));
        let mut layer = Scope::over(parent);
        // Set after the step's config.variables, so that nothing overrides them.
        layer.set_variable(builtins::INDEX, json!(index));
        layer.set_variable(builtins::LOOP_INDICES, Value::Array(indices));
        layer.drop_variable(builtins::PREVIOUS_OUTPUTS);
        match bound {
            Bound::Split { item } => {
                layer.set_variable(builtins::ITEM, item.clone());
                layer.bind("item", item.clone());
                layer.bind("data", item.clone());
            }
            Bound::While { context, previous } => {
                layer.set_variable(builtins::LOOP, context.clone());
                if let Some(previous) = previous {
                    layer.set_variable(builtins::PREVIOUS_OUTPUTS, previous.clone());
                }
                layer.bind("loop", context.clone());
            }
        }
        let mut child = self.child(|_| layer, &format!("{step_id}[{index}]."), deadline);
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
        for (name, value) in declared {
            if self.scope.variable(name).is_none() {
                self.scope.set_variable(name, value.clone());
            }
        }
    }
}

/// The layer every iteration of step `step_id` sits on: the step's `config.variables`,
/// resolved once against `parent`, over `parent`.
fn step_layer<'s>(
    parent: &'s Scope<'s>,
    step_id: &str,
    extra: &InputMapping,
) -> Result<Scope<'s>, StepFailure> {
    let resolved = mapping::resolve_map(extra, parent).map_err(|e| {
        WorkflowError::step(step_id, "MAPPING_ERROR", format!("config.variables: {e}"))
    })?;
    let mut layer = Scope::over(parent);
    if let Value::Object(resolved) = resolved {
        for (name, value) in resolved {
            layer.set_variable(&name, value);
        }
    }
    Ok(layer)
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
