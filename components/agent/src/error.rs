use alloc::borrow::ToOwned;
use alloc::string::String;
use core::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Whether retrying the same call may succeed (mirrors `runtara:agent/types.error-category`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorCategory {
    Transient,
    Permanent,
}

/// What a capability returns when it fails (mirrors `runtara:agent/types.agent-error`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentError {
    pub code: String,
    pub message: String,
    pub category: ErrorCategory,
    pub retryable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// Extra details, a JSON object.
    #[serde(default = "empty_object")]
    pub attributes: Value,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

impl AgentError {
    /// An error that retrying will not fix (bad input, a missing resource).
    pub fn permanent(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            category: ErrorCategory::Permanent,
            retryable: false,
            retry_after_ms: None,
            attributes: empty_object(),
        }
    }

    /// An error that a later attempt may not meet (a timeout, an overloaded server).
    pub fn transient(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            category: ErrorCategory::Transient,
            retryable: true,
            ..Self::permanent(code, message)
        }
    }

    /// The input did not have the shape the capability expects.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::permanent("INVALID_INPUT", message)
    }

    /// What a capability answers in a build that cannot perform it (the embedded target,
    /// `no_std`): a permanent `UNAVAILABLE_ON_TARGET` error, "`capability` is not
    /// available in embedded builds: `why`". `runtara compile --target embedded` refuses
    /// such capabilities beforehand; this is the answer should one be called anyway.
    pub fn unavailable_on_target(capability: &str, why: &str) -> Self {
        Self::permanent(
            "UNAVAILABLE_ON_TARGET",
            alloc::format!("{capability} is not available in embedded builds: {why}"),
        )
        .with_attribute("capability", capability)
    }

    /// Adds a detail to `attributes`.
    pub fn with_attribute(mut self, key: &str, value: impl Into<Value>) -> Self {
        if let Value::Object(map) = &mut self.attributes {
            map.insert(key.to_owned(), value.into());
        }
        self
    }
}

impl fmt::Display for AgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl core::error::Error for AgentError {}
