use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::AgentError;

/// Reads a capability's input into its typed form; a mismatch is an `INVALID_INPUT` error
/// that names the field serde complained about.
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
