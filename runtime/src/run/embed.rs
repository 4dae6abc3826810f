//! The EmbedWorkflow step: a child scenario compiled into the same component.

use crate::prelude::*;
use serde_json::{Map, Value, json};

use runtara_dsl::mapping;
use runtara_dsl::step::EmbedWorkflowStep;

use super::{GraphFn, Run, Scope, StepFailure};
use crate::WorkflowError;
use crate::retry::RetryPolicy;

impl Run<'_> {
    /// Runs an EmbedWorkflow step: the child workflow `child_id` (its generated drive
    /// function and declared variables) on the step's resolved `inputMapping`, in a
    /// scope of its own; outputs the child's output. A transient child failure is
    /// retried per the step's `maxRetries`/`retryDelay`; any other failure fails the
    /// step, naming the child and its failing step.
    pub fn embed(
        &mut self,
        step: &EmbedWorkflowStep,
        child_id: &str,
        child_variables: &Map<String, Value>,
        child: GraphFn,
    ) -> Result<(), StepFailure> {
        let input = mapping::resolve_map(&step.input_mapping, &self.scope).map_err(|e| {
            WorkflowError::step(&step.id, "MAPPING_ERROR", format!("inputMapping: {e}"))
        })?;
        let mut variables = child_variables.clone();
        variables.insert("_workflow_id".into(), json!(child_id));
        for builtin in ["_instance_id", "_tenant_id"] {
            let value = self.scope.variable(builtin).cloned().unwrap_or_default();
            variables.insert(builtin.into(), value);
        }
        let policy = RetryPolicy::from_step(step.max_retries, step.retry_delay);
        let what = format!("child workflow '{child_id}'");
        let place = format!("{}.", step.id);
        let output = self
            .retrying(&step.id, &policy, &what, |run| {
                let scope = |_: &_| Scope::workflow(input.clone(), variables.clone());
                child(&mut run.child(scope, &place, None))
            })
            .map_err(|error| {
                error.raised_in(
                    &step.id,
                    &what,
                    ("childWorkflowId", json!(child_id)),
                    "childStepId",
                )
            })?;
        self.record_outputs(&step.id, output);
        Ok(())
    }
}
