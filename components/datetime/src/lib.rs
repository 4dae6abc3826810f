//! The `datetime` agent: the clock, parsing, strftime formatting, calendar arithmetic,
//! differences and time-zone conversion of dates and times.
//!
//! Natively this is an rlib: call the capability functions directly or through
//! [`call`]. Built for `wasm32-wasip2` it is a component exporting
//! `runtara:datetime/capabilities` (see `wit/datetime/datetime.wit`); the input and
//! output JSON Schemas of every capability are in `capabilities.json`, which the
//! component carries in its `runtara:capabilities` custom section.
//!
//! A date-time travels as a string, ISO 8601 / RFC 3339 (`2024-01-31T10:00:00Z`,
//! `2024-01-31T10:00:00+01:00`, `2024-01-31T10:00:00` and `2024-01-31` without an offset),
//! or as Unix seconds (a number, fractions kept to the millisecond). Text without an
//! offset is wall-clock time in the input's `timezone` (UTC when absent). A time zone is
//! an IANA name (`Europe/Berlin`, any letter case) or a fixed offset (`+05:30`). Results
//! are RFC 3339: `Z` in UTC, otherwise the zone's offset; a fraction of a second only
//! when there is one. Date-times must fall in the years 0 to 9999 (UTC).
//!
//! Wall-clock arithmetic (days, weeks, months, years) happens in a time zone and may
//! land on a time the clocks skip or repeat: a skipped time is read with the offset
//! before the change (02:30 in Berlin on 2024-03-31 is 03:30+02:00), a repeated one is
//! the earlier instant.
//!
//! Every input error is an `INVALID_INPUT` agent error (permanent) whose message names
//! the capability, the field and the bad value, e.g.
//! `convert-timezone: 'timezone' is not a known IANA time zone or UTC offset
//! ('Europe/Berln'); did you mean Europe/Berlin?`.
//!
//! ```
//! use serde_json::json;
//! let later = runtara_agent_datetime::call(
//!     "add-to-date",
//!     json!({"value": "2024-01-31T10:00:00Z", "amount": 1, "unit": "months"}),
//! )
//! .unwrap();
//! assert_eq!(later, json!("2024-02-29T10:00:00Z"));
//! ```

#![cfg_attr(not(feature = "std"), no_std)]
// Every capability returns `Result<Value, AgentError>`: the error type is the shared
// agent contract (runtara-agent), not ours to box, and errors are the cold path.
#![allow(clippy::result_large_err)]

extern crate alloc;
use alloc::{
    format,
    string::{String, ToString},
};

mod calendar;
mod time;

#[cfg(feature = "std")]
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, Timelike};
use runtara_agent::AgentError;
use runtara_agent::input;
use serde::Deserialize;
use serde_json::{Value, json};

pub use crate::calendar::{date_to_unix, extract_date_part, round_date, unix_to_date};
use crate::time::{Moment, Unit, YEARS, Zone};
use runtara_agent::input::field_error;

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({
        world: "runtara:datetime/agent",
        path: ["../../wit/agent", "../../wit/datetime"],
        generate_all,
    });
    pub struct Datetime;
    export!(Datetime);
}

