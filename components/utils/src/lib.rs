//! The `utils` agent: echo a value, random numbers and ids, the clock and dates,
//! country codes, arithmetic, waiting.
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

#![cfg_attr(not(feature = "std"), no_std)]
// Every capability returns `Result<Value, AgentError>`: the error type is the shared
// agent contract (runtara-agent), not ours to box, and errors are the cold path.
#![allow(clippy::result_large_err)]

extern crate alloc;

mod calc;
mod countries;
mod datetime;
// The clock, randomness and waiting: the standard library's, or (without std) the
// embedded target's answer that they are unavailable.
#[cfg(feature = "std")]
mod system;
#[cfg(not(feature = "std"))]
#[path = "system_embedded.rs"]
mod system;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use core::fmt::Display;

use runtara_agent::{AgentError, parse_input};
use serde::Deserialize;
use serde::de::DeserializeOwned;
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
    "return-input-string" => return_input_string,
    "random-array" => random_array,
    "get-current-formatted-datetime" => get_current_formatted_datetime,
    "iso-to-unix-timestamp" => iso_to_unix_timestamp,
    "format-date-from-iso" => format_date_from_iso,
    "country-name-to-iso-code" => country_name_to_iso_code,
    "calculate" => calculate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValueInput {
    #[serde(default)]
    value: Value,
}

pub use system::{
    delay_in_ms, get_current_formatted_datetime, get_current_iso_datetime,
    get_current_unix_timestamp, random_array, random_double, random_uuid,
};

/// `{ value }` -> the value itself.
pub fn return_input(input: Value) -> Result<Value, AgentError> {
    let ValueInput { value } = parse_input(input)?;
    Ok(value)
}

/// Any input -> null.
pub fn do_nothing(_input: Value) -> Result<Value, AgentError> {
    Ok(Value::Null)
}

/// Seconds or milliseconds, for Unix times.
#[derive(Deserialize, Default)]
#[serde(rename_all = "lowercase")]
enum TimestampUnit {
    #[default]
    Seconds,
    Milliseconds,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequiredValueInput {
    value: Value,
}

/// `{ value }` -> the value as a string: a string as it is, anything else as compact
/// JSON text (`12` -> `"12"`, `{"a":1}` -> `"{\"a\":1}"`, null -> `"null"`).
pub fn return_input_string(input: Value) -> Result<Value, AgentError> {
    let RequiredValueInput { value } = parse(input)?;
    Ok(match value {
        Value::String(text) => Value::String(text),
        other => Value::String(other.to_string()),
    })
}

/// The largest magnitude of an integer bound: beyond 2^53 an f64 skips integers.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_992.0;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IsoToUnixInput {
    iso_datetime: String,
    #[serde(default)]
    unit: TimestampUnit,
}

