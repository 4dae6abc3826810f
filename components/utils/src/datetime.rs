//! Dates and times for the clock capabilities: reading ISO 8601 text, UTC and fixed
//! offsets, and strftime formatting that reports a bad format instead of panicking.
//!
//! There is no time-zone database here: it is most of a component's size (about 900
//! KB of transitions), and the datetime agent carries it. Named zones are its job.
//!
//! Every function returns a plain message on error (what is wrong, without naming the
//! input field); the capability adds the field name.

use alloc::{format, string::String, vec::Vec};

use core::fmt::{Display, Write as _};

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Forms [`parse_iso`] accepts besides RFC 3339, read as UTC: date-times without an
/// offset (`T` or a space between date and time, seconds and fraction optional).
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

/// Reads an ISO 8601 date-time:
///
/// * RFC 3339: `2024-01-31T10:00:00Z`, `2024-01-31T10:00:00.250+02:00` (also with a space
///   or a lower-case `t` between date and time);
/// * a numeric offset without a colon or without seconds: `2024-01-31T10:00+0200`;
/// * no offset at all, read as UTC: `2024-01-31T10:00:00`, `2024-01-31 10:00`;
/// * a date alone, read as midnight UTC: `2024-01-31`.
pub fn parse_iso(text: &str) -> Result<DateTime<FixedOffset>, String> {
    let text = text.trim();
    let rfc3339 = match DateTime::parse_from_rfc3339(text) {
        Ok(parsed) => return Ok(parsed),
        Err(e) => e,
    };
    if let Some(parsed) = OFFSET_FORMATS
        .iter()
        .find_map(|format| DateTime::parse_from_str(text, format).ok())
    {
        return Ok(parsed);
    }
    if let Some(parsed) = NAIVE_FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    {
        return Ok(parsed.and_utc().fixed_offset());
    }
    let date = match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(date) => return Ok(date.and_time(NaiveTime::MIN).and_utc().fixed_offset()),
        Err(e) => e,
    };
    // Explain with the reason of the form the text looks most like.
    let reason = if text.len() <= 10 { date } else { rfc3339 };
    Err(format!(
        "is not an ISO 8601 date-time ('{text}': {reason}); expected e.g. \
         2024-01-31T10:00:00Z, 2024-01-31T10:00:00+02:00, 2024-01-31T10:00:00 (UTC) \
         or 2024-01-31 (midnight UTC)"
    ))
}

/// The zone a date-time is written in: UTC (`%Z` prints `UTC`) or a fixed offset
/// (`%Z` prints the offset, e.g. `+05:30`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Zone {
    Utc,
    Offset(FixedOffset),
}

impl Zone {
    /// Formats `when` in this zone with the strftime `format`, as [`format`] does.
    pub fn format<Z: TimeZone>(self, when: &DateTime<Z>, format: &str) -> Result<String, String> {
        match self {
            Zone::Utc => self::format(&when.with_timezone(&Utc), format),
            Zone::Offset(offset) => self::format(&when.with_timezone(&offset), format),
        }
    }
}

/// The zone called `name`: `UTC` (also `Z`, `Etc/UTC`, any letter case) or a fixed
/// offset (`+05:30`, `-0800`, `+02`, hours 0 to 23). An IANA name such as
/// `Europe/Berlin` is an error that points to the datetime agent.
pub fn zone(name: &str) -> Result<Zone, String> {
    let name = name.trim();
    if ["UTC", "Z", "Etc/UTC"]
        .iter()
        .any(|utc| utc.eq_ignore_ascii_case(name))
    {
        return Ok(Zone::Utc);
    }
    fixed_offset(name).map(Zone::Offset).ok_or_else(|| {
        format!(
            "is not UTC or a UTC offset ('{name}'); the utils agent has no time-zone \
             database: write an offset such as +05:30, or use the datetime agent \
             (format-date, get-current-date) for IANA names such as Europe/Berlin"
        )
    })
}

/// A UTC offset (`+HH`, `+HHMM` or `+HH:MM`, or with `-`).
fn fixed_offset(text: &str) -> Option<FixedOffset> {
    runtara_agent::utc_offset::seconds_east(text).and_then(FixedOffset::east_opt)
}

