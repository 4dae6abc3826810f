//! The capabilities that need the standard library: the clock, randomness (from the
//! system's source) and waiting.

use core::time::Duration;
use std::time::{SystemTime, UNIX_EPOCH};

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use chrono::{DateTime, Utc};
use runtara_agent::{AgentError, parse_input};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{MAX_SAFE_INTEGER, TimestampUnit, field_error, parse, parse_timezone};

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
/// (e.g. `%Y-%m-%d %H:%M:%S`) in `timezone`, UTC or a fixed offset (UTC when absent).
pub fn get_current_formatted_datetime(input: Value) -> Result<Value, AgentError> {
    let FormattedNowInput { format, timezone } = parse(input)?;
    let zone = parse_timezone(timezone.as_deref())?;
    zone.format(&now_utc()?, &format)
        .map(Value::String)
        .map_err(|e| field_error("format", e))
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
