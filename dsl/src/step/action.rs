//! Steps that do something: Agent, Finish, Log, Error, Delay,
//! WaitForSignal, EmbedWorkflow.

use crate::prelude::*;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::{DEFAULT_MAX_RETRIES, DEFAULT_RETRY_DELAY_MS};
use crate::mapping::{InputMapping, MappingValue};
use crate::names::string_enum;
use crate::scenario::ExecutionGraph;
use crate::schema::Schema;
use crate::serde_util::{is_empty_map, null_as_default};

/// `Agent`: calls one capability of one agent; outputs what it returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentStep {
    /// The step id.
    pub id: String,
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Pause here when debugging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakpoint: Option<bool>,
    /// The agent, kebab-case (`http`, `utils`).
    pub agent_id: String,
    /// The capability, kebab-case (`http-request`).
    pub capability_id: String,
    /// The capability's input, field by field.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_empty_map"
    )]
    pub input_mapping: InputMapping,
    /// Retries of transient failures (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
    /// First retry delay in ms, doubled each retry (default 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_delay: Option<u64>,
    /// Per-attempt timeout in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// `false` skips the checkpoint around the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub durable: Option<bool>,
    /// The connection (credentials) the call uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    /// A connection id resolved at run time; wins over `connectionId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_ref: Option<MappingValue>,
    /// Accepted for compatibility and ignored (saga compensation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compensation: Option<Value>,
}

impl AgentStep {
    /// `maxRetries`, or its default.
    pub fn max_retries_or_default(&self) -> u32 {
        self.max_retries.unwrap_or(DEFAULT_MAX_RETRIES)
    }

    /// `retryDelay` in ms, or its default.
    pub fn retry_delay_or_default(&self) -> u64 {
        self.retry_delay.unwrap_or(DEFAULT_RETRY_DELAY_MS)
    }
}

/// `Finish`: its mapping is the output of its graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FinishStep {
    /// The step id.
    pub id: String,
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Pause here when debugging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakpoint: Option<bool>,
    /// The output, field by field.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_empty_map"
    )]
    pub input_mapping: InputMapping,
}

string_enum! {
    /// The level of a Log step.
    #[derive(Default)]
    pub enum LogLevel as "log level" {
        /// Diagnostics.
        Debug => "debug",
        /// The default.
        #[default]
        Info => "info",
        /// Something looks wrong.
        Warn => "warn",
        /// Something failed.
        Error => "error",
    }
}

/// `Log`: emits a structured log event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogStep {
    /// The step id.
    pub id: String,
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Pause here when debugging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakpoint: Option<bool>,
    /// The level (default `info`).
    #[serde(default)]
    pub level: LogLevel,
    /// The message, verbatim.
    pub message: String,
    /// Structured fields of the event.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_empty_map"
    )]
    pub context: InputMapping,
}

string_enum! {
    /// Whether retrying might help.
    #[derive(Default)]
    pub enum ErrorCategory as "error category" {
        /// Retrying may succeed.
        Transient => "transient",
        /// Retrying will not help (the default).
        #[default]
        Permanent => "permanent",
    }
}

string_enum! {
    /// How bad an error is, for alerting.
    pub enum ErrorSeverity as "error severity" {
        /// Expected.
        Info => "info",
        /// Degraded.
        Warning => "warning",
        /// Failed.
        Error => "error",
        /// System-level failure.
        Critical => "critical",
    }
}

/// `Error`: ends the workflow (or takes an `onError` edge) with a structured error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ErrorStep {
    /// The step id.
    pub id: String,
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Pause here when debugging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakpoint: Option<bool>,
    /// Transient or permanent (default permanent).
    #[serde(default)]
    pub category: ErrorCategory,
    /// A machine-readable code, e.g. `CREDIT_LIMIT_EXCEEDED`.
    pub code: String,
    /// The message, verbatim.
    pub message: String,
    /// How bad it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<ErrorSeverity>,
    /// Structured details, become the error's attributes.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_empty_map"
    )]
    pub context: InputMapping,
}

/// `Delay`: waits `durationMs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DelayStep {
    /// The step id.
    pub id: String,
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Pause here when debugging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakpoint: Option<bool>,
    /// How long, in ms.
    pub duration_ms: MappingValue,
    /// Whether the wait survives a restart (default: the scenario's setting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub durable: Option<bool>,
}

/// `WaitForSignal`: waits for a signal addressed to this step; outputs its payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WaitForSignalStep {
    /// The step id.
    pub id: String,
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Pause here when debugging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakpoint: Option<bool>,
    /// Runs when the wait starts (to tell someone how to answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_wait: Option<Box<ExecutionGraph>>,
    /// Fail after this many ms without a signal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<MappingValue>,
    /// How often to poll, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_interval_ms: Option<u64>,
    /// The expected payload's fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_schema: Option<Schema>,
    /// Accepted for compatibility and ignored (platform action metadata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Value>,
}

/// Which version of a child scenario to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChildVersion {
    /// `"latest"`.
    #[default]
    Latest,
    /// A version number (also accepted as a string of digits).
    Version(u64),
}

impl Serialize for ChildVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ChildVersion::Latest => serializer.serialize_str("latest"),
            ChildVersion::Version(n) => serializer.serialize_u64(*n),
        }
    }
}

impl<'de> Deserialize<'de> for ChildVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        match &value {
            Value::String(s) if s == "latest" => return Ok(ChildVersion::Latest),
            Value::String(s) => {
                if let Ok(n) = s.trim().parse() {
                    return Ok(ChildVersion::Version(n));
                }
            }
            Value::Number(n) => {
                if let Some(n) = n.as_u64() {
                    return Ok(ChildVersion::Version(n));
                }
            }
            _ => {}
        }
        Err(de::Error::custom(format!(
            "expected \"latest\" or a version number, found {}",
            crate::tracked::kind(&value)
        )))
    }
}

/// `EmbedWorkflow`: runs another scenario as a child; outputs its output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmbedWorkflowStep {
    /// The step id.
    pub id: String,
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Pause here when debugging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakpoint: Option<bool>,
    /// The child scenario's id.
    pub child_workflow_id: String,
    /// `"latest"` (the default) or a version number.
    #[serde(default)]
    pub child_version: ChildVersion,
    /// The child's input, field by field.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_empty_map"
    )]
    pub input_mapping: InputMapping,
    /// Retries of transient failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
    /// First retry delay in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_delay: Option<u64>,
    /// A timeout in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// `false` skips the checkpoint of the child's result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub durable: Option<bool>,
}
