//! Steps and checks that steer the run: Error, Delay, edge conditions, the input schema.

use crate::prelude::*;
use core::time::Duration;

use serde_json::{Value, json};

use runtara_dsl::schema::check_input;
use runtara_dsl::step::{AgentStep, DelayStep, ErrorCategory, ErrorStep};
use runtara_dsl::{Condition, Schema, condition, mapping};

use super::{Run, StepFailure};
use crate::{ErrorCategory as RunErrorCategory, WorkflowError};

/// Longest wait a Delay step accepts in place: longer waits belong in a durable Delay.
/// The utils agent's `delay-in-ms` has the same limit.
const MAX_DELAY: Duration = Duration::from_secs(24 * 3600);

/// A `utils/delay-in-ms` call at least this long waits through the durability
/// provider, like a durable Delay step; a shorter one calls the agent (see
/// docs/decisions.md, "Long agent delays are durable").
const DURABLE_AGENT_DELAY: Duration = Duration::from_millis(1000);

impl Run<'_> {
    /// Runs an Error step: the structured error it ends the workflow (or its `onError` edge) with.
    pub fn error(&mut self, step: &ErrorStep) -> WorkflowError {
        let context = match mapping::resolve_map(&step.context, &self.scope) {
            Ok(context) => context,
            Err(e) => {
                return WorkflowError::step(&step.id, "MAPPING_ERROR", format!("context: {e}"));
            }
        };
        let severity = step.severity.map_or("error", |s| s.as_str());
        WorkflowError {
            step_id: Some(step.id.clone()),
            code: step.code.clone(),
            message: step.message.clone(),
            category: match step.category {
                ErrorCategory::Transient => RunErrorCategory::Transient,
                ErrorCategory::Permanent => RunErrorCategory::Permanent,
            },
            attributes: json!({ "severity": severity, "context": context }),
        }
    }

    /// Runs a Delay step: waits `durationMs`; outputs `{ durationMs }`. A durable delay
    /// goes through the durability provider, which may suspend the instance instead.
    pub fn delay(&mut self, step: &DelayStep) -> Result<(), StepFailure> {
        let value = mapping::resolve(&step.duration_ms, &self.scope).map_err(|e| {
            WorkflowError::step(&step.id, "MAPPING_ERROR", format!("durationMs: {e}"))
        })?;
        let millis = delay_millis(&value).ok_or_else(|| {
            WorkflowError::step(
                &step.id,
                "INVALID_VALUE",
                format!(
                    "durationMs must be a number of milliseconds between 0 and {}, got {value}",
                    MAX_DELAY.as_millis()
                ),
            )
        })?;
        self.wait(&step.id, millis, step.durable == Some(true))?;
        self.record_outputs(&step.id, json!({ "durationMs": millis }));
        Ok(())
    }

    /// Waits `millis` ms at step `step_id`: through the durability provider when
    /// `durable` (keyed by the step's key, so a resumed instance waits only the rest,
    /// or the run suspends), else in place. The Delay step and a long
    /// `utils/delay-in-ms` call wait here.
    pub(super) fn wait(
        &mut self,
        step_id: &str,
        millis: u64,
        durable: bool,
    ) -> Result<(), WorkflowError> {
        let duration = Duration::from_millis(millis);
        if durable {
            self.durable_sleep(step_id, duration)
        } else {
            self.sleep(duration)
        }
    }

    /// Whether a conditional edge leaving `step_id` is taken.
    pub fn edge_condition(
        &self,
        step_id: &str,
        condition: &Condition,
    ) -> Result<bool, StepFailure> {
        condition::evaluate(condition, &self.scope).map_err(|e| {
            WorkflowError::step(step_id, "CONDITION_ERROR", format!("edge condition: {e}"))
        })
    }

    /// Validates the input against the graph's `inputSchema` and fills in defaults;
    /// every violation is listed in the error.
    pub fn check_input(&mut self, schema: &Schema) -> Result<(), WorkflowError> {
        match check_input(schema, self.scope.root("data").unwrap_or(&Value::Null)) {
            Ok(input) => {
                self.scope.root_mut("workflow")["inputs"] = input.clone();
                *self.scope.root_mut("data") = input;
                Ok(())
            }
            Err(violations) => {
                let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
                let details: Vec<Value> = violations
                    .iter()
                    .map(|v| json!({ "path": v.path, "message": v.message }))
                    .collect();
                let mut error = WorkflowError::workflow(
                    "INPUT_VALIDATION",
                    format!(
                        "the input does not match the inputSchema: {}",
                        listed.join("; ")
                    ),
                );
                error.attributes = json!({ "violations": details });
                Err(error)
            }
        }
    }
}

/// A delay in whole milliseconds: a finite number from 0 to [`MAX_DELAY`], rounded.
fn delay_millis(value: &Value) -> Option<u64> {
    let ms = value.as_f64()?;
    (ms.is_finite() && (0.0..=MAX_DELAY.as_millis() as f64).contains(&ms))
        .then(|| libm::round(ms) as u64)
}

/// The wait of an Agent step that calls `utils/delay-in-ms` with `input`, when it goes
/// through the durability provider instead of the agent: a valid `delay_value` of at
/// least [`DURABLE_AGENT_DELAY`], on a step not marked `durable: false` whose
/// `timeout` does not cut the wait short. Any other call goes to the agent, so its
/// errors and timeouts stay the agent's own.
pub(super) fn durable_agent_delay(step: &AgentStep, input: &Value) -> Option<u64> {
    if step.agent_id != "utils"
        || step.capability_id != "delay-in-ms"
        || step.durable == Some(false)
    {
        return None;
    }
    // The agent refuses unknown fields: such a call stays the agent's to refuse.
    let fields = input.as_object().filter(|fields| fields.len() == 1)?;
    let millis = delay_millis(fields.get("delay_value")?)?;
    let long = Duration::from_millis(millis) >= DURABLE_AGENT_DELAY;
    let within_timeout = step.timeout.is_none_or(|limit| limit > millis);
    (long && within_timeout).then_some(millis)
}