runtara_agent::capabilities! {
    description: include_str!("../capabilities.json"),
    component: {
        guest: component::exports::runtara::datetime::capabilities::Guest,
        types: component::exports::runtara::agent::types,
        exporter: component::Datetime
    },
    "get-current-date" => get_current_date,
    "parse" => parse,
    "format-date" => format_date,
    "add-to-date" => add_to_date,
    "subtract-from-date" => subtract_from_date,
    "get-time-between" => get_time_between,
    "convert-timezone" => convert_timezone,
    "extract-date-part" => extract_date_part,
    "round-date" => round_date,
    "date-to-unix" => date_to_unix,
    "unix-to-date" => unix_to_date,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NowInput {
    timezone: Option<String>,
    format: Option<String>,
}

/// `{ timezone?, format? }` -> the current time.
///
/// `timezone` (default UTC) is the zone the time is written in. Without `format` the
/// result is RFC 3339 to the millisecond (`2024-01-31T10:00:00.123Z`); `format` is a
/// strftime format or `iso8601`, `rfc3339` or `rfc2822`, as in [`format`]. A `null`
/// input is the same as `{}`.
pub fn get_current_date(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "get-current-date";
    let NowInput { timezone, format } = if input.is_null() {
        NowInput::default()
    } else {
        input::parse(CAPABILITY, input)?
    };
    let zone = optional_zone(CAPABILITY, timezone.as_deref())?.unwrap_or(Zone::Utc);
    let at = clock()?;
    match format {
        None => Ok(json!(
            zone.at(at)
                .to_rfc3339_opts(SecondsFormat::Millis, zone == Zone::Utc)
        )),
        Some(format) => write(CAPABILITY, at, zone, &format).map(Value::String),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParseInput {
    value: Value,
    format: Option<String>,
    timezone: Option<String>,
}

/// `{ value, format?, timezone? }` -> `{ iso, unix, unix_ms, year, month, day, hour,
/// minute, second, weekday, timezone, offset }`.
///
/// `value` is ISO 8601 text (the default) or text in the strftime `format`, or Unix
/// seconds as a number. Text without an offset is read in `timezone` (default UTC).
/// `iso` is the instant in UTC (RFC 3339), `unix`/`unix_ms` its Unix time in whole
/// seconds/milliseconds (rounded down); the calendar fields, `weekday` (`Monday`) and
/// `offset` (`+01:00`) are the wall-clock time in `timezone` when given, otherwise in
/// the value's own offset (UTC for Unix seconds and text without an offset); `timezone`
/// names that zone (`Europe/Berlin`, `UTC` or the offset).
pub fn parse(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "parse";
    let ParseInput {
        value,
        format,
        timezone,
    } = input::parse(CAPABILITY, input)?;
    if let Some(format) = &format {
        time::check_format(format).map_err(|e| field_error(CAPABILITY, "format", e))?;
    }
    let zone = optional_zone(CAPABILITY, timezone.as_deref())?;
    let moment = read(
        CAPABILITY,
        "value",
        &value,
        format.as_deref(),
        zone.as_ref(),
    )?;
    let shown = zone.unwrap_or(moment.zone);
    let local = shown.at(moment.at);
    Ok(json!({
        "iso": Zone::Utc.iso(moment.at),
        "unix": moment.at.timestamp(),
        "unix_ms": moment.at.timestamp_millis(),
        "year": local.year(),
        "month": local.month(),
        "day": local.day(),
        "hour": local.hour(),
        "minute": local.minute(),
        "second": local.second(),
        "weekday": time::weekday_name(local.weekday()),
        "timezone": shown.label(),
        "offset": local.offset().to_string(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FormatInput {
    value: Value,
    format: String,
    timezone: Option<String>,
}

/// `{ value, format, timezone? }` -> the date-time as text.
///
/// `value` is ISO 8601 text or Unix seconds; text without an offset is read in
/// `timezone`. The result is written in `timezone` when given, otherwise in the value's
/// own offset (UTC for Unix seconds). `format` is a strftime format (`%d.%m.%Y %H:%M`,
/// `%A`, `%Z` for the zone's abbreviation) or one of `iso8601`/`rfc3339` (RFC 3339) and
/// `rfc2822` (`Wed, 31 Jan 2024 10:00:00 +0100`), in any letter case.
pub fn format_date(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "format-date";
    let FormatInput {
        value,
        format,
        timezone,
    } = input::parse(CAPABILITY, input)?;
    let zone = optional_zone(CAPABILITY, timezone.as_deref())?;
    let moment = read(CAPABILITY, "value", &value, None, zone.as_ref())?;
    write(CAPABILITY, moment.at, zone.unwrap_or(moment.zone), &format).map(Value::String)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShiftInput {
    value: Value,
    amount: i64,
    unit: Unit,
    timezone: Option<String>,
}

/// `{ value, amount, unit, timezone? }` -> the date-time `amount` `unit`s later, in RFC 3339.
///
/// `unit` is `milliseconds`, `seconds`, `minutes` or `hours` (exact elapsed time) or
/// `days`, `weeks`, `months` or `years` (wall-clock calendar steps in `timezone`, so a
/// day across a daylight-saving change lasts 23 or 25 hours; a month or year step
/// keeps the day when it can and otherwise clamps it to the month's last day). Text
/// without an offset is read in `timezone`; the result is written in `timezone` when
/// given, otherwise in the value's own offset (UTC for Unix seconds). A negative
/// `amount` goes back.
pub fn add_to_date(input: Value) -> Result<Value, AgentError> {
    shift("add-to-date", input, false)
}

/// `{ value, amount, unit, timezone? }` -> the date-time `amount` `unit`s earlier, in
/// RFC 3339; `add` with the amount negated (see [`add`]).
pub fn subtract_from_date(input: Value) -> Result<Value, AgentError> {
    shift("subtract-from-date", input, true)
}

/// `add` (or, when `back`, `subtract`) for `capability`.
fn shift(capability: &str, input: Value, back: bool) -> Result<Value, AgentError> {
    let ShiftInput {
        value,
        amount,
        unit,
        timezone,
    } = input::parse(capability, input)?;
    let zone = optional_zone(capability, timezone.as_deref())?;
    let moment = read(capability, "value", &value, None, zone.as_ref())?;
    let shown = zone.unwrap_or(moment.zone);
    let steps = if back {
        amount.checked_neg()
    } else {
        Some(amount)
    };
    let shifted = steps
        .and_then(|steps| time::shift(moment.at, &shown, steps, unit))
        .ok_or_else(|| {
            field_error(
                capability,
                "amount",
                format!(
                    "takes the date-time out of range ({amount} {} from {}): date-times \
                     must fall in the years 0 to 9999",
                    unit.name(),
                    shown.iso(moment.at)
                ),
            )
        })?;
    Ok(json!(shown.iso(shifted)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DifferenceInput {
    start: Value,
    end: Value,
    unit: Unit,
    timezone: Option<String>,
}

/// `{ start, end, unit, timezone? }` -> the whole `unit`s from `start` to `end`, an
/// integer truncated toward zero (negative when `end` is earlier).
///
/// `milliseconds` to `hours` count exact elapsed time (90 minutes is 1 hour). `days`,
/// `weeks`, `months` and `years` count whole calendar steps as `add` takes them, in
/// `timezone` (default: the zone `start` is written in): 2024-01-15 to 2024-02-14 is 0
/// months, 2024-01-31 to 2024-02-29 is 1 (a month from Jan 31 is Feb 29), and 10:00 to
/// 10:00 the next day is 1 day even across a daylight-saving change. Text without an
/// offset is read in `timezone` (default UTC).
pub fn get_time_between(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "get-time-between";
    let DifferenceInput {
        start,
        end,
        unit,
        timezone,
    } = input::parse(CAPABILITY, input)?;
    let zone = optional_zone(CAPABILITY, timezone.as_deref())?;
    let from = read(CAPABILITY, "start", &start, None, zone.as_ref())?;
    let to = read(CAPABILITY, "end", &end, None, zone.as_ref())?;
    time::difference(from.at, to.at, &zone.unwrap_or(from.zone), unit)
        .map(|count| json!(count))
        .ok_or_else(|| {
            field_error(
                CAPABILITY,
                "end",
                format!("is too far from 'start' to count in {}", unit.name()),
            )
        })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConvertInput {
    value: Value,
    timezone: String,
}

/// `{ value, timezone }` -> the same instant in RFC 3339 with `timezone`'s offset at
/// that instant (`2024-07-01T14:00:00+02:00` for `Europe/Berlin`; `Z` for UTC).
///
/// `value` is ISO 8601 text (without an offset: UTC) or Unix seconds.
pub fn convert_timezone(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "convert-timezone";
    let ConvertInput { value, timezone } = input::parse(CAPABILITY, input)?;
    let zone = time::zone(&timezone).map_err(|e| field_error(CAPABILITY, "timezone", e))?;
    let moment = read(CAPABILITY, "value", &value, None, None)?;
    Ok(json!(zone.iso(moment.at)))
}

/// The zone the optional `timezone` field names.
pub(crate) fn optional_zone(
    capability: &str,
    name: Option<&str>,
) -> Result<Option<Zone>, AgentError> {
    name.map(time::zone)
        .transpose()
        .map_err(|e| field_error(capability, "timezone", e))
}

/// Reads the date-time in the field `field` (see [`time::read`]); text without an
/// offset is read in `zone` (UTC when absent).
pub(crate) fn read(
    capability: &str,
    field: &str,
    value: &Value,
    format: Option<&str>,
    zone: Option<&Zone>,
) -> Result<Moment, AgentError> {
    time::read(value, format, zone.cloned().unwrap_or(Zone::Utc))
        .map_err(|e| field_error(capability, field, e))
}

/// `at` written in `zone` with `format`: a strftime format or `iso8601`, `rfc3339` or
/// `rfc2822` (any letter case).
pub(crate) fn write(
    capability: &str,
    at: DateTime<FixedOffset>,
    zone: Zone,
    format: &str,
) -> Result<String, AgentError> {
    match format.to_ascii_lowercase().as_str() {
        "iso8601" | "rfc3339" => Ok(zone.iso(at)),
        "rfc2822" => {
            let local = zone.at(at);
            if YEARS.contains(&local.year()) {
                Ok(local.to_rfc2822())
            } else {
                Err(field_error(
                    capability,
                    "format",
                    format!(
                        "cannot write {} in RFC 2822 (years 0 to 9999 only)",
                        zone.iso(at)
                    ),
                ))
            }
        }
        _ => zone
            .strftime(at, format)
            .map_err(|e| field_error(capability, "format", e)),
    }
}

/// The current time, to the millisecond, in UTC.
#[cfg(feature = "std")]
fn clock() -> Result<DateTime<FixedOffset>, AgentError> {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| AgentError::permanent("CLOCK_ERROR", "the system clock is set before 1970"))?;
    i64::try_from(since_epoch.as_millis())
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .map(|at| at.fixed_offset())
        .ok_or_else(|| AgentError::permanent("CLOCK_ERROR", "the system clock is out of range"))
}

/// Without std (the embedded target) there is no clock to read: the reference board has
/// no real-time clock, so `get-current-date` (its only user) answers
/// `UNAVAILABLE_ON_TARGET`. `runtara compile --target embedded` refuses it beforehand.
#[cfg(not(feature = "std"))]
fn clock() -> Result<DateTime<FixedOffset>, AgentError> {
    Err(AgentError::unavailable_on_target(
        "get-current-date",
        "the reference board has no real-time clock",
    ))
}

#[cfg(test)]
mod tests;
