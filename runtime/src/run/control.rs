//! Steps and checks that steer the run: Error, Delay, edge conditions, the input schema.

use std::time::Duration;

use serde_json::{Value, json};

use runtara_dsl::schema::check_input;
use runtara_dsl::step::{DelayStep, ErrorCategory, ErrorStep};
use runtara_dsl::{Condition, Schema, condition, mapping};

use super::{Run, StepFailure};
use crate::{ErrorCategory as RunErrorCategory, WorkflowError};

/// Longest wait a Delay step accepts in place: longer waits belong in a durable Delay.
const MAX_DELAY: Duration = Duration::from_secs(24 * 3600);

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
        let millis = value
            .as_f64()
            .filter(|ms| ms.is_finite() && *ms >= 0.0 && *ms <= MAX_DELAY.as_millis() as f64)
            .ok_or_else(|| {
                WorkflowError::step(
                    &step.id,
                    "INVALID_VALUE",
                    format!(
                        "durationMs must be a number of milliseconds between 0 and {}, got {value}",
                        MAX_DELAY.as_millis()
                    ),
                )
            })?
            .round() as u64;
        let duration = Duration::from_millis(millis);
        if step.durable == Some(true) {
            self.durable_sleep(&step.id, duration)?;
        } else {
            self.sleep(duration)?;
        }
        self.record_outputs(&step.id, json!({ "durationMs": millis }));
        Ok(())
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
        match check_input(schema, &self.scope["data"]) {
            Ok(input) => {
                self.scope["workflow"]["inputs"] = input.clone();
                self.scope["data"] = input;
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