/// `{ iso_datetime, unit? }` -> the Unix time of an ISO 8601 date-time, in seconds
/// (default; rounded down) or milliseconds. Without an offset the time is UTC; a date
/// alone (`2024-01-31`) is midnight UTC.
pub fn iso_to_unix_timestamp(input: Value) -> Result<Value, AgentError> {
    let IsoToUnixInput { iso_datetime, unit } = parse(input)?;
    let when = datetime::parse_iso(&iso_datetime).map_err(|e| field_error("iso_datetime", e))?;
    Ok(match unit {
        TimestampUnit::Seconds => json!(when.timestamp()),
        TimestampUnit::Milliseconds => json!(when.timestamp_millis()),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FormatIsoInput {
    iso_datetime: String,
    format: String,
    #[serde(default)]
    timezone: Option<String>,
}

/// `{ iso_datetime, format, timezone? }` -> the date-time formatted with the strftime
/// `format`, after converting it to `timezone`, UTC or a fixed offset (UTC when
/// absent, whatever offset the input carries).
pub fn format_date_from_iso(input: Value) -> Result<Value, AgentError> {
    let FormatIsoInput {
        iso_datetime,
        format,
        timezone,
    } = parse(input)?;
    let when = datetime::parse_iso(&iso_datetime).map_err(|e| field_error("iso_datetime", e))?;
    let zone = parse_timezone(timezone.as_deref())?;
    zone.format(&when, &format)
        .map(Value::String)
        .map_err(|e| field_error("format", e))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountryInput {
    country_name: String,
    #[serde(default)]
    code_type: CodeType,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum CodeType {
    #[default]
    Alpha2,
    Alpha3,
}

/// `{ country_name, code_type? }` -> the ISO 3166-1 alpha-2 (default) or alpha-3 code of
/// a country named by its ISO name, a common or official name (`USA`, `United Kingdom`,
/// `Viet Nam`/`Vietnam`) or its code; letter case, accents and punctuation do not matter.
/// An unknown name is a permanent `NOT_FOUND` error listing the closest names.
pub fn country_name_to_iso_code(input: Value) -> Result<Value, AgentError> {
    let CountryInput {
        country_name,
        code_type,
    } = parse(input)?;
    if countries::normalize(&country_name).is_empty() {
        return Err(field_error(
            "country_name",
            format!("must name a country, got '{country_name}'"),
        ));
    }
    let Some(country) = countries::find(&country_name) else {
        let suggestions = countries::closest(&country_name, 3);
        return Err(AgentError::permanent(
            "NOT_FOUND",
            format!(
                "'country_name': no country is called '{country_name}'; the closest names are {}",
                suggestions.join(", ")
            ),
        )
        .with_attribute("field", "country_name")
        .with_attribute("suggestions", suggestions));
    };
    Ok(json!(match code_type {
        CodeType::Alpha2 => country.alpha2,
        CodeType::Alpha3 => country.alpha3,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalculateInput {
    expression: String,
    #[serde(default)]
    variables: Option<BTreeMap<String, f64>>,
}

/// `{ expression, variables? }` -> the value of an arithmetic expression: numbers,
/// variables (from `variables`, name -> number), `+ - * / % ^`, parentheses and unary
/// minus, with the usual precedence (`^` binds tightest and to the right).
///
/// A whole result (below 2^53) comes back as an integer. A malformed expression or an
/// unknown variable is `INVALID_INPUT`; division by zero and a result that is not a
/// finite number are a permanent `ARITHMETIC_ERROR`. Messages give the position.
pub fn calculate(input: Value) -> Result<Value, AgentError> {
    let CalculateInput {
        expression,
        variables,
    } = parse(input)?;
    let variables = variables.unwrap_or_default();
    let result = calc::evaluate(&expression, &variables).map_err(|e| {
        let error = match e.kind {
            calc::ErrorKind::Syntax => field_error(
                "expression",
                format!("is not a valid expression: {}", e.message),
            ),
            calc::ErrorKind::UnknownVariable => field_error("variables", e.message),
            calc::ErrorKind::Arithmetic => AgentError::permanent(
                "ARITHMETIC_ERROR",
                format!("'expression' cannot be evaluated: {}", e.message),
            )
            .with_attribute("field", "expression"),
        };
        error.with_attribute("position", e.position)
    })?;
    Ok(number_value(result))
}

/// A whole number that an i64 holds exactly as an integer, anything else as a float.
fn number_value(number: f64) -> Value {
    if runtara_agent::float::fract(number) == 0.0 && number.abs() < MAX_SAFE_INTEGER {
        json!(number as i64)
    } else {
        json!(number)
    }
}

/// Reads a capability's input into its typed form; a mismatch is an `INVALID_INPUT`
/// error that names the field (`invalid input: 'length': invalid type: string "3",
/// expected u64`).
fn parse<T: DeserializeOwned>(input: Value) -> Result<T, AgentError> {
    serde_path_to_error::deserialize(input).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if path == "." {
            AgentError::invalid_input(format!("invalid input: {inner}"))
        } else {
            AgentError::invalid_input(format!("invalid input: '{path}': {inner}"))
                .with_attribute("field", path)
        }
    })
}

/// An `INVALID_INPUT` error about the input field `field`: `'field' <message>`.
fn field_error(field: &str, message: impl Display) -> AgentError {
    AgentError::invalid_input(format!("'{field}' {message}")).with_attribute("field", field)
}

/// The zone of the optional `timezone` field (UTC or a fixed offset); UTC when it
/// is absent.
fn parse_timezone(name: Option<&str>) -> Result<datetime::Zone, AgentError> {
    match name {
        None => Ok(datetime::Zone::Utc),
        Some(name) => datetime::zone(name).map_err(|e| field_error("timezone", e)),
    }
}

#[cfg(test)]
mod tests;
