//! Reading a capability's input object field by field, with errors that name
//! the capability and the field (`filter: 'value' must be an array, got object`).

use alloc::{format, string::String, vec::Vec};

use runtara_agent::AgentError;
use serde_json::{Map, Value};

use crate::path::{self, Selector};

/// A capability's input object.
pub struct Input {
    capability: &'static str,
    fields: Map<String, Value>,
}

impl Input {
    /// Checks that `input` is an object with no fields besides `allowed`.
    pub fn new(
        capability: &'static str,
        input: Value,
        allowed: &[&str],
    ) -> Result<Self, AgentError> {
        let Value::Object(fields) = input else {
            return Err(AgentError::invalid_input(format!(
                "{capability}: the input must be an object, got {}",
                kind(&input)
            )));
        };
        if let Some(unknown) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(AgentError::invalid_input(format!(
                "{capability}: unknown field '{unknown}' (expected: {})",
                allowed.join(", ")
            ))
            .with_attribute("field", unknown.as_str()));
        }
        Ok(Self { capability, fields })
    }

    /// An error about this capability's input.
    pub fn error(&self, message: impl core::fmt::Display) -> AgentError {
        AgentError::invalid_input(format!("{}: {message}", self.capability))
    }

    fn field_error(&self, name: &str, message: impl core::fmt::Display) -> AgentError {
        self.error(format!("'{name}' {message}"))
            .with_attribute("field", name)
    }

    /// Whether the field is present (even as null).
    pub fn has(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    /// The field as given, null when absent.
    pub fn any(&mut self, name: &str) -> Value {
        self.fields.remove(name).unwrap_or(Value::Null)
    }

    /// The field, which must be present (it may be null).
    pub fn required(&mut self, name: &str) -> Result<Value, AgentError> {
        self.fields
            .remove(name)
            .ok_or_else(|| self.field_error(name, "is required"))
    }

    /// A field that must be an array.
    pub fn array(&mut self, name: &str) -> Result<Vec<Value>, AgentError> {
        match self.required(name)? {
            Value::Array(items) => Ok(items),
            other => Err(self.field_error(name, format!("must be an array, got {}", kind(&other)))),
        }
    }

    /// A field that must be an object.
    pub fn object(&mut self, name: &str) -> Result<Map<String, Value>, AgentError> {
        match self.required(name)? {
            Value::Object(map) => Ok(map),
            other => {
                Err(self.field_error(name, format!("must be an object, got {}", kind(&other))))
            }
        }
    }

    /// A field that must be an object or an array.
    pub fn container(&mut self, name: &str) -> Result<Value, AgentError> {
        match self.required(name)? {
            value @ (Value::Object(_) | Value::Array(_)) => Ok(value),
            other => Err(self.field_error(
                name,
                format!("must be an object or an array, got {}", kind(&other)),
            )),
        }
    }

    /// A field that must be a string.
    pub fn string(&mut self, name: &str) -> Result<String, AgentError> {
        match self.required(name)? {
            Value::String(s) => Ok(s),
            other => Err(self.field_error(name, format!("must be a string, got {}", kind(&other)))),
        }
    }

    /// An optional string; null counts as absent.
    pub fn optional_string(&mut self, name: &str) -> Result<Option<String>, AgentError> {
        match self.any(name) {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s)),
            other => Err(self.field_error(name, format!("must be a string, got {}", kind(&other)))),
        }
    }

    /// An optional boolean; null counts as absent.
    pub fn optional_bool(&mut self, name: &str) -> Result<Option<bool>, AgentError> {
        match self.any(name) {
            Value::Null => Ok(None),
            Value::Bool(b) => Ok(Some(b)),
            other => {
                Err(self.field_error(name, format!("must be a boolean, got {}", kind(&other))))
            }
        }
    }

    /// An optional non-negative integer; null counts as absent.
    pub fn optional_u64(&mut self, name: &str) -> Result<Option<u64>, AgentError> {
        match self.any(name) {
            Value::Null => Ok(None),
            Value::Number(n) => match n.as_u64() {
                Some(n) => Ok(Some(n)),
                None => {
                    Err(self.field_error(name, format!("must be a non-negative integer, got {n}")))
                }
            },
            other => Err(self.field_error(
                name,
                format!("must be a non-negative integer, got {}", kind(&other)),
            )),
        }
    }

    /// A required path field, parsed.
    pub fn path(&mut self, name: &str) -> Result<Vec<Selector>, AgentError> {
        let text = self.string(name)?;
        self.parse_path(name, &text)
    }

    /// An optional path field, parsed; null counts as absent.
    pub fn optional_path(&mut self, name: &str) -> Result<Option<Vec<Selector>>, AgentError> {
        match self.optional_string(name)? {
            Some(text) => self.parse_path(name, &text).map(Some),
            None => Ok(None),
        }
    }

    fn parse_path(&self, name: &str, text: &str) -> Result<Vec<Selector>, AgentError> {
        path::parse(text).map_err(|e| {
            self.field_error(
                name,
                format!("is not a valid path ('{text}'): {}", e.problem()),
            )
        })
    }
}

pub use runtara_agent::input::kind;
