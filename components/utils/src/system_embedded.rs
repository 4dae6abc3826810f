//! The capabilities that need the standard library (see `system.rs`), in the embedded
//! (`no_std`) build: the reference board has no real-time clock and no entropy source,
//! and a capability cannot block on the board's timer, so each answers
//! `UNAVAILABLE_ON_TARGET`. `runtara compile --target embedded` refuses them beforehand
//! (`compiler/src/embedded_support.rs` holds the same reasons).

use runtara_agent::AgentError;
use serde_json::Value;

const NO_ENTROPY: &str = "the reference board has no entropy source";
const NO_CLOCK: &str = "the reference board has no real-time clock";
const NO_BLOCKING_WAIT: &str =
    "a capability cannot block on the board's timer; use a Delay step instead";

/// See the std build: unavailable here.
pub fn random_double(_input: Value) -> Result<Value, AgentError> {
    Err(AgentError::unavailable_on_target(
        "random-double",
        NO_ENTROPY,
    ))
}

/// See the std build: unavailable here.
pub fn random_uuid(_input: Value) -> Result<Value, AgentError> {
    Err(AgentError::unavailable_on_target("random-uuid", NO_ENTROPY))
}

/// See the std build: unavailable here.
pub fn random_array(_input: Value) -> Result<Value, AgentError> {
    Err(AgentError::unavailable_on_target(
        "random-array",
        NO_ENTROPY,
    ))
}

/// See the std build: unavailable here.
pub fn delay_in_ms(_input: Value) -> Result<Value, AgentError> {
    Err(AgentError::unavailable_on_target(
        "delay-in-ms",
        NO_BLOCKING_WAIT,
    ))
}

/// See the std build: unavailable here.
pub fn get_current_unix_timestamp(_input: Value) -> Result<Value, AgentError> {
    Err(AgentError::unavailable_on_target(
        "get-current-unix-timestamp",
        NO_CLOCK,
    ))
}

/// See the std build: unavailable here.
pub fn get_current_iso_datetime(_input: Value) -> Result<Value, AgentError> {
    Err(AgentError::unavailable_on_target(
        "get-current-iso-datetime",
        NO_CLOCK,
    ))
}

/// See the std build: unavailable here.
pub fn get_current_formatted_datetime(_input: Value) -> Result<Value, AgentError> {
    Err(AgentError::unavailable_on_target(
        "get-current-formatted-datetime",
        NO_CLOCK,
    ))
}
