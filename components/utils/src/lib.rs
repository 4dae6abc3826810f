//! The `utils` agent: echo a value, random numbers and ids, the clock, waiting.
//!
//! Natively this is an rlib: call the capability functions directly or through
//! [`call`]. Built for `wasm32-wasip2` it is a component exporting
//! `runtara:utils/capabilities` (see `wit/utils/utils.wit`).
//!
//! ```
//! use serde_json::json;
//! let n = runtara_agent_utils::call("random-double", json!({})).unwrap();
//! assert!((0.0..1.0).contains(&n.as_f64().unwrap()));
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use runtara_agent::{AgentError, parse_input};
use serde::Deserialize;
use serde_json::{Value, json};

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({
        world: "runtara:utils/agent",
        path: ["../../wit/agent", "../../wit/utils"],
        generate_all,
    });
    pub struct Utils;
    export!(Utils);
}

runtara_agent::capabilities! {
    description: include_str!("../capabilities.json"),
    component: {
        guest: component::exports::runtara::utils::capabilities::Guest,
        types: component::exports::runtara::agent::types,
        exporter: component::Utils
    },
    "return-input" => return_input,
    "do-nothing" => do_nothing,
    "random-double" => random_double,
    "random-uuid" => random_uuid,
    "delay-in-ms" => delay_in_ms,
    "get-current-unix-timestamp" => get_current_unix_timestamp,
    "get-current-iso-datetime" => get_current_iso_datetime,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValueInput {
    #[serde(default)]
    value: Value,
}

/// `{ value }` -> the value itself.
pub fn return_input(input: Value) -> Result<Value, AgentError> {
    let ValueInput { value } = parse_input(input)?;
    Ok(value)
}

/// Any input -> null.
pub fn do_nothing(_input: Value) -> Result<Value, AgentError> {
    Ok(Value::Null)
}

/// `{}` -> a uniformly distributed number in [0, 1).
pub fn random_double(_input: Value) -> Result<Value, AgentError> {
    let bits = u64::from_le_bytes(random_bytes::<8>()?);
    // The top 53 bits fill an f64 mantissa exactly, so the result is uniform and < 1.
    let number = (bits >> 11) as f64 / (1u64 << 53) as f64;
    Ok(json!(number))
}

/// `{}` -> a random version 4 UUID.
pub fn random_uuid(_input: Value) -> Result<Value, AgentError> {
    let uuid = uuid::Builder::from_random_bytes(random_bytes::<16>()?).into_uuid();
    Ok(json!(uuid.to_string()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DelayInput {
    delay_value: f64,
}

/// Longest wait one call accepts: a longer one belongs in a durable Delay step.
const MAX_DELAY_MS: f64 = 24.0 * 3600.0 * 1000.0;

/// `{ delay_value }` (ms) -> waits, then the number of milliseconds waited.
pub fn delay_in_ms(input: Value) -> Result<Value, AgentError> {
    let DelayInput { delay_value } = parse_input(input)?;
    if !(0.0..=MAX_DELAY_MS).contains(&delay_value) {
        return Err(AgentError::invalid_input(format!(
            "delay_value must be between 0 and {MAX_DELAY_MS} ms, got {delay_value}"
        )));
    }
    let millis = delay_value.round() as u64;
    std::thread::sleep(Duration::from_millis(millis));
    Ok(json!(millis))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TimestampInput {
    #[serde(default)]
    unit: TimestampUnit,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "lowercase")]
enum TimestampUnit {
    #[default]
    Seconds,
    Milliseconds,
}

/// `{ unit? }` -> the current Unix time in seconds (default) or milliseconds.
pub fn get_current_unix_timestamp(input: Value) -> Result<Value, AgentError> {
    let TimestampInput { unit } = parse_input_or_default(input)?;
    let since_epoch = now_since_epoch()?;
    Ok(match unit {
        TimestampUnit::Seconds => json!(since_epoch.as_secs()),
        TimestampUnit::Milliseconds => json!(since_epoch.as_millis() as u64),
    })
}

/// `{}` -> the current UTC time as RFC 3339 with milliseconds, e.g. `2026-11-25T19:21:10.123Z`.
pub fn get_current_iso_datetime(_input: Value) -> Result<Value, AgentError> {
    now_since_epoch()?;
    Ok(json!(
        humantime::format_rfc3339_millis(SystemTime::now()).to_string()
    ))
}

/// Accepts `null` as "no options given".
fn parse_input_or_default<T: for<'de> Deserialize<'de> + Default>(
    input: Value,
) -> Result<T, AgentError> {
    if input.is_null() {
        Ok(T::default())
    } else {
        parse_input(input)
    }
}

fn now_since_epoch() -> Result<Duration, AgentError> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| AgentError::permanent("CLOCK_ERROR", "the system clock is set before 1970"))
}

fn random_bytes<const N: usize>() -> Result<[u8; N], AgentError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| {
        AgentError::transient(
            "RANDOM_UNAVAILABLE",
            format!("no randomness available: {e}"),
        )
    })?;
    Ok(bytes)
}
