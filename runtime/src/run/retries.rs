//! The retry loop shared by Agent, EmbedWorkflow and Split steps.

use crate::prelude::*;
use serde_json::{Value, json};

use super::Run;
use crate::retry::RetryPolicy;
use crate::{ErrorCategory, LogLevel, WorkflowError};

impl Run<'_> {
    /// Runs `attempt` until it succeeds, fails with a permanent error or `policy`'s
    /// retries are used up, waiting the policy's backoff between attempts (longer when
    /// the error carries a `retryAfterMs` hint). Each retry is logged as a warning of
    /// step `step_id` naming `what` failed, and the attempts made are noted for the
    /// step's checkpoint. A run that is stopping (paused, suspended, cancelled) is
    /// never retried.
    pub(super) fn retrying<T>(
        &mut self,
        step_id: &str,
        policy: &RetryPolicy,
        what: &str,
        mut attempt: impl FnMut(&mut Self) -> Result<T, WorkflowError>,
    ) -> Result<T, WorkflowError> {
        let mut retry = 0;
        loop {
            let result = attempt(self);
            self.note_attempts(retry + 1);
            let error = match result {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            if self.stopping().is_err() {
                return Err(error);
            }
            retry += 1;
            let hint = error.attributes.get("retryAfterMs").and_then(Value::as_u64);
            let wait = match error.category {
                ErrorCategory::Transient => policy.backoff(retry, hint),
                ErrorCategory::Permanent => None,
            };
            let Some(wait) = wait else {
                return Err(error);
            };
            let message = format!(
                "transient error in {what}, retry {retry} of {} in {} ms: {}",
                policy.max_retries,
                wait.as_millis(),
                error.message
            );
            let context = json!({ "code": error.code, "retry": retry });
            self.log_event(LogLevel::Warn, step_id, &message, &context);
            self.sleep(wait)?;
        }
    }
}
