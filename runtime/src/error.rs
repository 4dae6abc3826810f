use crate::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use runtara_agent::AgentError;

/// Whether running the workflow again may succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorCategory {
    Transient,
    Permanent,
}

impl From<runtara_agent::ErrorCategory> for ErrorCategory {
    fn from(category: runtara_agent::ErrorCategory) -> Self {
        match category {
            runtara_agent::ErrorCategory::Transient => Self::Transient,
            runtara_agent::ErrorCategory::Permanent => Self::Permanent,
        }
    }
}

/// Why a workflow failed: the step, a stable code and a sentence for humans.
///
/// Its JSON form (camelCase) is what a failed run prints on stderr and what
/// the durability provider receives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowError {
    /// The step that failed; `None` when the workflow failed before any step ran.
    pub step_id: Option<String>,
    pub code: String,
    pub message: String,
    pub category: ErrorCategory,
    /// Extra details, a JSON object.
    pub attributes: Value,
}

impl WorkflowError {
    /// A permanent error of the workflow as a whole (not of one step).
    pub fn workflow(code: &str, message: impl Into<String>) -> Self {
        Self {
            step_id: None,
            code: code.to_owned(),
            message: message.into(),
            category: ErrorCategory::Permanent,
            attributes: Value::Object(Default::default()),
        }
    }

    /// A permanent error of one step.
    pub fn step(step_id: &str, code: &str, message: impl Into<String>) -> Self {
        Self {
            step_id: Some(step_id.to_owned()),
            ..Self::workflow(code, message)
        }
    }

    /// An agent's error, as the step that called it reports it; the agent's
    /// `retry-after` hint is kept as the attribute `retryAfterMs`.
    pub fn from_agent(step_id: &str, agent: &str, capability: &str, error: AgentError) -> Self {
        let mut attributes = match error.attributes {
            Value::Object(map) => map,
            _ => Default::default(),
        };
        attributes.insert("agent".into(), agent.into());
        attributes.insert("capability".into(), capability.into());
        if let Some(ms) = error.retry_after_ms {
            attributes.insert("retryAfterMs".into(), ms.into());
        }
        Self {
            step_id: Some(step_id.to_owned()),
            code: error.code,
            message: format!("{agent}/{capability}: {}", error.message),
            category: error.category.into(),
            attributes: Value::Object(attributes),
        }
    }

    /// This error, raised inside step `step_id` (in one of its iterations or its child
    /// workflow), as that step reports it: the message says where (`place`, then the
    /// inner step), and `attributes` gain the `context` pair and the inner step id
    /// under `inner_step_key`.
    pub fn raised_in(
        self,
        step_id: &str,
        place: &str,
        context: (&str, Value),
        inner_step_key: &str,
    ) -> Self {
        let mut attributes = match self.attributes {
            Value::Object(map) => map,
            _ => Default::default(),
        };
        attributes.insert(context.0.to_owned(), context.1);
        let location = match &self.step_id {
            Some(inner) => {
                attributes.insert(inner_step_key.to_owned(), inner.clone().into());
                format!("{place}, step '{inner}'")
            }
            None => place.to_owned(),
        };
        Self {
            step_id: Some(step_id.to_owned()),
            code: self.code,
            message: format!("{location}: {}", self.message),
            category: self.category,
            attributes: Value::Object(attributes),
        }
    }

    /// The error as a JSON object.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The exit status of a run that ended with this error, on every target: 3 when
    /// it stopped to be resumed (paused or suspended), 1 when it failed or was cancelled.
    pub fn exit_status(&self) -> u8 {
        if self.code == crate::PAUSED || self.code == crate::SUSPENDED {
            3
        } else {
            1
        }
    }
}

impl core::fmt::Display for WorkflowError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match &self.step_id {
            Some(step) => write!(
                f,
                "step '{step}' failed with {}: {}",
                self.code, self.message
            ),
            None => write!(f, "workflow failed with {}: {}", self.code, self.message),
        }
    }
}

impl core::error::Error for WorkflowError {}
