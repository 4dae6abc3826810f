//! Reading a capability's input into its typed form, with errors that name the
//! field (`from-csv: 'typed': invalid type: string "yes", expected a boolean`).

use alloc::format;
use alloc::string::{String, ToString};
use core::fmt::Display;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::AgentError;

/// Reads a capability's input into its typed form; a mismatch is an `INVALID_INPUT` error
/// that names the field serde complained about. [`parse`] also names the capability.
pub fn parse_input<T: DeserializeOwned>(input: Value) -> Result<T, AgentError> {
    serde_json::from_value(input)
        .map_err(|e| AgentError::invalid_input(format!("invalid input: {e}")))
}

/// Calls `func` with JSON text and returns its output as JSON text: the bridge between
/// a WIT function (`func(input: json) -> result<json, agent-error>`) and the plain Rust one.
pub fn call_json(
    input: &str,
    func: impl FnOnce(Value) -> Result<Value, AgentError>,
) -> Result<String, AgentError> {
    let input: Value = serde_json::from_str(input)
        .map_err(|e| AgentError::invalid_input(format!("input is not valid JSON: {e}")))?;
    let output = func(input)?;
    Ok(output.to_string())
}

/// Reads `input`, which must be an object, into `T`; a mismatch is an `INVALID_INPUT`
/// error naming the capability and the field (also as the `field` attribute).
pub fn parse<T: DeserializeOwned>(capability: &str, input: Value) -> Result<T, AgentError> {
    if !input.is_object() {
        return Err(AgentError::invalid_input(format!(
            "{capability}: the input must be an object, got {}",
            kind(&input)
        )));
    }
    serde_path_to_error::deserialize(input).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner().to_string();
        if path == "." {
            let error = AgentError::invalid_input(format!("{capability}: {inner}"));
            match missing_field(&inner) {
                Some(field) => error.with_attribute("field", field),
                None => error,
            }
        } else {
            AgentError::invalid_input(format!("{capability}: '{path}': {inner}"))
                .with_attribute("field", path)
        }
    })
}

/// The field serde's "missing field `name`" names.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.strip_suffix('`')
}

/// Refuses an empty `path` field, or one holding a NUL character (file systems and
/// SFTP servers read paths as C strings).
pub fn check_path(capability: &str, path: &str) -> Result<(), AgentError> {
    if path.is_empty() {
        return Err(field_error(capability, "path", "must not be empty"));
    }
    if path.contains('\0') {
        return Err(field_error(
            capability,
            "path",
            "must not hold a NUL character",
        ));
    }
    Ok(())
}

/// An `INVALID_INPUT` error about the field `field` of `capability`'s input.
pub fn field_error(capability: &str, field: &str, message: impl Display) -> AgentError {
    AgentError::invalid_input(format!("{capability}: '{field}' {message}"))
        .with_attribute("field", field)
}

/// The JSON type of a value, for messages.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The JSON type of a value with its article (`a number`, `an array`), for messages.
pub fn kind_with_article(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
