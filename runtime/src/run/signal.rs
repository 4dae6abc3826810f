//! The WaitForSignal step: waits for an external signal addressed to the step.

use crate::prelude::*;
use core::time::Duration;

use crate::clock::Instant;

use serde_json::{Value, json};

use runtara_dsl::schema::check_input;
use runtara_dsl::step::WaitForSignalStep;
use runtara_dsl::{builtins, mapping};

use super::{GraphFn, Run, Scope, StepFailure};
use crate::SUSPENDED;
use crate::{LogLevel, SignalWait, WorkflowError};

/// The step failed: no signal within its `timeoutMs`.
fn timed_out(step_id: &str, signal_id: &str, timeout: Option<Duration>) -> WorkflowError {
    let limit = timeout.unwrap_or_default().as_millis();
    let mut error = WorkflowError::step(
        step_id,
        "SIGNAL_TIMEOUT",
        format!("no signal '{signal_id}' arrived within the timeoutMs of {limit} ms"),
    );
    error.attributes = json!({ "signalId": signal_id });
    error
}

/// How often the provider is asked when the step sets no `pollIntervalMs`.
const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(1000);

impl Run<'_> {
    /// Runs a WaitForSignal step. The signal it waits for is addressed by the step's
    /// place in the run: its id, prefixed inside loops and child workflows (see
    /// [`Run::step_key`]). The `onWait` subgraph runs first, with the id as
    /// `variables._signal_id`, to tell someone how to answer; then the durability
    /// provider either suspends the instance until the signal is sent (a core that can
    /// wake it), or is asked every `pollIntervalMs` (default 1000), until the signal
    /// arrives or `timeoutMs` passes (`SIGNAL_TIMEOUT`). Outputs the signal's payload,
    /// checked against `responseSchema` (with its defaults filled in) when given.
    pub fn wait_for_signal(
        &mut self,
        step: &WaitForSignalStep,
        on_wait: Option<GraphFn>,
    ) -> Result<(), StepFailure> {
        let timeout = self.wait_timeout(step)?;
        let signal_id = self.step_key(&step.id);
        if let Some(on_wait) = on_wait {
            let scope = |parent| {
                let mut layer = Scope::over(parent);
                layer.set_variable(builtins::SIGNAL_ID, json!(signal_id));
                layer
            };
            on_wait(&mut self.child(scope, &format!("{}.onWait.", step.id), None)).map_err(
                |error| {
                    error.raised_in(
                        &step.id,
                        "onWait",
                        ("signalId", json!(signal_id)),
                        "innerStepId",
                    )
                },
            )?;
        }
        let waiting = match timeout {
            Some(limit) => format!(
                "waiting for signal '{signal_id}' (timeout {} ms)",
                limit.as_millis()
            ),
            None => format!("waiting for signal '{signal_id}'"),
        };
        self.log_event(
            LogLevel::Info,
            &step.id,
            &waiting,
            &json!({ "signalId": signal_id }),
        );

        let interval = step
            .poll_interval_ms
            .map_or(DEFAULT_POLL_INTERVAL, |ms| Duration::from_millis(ms.max(1)));
        let unavailable = |e: String| {
            WorkflowError::step(
                &step.id,
                "SIGNAL_UNAVAILABLE",
                format!("cannot receive signal '{signal_id}': {e}"),
            )
        };
        let started = Instant::now();
        let payload = loop {
            if let Some(payload) = self.durable.take_signal(&signal_id).map_err(unavailable)? {
                break payload;
            }
            self.heed_control(&step.id)?;
            match self
                .durable
                .await_signal(&signal_id, timeout)
                .map_err(unavailable)?
            {
                SignalWait::Poll => {}
                SignalWait::TimedOut => return Err(timed_out(&step.id, &signal_id, timeout)),
                SignalWait::Suspend => {
                    let message = format!(
                        "the instance is suspended until signal '{signal_id}' arrives; \
                         its provider resumes it then"
                    );
                    return Err(self.stop(&step.id, SUSPENDED, message));
                }
            }
            let next = match timeout {
                Some(limit) if started.elapsed() >= limit => {
                    return Err(timed_out(&step.id, &signal_id, timeout));
                }
                Some(limit) => interval.min(limit - started.elapsed()),
                None => interval,
            };
            self.sleep(next)?;
        };
        let payload = match &step.response_schema {
            Some(schema) => check_input(schema, &payload).map_err(|violations| {
                let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
                WorkflowError::step(
                    &step.id,
                    "SCHEMA_VIOLATION",
                    format!(
                        "signal '{signal_id}' does not match the responseSchema: {}",
                        listed.join("; ")
                    ),
                )
            })?,
            None => payload,
        };
        self.record_outputs(&step.id, payload);
        Ok(())
    }

    /// The step's `timeoutMs`, resolved; `None` waits as long as the run may.
    fn wait_timeout(&self, step: &WaitForSignalStep) -> Result<Option<Duration>, StepFailure> {
        let Some(timeout) = &step.timeout_ms else {
            return Ok(None);
        };
        let value = mapping::resolve(timeout, &self.scope).map_err(|e| {
            WorkflowError::step(&step.id, "MAPPING_ERROR", format!("timeoutMs: {e}"))
        })?;
        match value {
            Value::Null => Ok(None),
            value => value
                .as_f64()
                .filter(|ms| ms.is_finite() && *ms >= 0.0)
                .map(|ms| Some(Duration::from_millis(libm::round(ms) as u64)))
                .ok_or_else(|| {
                    WorkflowError::step(
                        &step.id,
                        "INVALID_VALUE",
                        format!("timeoutMs must be a number of milliseconds, got {value}"),
                    )
                }),
        }
    }
}
