//! Assertions the agent crates' unit tests share (feature `testing`, for
//! dev-dependencies only).

use alloc::format;
use alloc::vec::Vec;

use serde_json::Value;

use crate::{AgentError, ErrorCategory};

/// An agent crate's native dispatcher: the `call` that [`crate::capabilities!`] generates.
pub type Dispatch = fn(&str, Value) -> Result<Value, AgentError>;

/// Calls capability `id`; panics, naming it, when it fails.
pub fn expect_ok(call: Dispatch, id: &str, input: Value) -> Value {
    call(id, input).unwrap_or_else(|e| panic!("{id} failed: {e}"))
}

/// Calls capability `id` and expects a permanent, not retryable error `code` whose
/// message starts with `<id>: ` and contains `fragment`.
pub fn expect_error(
    call: Dispatch,
    id: &str,
    input: Value,
    code: &str,
    fragment: &str,
) -> AgentError {
    let error = call(id, input).expect_err("expected an error");
    assert_eq!(error.code, code, "{error}");
    assert_eq!(error.category, ErrorCategory::Permanent);
    assert!(!error.retryable);
    assert!(
        error.message.starts_with(&format!("{id}: ")),
        "{}",
        error.message
    );
    assert!(
        error.message.contains(fragment),
        "'{}' does not contain '{fragment}'",
        error.message
    );
    error
}

/// [`expect_error`] with `INVALID_INPUT`.
pub fn expect_invalid(call: Dispatch, id: &str, input: Value, fragment: &str) -> AgentError {
    expect_error(call, id, input, "INVALID_INPUT", fragment)
}

/// The capabilities of the description document `description`, after checking that
/// it describes agent `agent` and lists exactly `ids`, in that order.
pub fn described_capabilities(description: &str, agent: &str, ids: &[&str]) -> Vec<Value> {
    let description: Value = serde_json::from_str(description).unwrap();
    assert_eq!(description["agent"], agent);
    let capabilities = description["capabilities"].as_array().unwrap().clone();
    let described: Vec<&str> = capabilities
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(described, ids);
    capabilities
}
