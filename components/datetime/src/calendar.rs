//! Unix time both ways, one part of a date, and rounding to a calendar unit:
//! `date-to-unix`, `unix-to-date`, `extract-date-part`, `round-date`.

use alloc::{format, string::String};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Timelike};
use runtara_agent::AgentError;
use runtara_agent::input::{self, field_error};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::time::{self, Unit, Zone};
use crate::{optional_zone, read, write};

/// Seconds or milliseconds since 1970-01-01T00:00:00Z.
#[derive(Deserialize, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum EpochUnit {
    #[default]
    Seconds,
    Milliseconds,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DateToUnixInput {
    value: Value,
    unit: Option<EpochUnit>,
    timezone: Option<String>,
}

/// `{ value, unit?, timezone? }` -> the Unix time of `value` in whole seconds (default)
/// or milliseconds, rounded down. Text without an offset is read in `timezone` (UTC).
pub fn date_to_unix(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "date-to-unix";
    let DateToUnixInput {
        value,
        unit,
        timezone,
    } = input::parse(CAPABILITY, input)?;
    let zone = optional_zone(CAPABILITY, timezone.as_deref())?;
    let at = read(CAPABILITY, "value", &value, None, zone.as_ref())?.at;
    Ok(match unit.unwrap_or_default() {
        EpochUnit::Seconds => json!(at.timestamp()),
        EpochUnit::Milliseconds => json!(at.timestamp_millis()),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnixToDateInput {
    timestamp: f64,
    unit: Option<EpochUnit>,
    timezone: Option<String>,
    format: Option<String>,
}

/// `{ timestamp, unit?, timezone?, format? }` -> the date-time of a Unix time (seconds
/// by default, fractions allowed), in RFC 3339 or the `format` of `format-date`, shown
/// in `timezone` (UTC).
pub fn unix_to_date(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "unix-to-date";
    let UnixToDateInput {
        timestamp,
        unit,
        timezone,
        format,
    } = input::parse(CAPABILITY, input)?;
    let millis = match unit.unwrap_or_default() {
        EpochUnit::Seconds => timestamp * 1000.0,
        EpochUnit::Milliseconds => timestamp,
    };
    let at = Some(runtara_agent::float::floor(millis))
        .filter(|ms| ms.is_finite() && ms.abs() < 1e17)
        .and_then(|ms| DateTime::from_timestamp_millis(ms as i64))
        .map(|at| at.fixed_offset())
        .filter(|at| time::YEARS.contains(&at.year()))
        .ok_or_else(|| {
            field_error(
                CAPABILITY,
                "timestamp",
                format!("{timestamp} is not a Unix time in the years 0 to 9999"),
            )
        })?;
    let zone = optional_zone(CAPABILITY, timezone.as_deref())?.unwrap_or(Zone::Utc);
    match format {
        Some(format) => write(CAPABILITY, at, zone, &format).map(Value::String),
        None => Ok(json!(zone.iso(at))),
    }
}

/// A part of a date-time, as `extract-date-part` names it.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum Part {
    Year,
    Quarter,
    Month,
    Week,
    Day,
    DayOfYear,
    Weekday,
    WeekdayNumber,
    Hour,
    Minute,
    Second,
    Millisecond,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtractInput {
    value: Value,
    part: Part,
    timezone: Option<String>,
}

/// `{ value, part, timezone? }` -> one part of the wall-clock date-time in `timezone`
/// (default: the value's own offset): a number, or for `weekday` the day's English name.
/// `week` is the ISO 8601 week number, `weekday_number` 1 (Monday) to 7 (Sunday).
pub fn extract_date_part(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "extract-date-part";
    let ExtractInput {
        value,
        part,
        timezone,
    } = input::parse(CAPABILITY, input)?;
    let zone = optional_zone(CAPABILITY, timezone.as_deref())?;
    let moment = read(CAPABILITY, "value", &value, None, zone.as_ref())?;
    let local = zone.unwrap_or(moment.zone).at(moment.at);
    Ok(match part {
        Part::Year => json!(local.year()),
        Part::Quarter => json!(local.month0() / 3 + 1),
        Part::Month => json!(local.month()),
        Part::Week => json!(local.iso_week().week()),
        Part::Day => json!(local.day()),
        Part::DayOfYear => json!(local.ordinal()),
        Part::Weekday => json!(time::weekday_name(local.weekday())),
        Part::WeekdayNumber => json!(local.weekday().number_from_monday()),
        Part::Hour => json!(local.hour()),
        Part::Minute => json!(local.minute()),
        Part::Second => json!(local.second()),
        Part::Millisecond => json!(local.timestamp_subsec_millis()),
    })
}

/// Which way `round-date` goes.
#[derive(Deserialize, Clone, Copy, Default)]
#[serde(rename_all = "lowercase")]
enum Rounding {
    /// The start of the unit (the default).
    #[default]
    Floor,
    /// The start of the next unit, unless already at a start.
    Ceil,
    /// Whichever of the two is closer; halfway goes up.
    Nearest,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoundInput {
    value: Value,
    unit: Unit,
    mode: Option<Rounding>,
    timezone: Option<String>,
}

/// `{ value, unit, mode?, timezone? }` -> `value` rounded to a whole `unit` of the
/// wall-clock calendar in `timezone` (default: the value's own offset): `floor` (the
/// default) to the unit's start, `ceil` to the next start, `nearest` to the closer one.
/// Weeks start on Monday; months on the 1st, years on January 1st, at midnight.
pub fn round_date(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "round-date";
    let RoundInput {
        value,
        unit,
        mode,
        timezone,
    } = input::parse(CAPABILITY, input)?;
    let zone = optional_zone(CAPABILITY, timezone.as_deref())?;
    let moment = read(CAPABILITY, "value", &value, None, zone.as_ref())?;
    let shown = zone.unwrap_or(moment.zone);
    let out_of_range = || {
        field_error(
            CAPABILITY,
            "value",
            format!(
                "rounding {} to {} leaves the years 0 to 9999",
                shown.iso(moment.at),
                unit.name()
            ),
        )
    };
    let floor = shown
        .local(start_of(shown.at(moment.at).naive_local(), unit))
        .ok_or_else(out_of_range)?;
    let rounded = match mode.unwrap_or_default() {
        Rounding::Floor => floor,
        _ if floor == moment.at => floor,
        mode => {
            let ceil = next_start(floor, &shown, unit).ok_or_else(out_of_range)?;
            match mode {
                Rounding::Nearest if moment.at - floor < ceil - moment.at => floor,
                _ => ceil,
            }
        }
    };
    Ok(json!(shown.iso(rounded)))
}

/// The wall-clock start of the `unit` that `local` falls in.
fn start_of(local: NaiveDateTime, unit: Unit) -> NaiveDateTime {
    let date = local.date();
    let midnight = |date: NaiveDate| date.and_hms_opt(0, 0, 0).unwrap_or(local);
    match unit {
        Unit::Milliseconds => local
            .with_nanosecond(local.nanosecond() / 1_000_000 * 1_000_000)
            .unwrap_or(local),
        Unit::Seconds => local.with_nanosecond(0).unwrap_or(local),
        Unit::Minutes => date
            .and_hms_opt(local.hour(), local.minute(), 0)
            .unwrap_or(local),
        Unit::Hours => date.and_hms_opt(local.hour(), 0, 0).unwrap_or(local),
        Unit::Days => midnight(date),
        Unit::Weeks => {
            midnight(date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday())))
        }
        Unit::Months => midnight(date.with_day(1).unwrap_or(date)),
        Unit::Years => midnight(NaiveDate::from_ymd_opt(date.year(), 1, 1).unwrap_or(date)),
    }
}

/// The start of the unit after the one that starts at `floor`.
fn next_start(
    floor: DateTime<FixedOffset>,
    zone: &Zone,
    unit: Unit,
) -> Option<DateTime<FixedOffset>> {
    let next = time::shift(floor, zone, 1, unit)?;
    // Shifting keeps the wall-clock time; a start that fell in a skipped hour may not
    // land on the next start exactly, so take that unit's start again.
    zone.local(start_of(zone.at(next).naive_local(), unit))
}
