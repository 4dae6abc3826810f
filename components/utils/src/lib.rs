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

// Every capability returns `Result<Value, AgentError>`: the error type is the shared
// agent contract (runtara-agent), not ours to box, and errors are the cold path.
#![allow(clippy::result_large_err)]

mod calc;
mod countries;
mod datetime;

use std::collections::HashMap;
use std::fmt::Display;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RandomArrayInput {
    length: u64,
    #[serde(default)]
    min: Option<f64>,
    #[serde(default)]
    max: Option<f64>,
    #[serde(default)]
    integer: Option<bool>,
}

/// The longest array `random-array` makes.
const MAX_RANDOM_ARRAY_LENGTH: u64 = 10_000;

/// The largest magnitude of an integer bound: beyond 2^53 an f64 skips integers.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_992.0;

/// `{ length, min?, max?, integer? }` -> `length` (0 to 10000) random numbers.
///
/// By default they are uniform in `[min, max)` (`min` 0 and `max` 1 when absent); with
/// `integer` true they are whole numbers uniform in `[min, max]`, both ends included
/// (bounds that are not whole are rounded inwards).
pub fn random_array(input: Value) -> Result<Value, AgentError> {
    let RandomArrayInput {
        length,
        min,
        max,
        integer,
    } = parse(input)?;
    if length > MAX_RANDOM_ARRAY_LENGTH {
        return Err(field_error(
            "length",
            format!("must be between 0 and {MAX_RANDOM_ARRAY_LENGTH}, got {length}"),
        ));
    }
    let (min, max) = (min.unwrap_or(0.0), max.unwrap_or(1.0));
    if min > max {
        return Err(field_error(
            "min",
            format!("must not be greater than 'max' ({min} > {max})"),
        ));
    }
    let mut random = RandomSource::new(length as usize)?;
    let numbers: Vec<Value> = if integer.unwrap_or(false) {
        let (low, high) = integer_bounds(min, max)?;
        // At most 2^54 + 1 values: the span fits in a u64.
        let span = (high - low) as u64 + 1;
        (0..length)
            .map(|_| Ok(json!(low as i64 + random.below(span)? as i64)))
            .collect::<Result<_, AgentError>>()?
    } else {
        (0..length)
            .map(|_| Ok(json!(uniform(min, max, random.unit()?))))
            .collect::<Result<_, AgentError>>()?
    };
    Ok(Value::Array(numbers))
}

/// The whole numbers `[ceil(min), floor(max)]`, checked.
fn integer_bounds(min: f64, max: f64) -> Result<(f64, f64), AgentError> {
    for (field, bound) in [("min", min), ("max", max)] {
        if bound.abs() > MAX_SAFE_INTEGER {
            return Err(field_error(
                field,
                format!(
                    "must be between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER} when 'integer' is true, got {bound}"
                ),
            ));
        }
    }
    let (low, high) = (min.ceil(), max.floor());
    if low > high {
        return Err(field_error(
            "min",
            format!("no whole number lies between 'min' ({min}) and 'max' ({max})"),
        ));
    }
    Ok((low, high))
}

/// `unit` in [0, 1) scaled into [min, max) (exactly `min` when they are equal).
fn uniform(min: f64, max: f64, unit: f64) -> f64 {
    let span = max - min;
    let value = if span.is_finite() {
        min + span * unit
    } else {
        // The bounds are so far apart that their difference overflows.
        min * (1.0 - unit) + max * unit
    };
    // Rounding can land on `max` itself; the range excludes it.
    if value >= max && max > min {
        max.next_down().max(min)
    } else {
        value.max(min)
    }
}

/// Random numbers from the system's source, fetched in blocks.
struct RandomSource {
    buffer: Vec<u8>,
    used: usize,
}

impl RandomSource {
    /// A source sized for about `count` numbers.
    fn new(count: usize) -> Result<Self, AgentError> {
        let mut source = Self {
            buffer: vec![0; count.clamp(1, 1024) * 8],
            used: 0,
        };
        source.refill()?;
        Ok(source)
    }

    fn refill(&mut self) -> Result<(), AgentError> {
        getrandom::fill(&mut self.buffer).map_err(|e| {
            AgentError::transient(
                "RANDOM_UNAVAILABLE",
                format!("no randomness available: {e}"),
            )
        })?;
        self.used = 0;
        Ok(())
    }

    fn next_u64(&mut self) -> Result<u64, AgentError> {
        if self.used + 8 > self.buffer.len() {
            self.refill()?;
        }
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&self.buffer[self.used..self.used + 8]);
        self.used += 8;
        Ok(u64::from_le_bytes(bytes))
    }

    /// Uniform in [0, 1), as `random-double`.
    fn unit(&mut self) -> Result<f64, AgentError> {
        Ok((self.next_u64()? >> 11) as f64 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, n) for n >= 1, without modulo bias (rejection sampling).
    fn below(&mut self, n: u64) -> Result<u64, AgentError> {
        // The largest multiple of n that fits; draws at or above it are retried.
        let zone = u64::MAX - (u64::MAX - n + 1) % n;
        loop {
            let draw = self.next_u64()?;
            if draw <= zone {
                return Ok(draw % n);
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FormattedNowInput {
    format: String,
    #[serde(default)]
    timezone: Option<String>,
}

/// `{ format, timezone? }` -> the current time formatted with the strftime `format`
/// (e.g. `%Y-%m-%d %H:%M:%S`) in the IANA `timezone` (UTC when absent).
pub fn get_current_formatted_datetime(input: Value) -> Result<Value, AgentError> {
    let FormattedNowInput { format, timezone } = parse(input)?;
    let zone = parse_timezone(timezone.as_deref())?;
    let now = now_utc()?.with_timezone(&zone);
    datetime::format(&now, &format)
        .map(Value::String)
        .map_err(|e| field_error("format", e))
}

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
/// `format`, after converting it to the IANA `timezone` (UTC when absent, whatever
/// offset the input carries).
pub fn format_date_from_iso(input: Value) -> Result<Value, AgentError> {
    let FormatIsoInput {
        iso_datetime,
        format,
        timezone,
    } = parse(input)?;
    let when = datetime::parse_iso(&iso_datetime).map_err(|e| field_error("iso_datetime", e))?;
    let zone = parse_timezone(timezone.as_deref())?;
    datetime::format(&when.with_timezone(&zone), &format)
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
    variables: Option<HashMap<String, f64>>,
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
    if number.fract() == 0.0 && number.abs() < MAX_SAFE_INTEGER {
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

/// The time zone named by the optional `timezone` field; UTC when it is absent.
fn parse_timezone(name: Option<&str>) -> Result<chrono_tz::Tz, AgentError> {
    match name {
        None => Ok(chrono_tz::UTC),
        Some(name) => datetime::timezone(name).map_err(|e| field_error("timezone", e)),
    }
}

/// The current time, as a chrono date-time in UTC.
fn now_utc() -> Result<DateTime<Utc>, AgentError> {
    let since_epoch = now_since_epoch()?;
    i64::try_from(since_epoch.as_secs())
        .ok()
        .and_then(|secs| DateTime::from_timestamp(secs, since_epoch.subsec_nanos()))
        .ok_or_else(|| AgentError::permanent("CLOCK_ERROR", "the system clock is out of range"))
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

#[cfg(test)]
mod tests;