/// Formats `when` with the strftime `format` (chrono's specifiers, e.g. `%Y-%m-%d %H:%M:%S`,
/// `%A`, `%Z`). A format chrono does not understand is an error naming the first bad
/// specifier and its position.
pub fn format<Z>(when: &DateTime<Z>, format: &str) -> Result<String, String>
where
    Z: TimeZone,
    Z::Offset: Display,
{
    let items = check_format(format)?;
    let mut out = String::new();
    write!(out, "{}", when.format_with_items(items.iter()))
        .map_err(|_| format!("cannot format {when:?} with '{format}'"))?;
    Ok(out)
}

/// The items of a strftime format, or an error naming the first specifier chrono rejects.
fn check_format(format: &str) -> Result<Vec<Item<'_>>, String> {
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
                "is not a valid strftime format: '{spec}' at character {} is not a known \
                 specifier (write '%%' for a literal '%')",
                start + 1
            ));
        }
    }
    Err(format!("is not a valid strftime format ('{format}')"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(text: &str) -> String {
        parse_iso(text)
            .map(|d| d.to_rfc3339())
            .unwrap_or_else(|e| e)
    }

    #[test]
    fn reads_iso_forms() {
        assert_eq!(iso("2024-01-31T10:00:00Z"), "2024-01-31T10:00:00+00:00");
        assert_eq!(
            iso("2024-01-31T10:00:00.5+02:00"),
            "2024-01-31T10:00:00.500+02:00"
        );
        assert_eq!(iso("2024-01-31 10:00:00z"), "2024-01-31T10:00:00+00:00");
        assert_eq!(iso("2024-01-31T10:00+0200"), "2024-01-31T10:00:00+02:00");
        assert_eq!(iso("2024-01-31T10:00:00-0530"), "2024-01-31T10:00:00-05:30");
        assert_eq!(iso("2024-01-31T10:00:00"), "2024-01-31T10:00:00+00:00");
        assert_eq!(iso("2024-01-31 10:00"), "2024-01-31T10:00:00+00:00");
        assert_eq!(iso(" 2024-01-31 "), "2024-01-31T00:00:00+00:00");
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        for bad in [
            "",
            "yesterday",
            "2024-02-30",
            "2024-13-01T00:00:00Z",
            "31/01/2024",
            "2024-01-31T25:00:00Z",
        ] {
            let error = parse_iso(bad).unwrap_err();
            assert!(
                error.starts_with("is not an ISO 8601 date-time"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn reads_utc_and_offsets() {
        let offset = |seconds| Zone::Offset(FixedOffset::east_opt(seconds).unwrap());
        assert_eq!(zone("UTC").unwrap(), Zone::Utc);
        assert_eq!(zone(" etc/utc ").unwrap(), Zone::Utc);
        assert_eq!(zone("z").unwrap(), Zone::Utc);
        assert_eq!(zone("+05:30").unwrap(), offset(19_800));
        assert_eq!(zone("-0800").unwrap(), offset(-28_800));
        assert_eq!(zone("+02").unwrap(), offset(7_200));
        assert_eq!(zone("-00:00").unwrap(), offset(0));
        for bad in [
            "+24:00",
            "+05:60",
            "+5",
            "+05:3",
            "05:30",
            "+0５",
            "Europe/Berlin",
        ] {
            let error = zone(bad).unwrap_err();
            assert!(error.contains(&format!("('{bad}')")), "{bad}: {error}");
            assert!(error.contains("datetime agent"), "{bad}: {error}");
        }
    }

    #[test]
    fn formats_and_reports_bad_specifiers() {
        let when = parse_iso("2024-03-05T07:08:09Z").unwrap();
        assert_eq!(
            format(&when, "%Y-%m-%d %H:%M:%S").unwrap(),
            "2024-03-05 07:08:09"
        );
        assert_eq!(
            format(&when, "%-d %B %Y, %A").unwrap(),
            "5 March 2024, Tuesday"
        );
        assert_eq!(format(&when, "100%%").unwrap(), "100%");
        let plus_one = zone("+01:00").unwrap();
        assert_eq!(
            plus_one.format(&when, "%H:%M %Z %:z").unwrap(),
            "08:08 +01:00 +01:00"
        );
        assert_eq!(Zone::Utc.format(&when, "%H:%M %Z").unwrap(), "07:08 UTC");
        let error = format(&when, "%Y-%Q").unwrap_err();
        assert!(error.contains("'%Q' at character 4"), "{error}");
        let error = format(&when, "50%").unwrap_err();
        assert!(error.contains("'%' at character 3"), "{error}");
    }
}
