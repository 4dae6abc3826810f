use serde_json::{Value, json};

use runtara_agent::testing::{described_capabilities, expect_invalid, expect_ok};

use super::*;

/// Calls a capability through the dispatcher and expects an `INVALID_INPUT` error whose
/// message starts with the capability and contains `fragment`.
fn invalid(id: &str, input: Value, fragment: &str) -> AgentError {
    expect_invalid(call, id, input, fragment)
}

fn ok(id: &str, input: Value) -> Value {
    expect_ok(call, id, input)
}

#[test]
fn every_capability_is_described() {
    for capability in &described_capabilities(DESCRIPTION, "datetime", CAPABILITY_IDS) {
        assert!(capability["description"].is_string());
        assert_eq!(capability["inputSchema"]["additionalProperties"], false);
        assert!(capability["outputSchema"].is_object());
    }
}

#[test]
fn now_in_zones_and_formats() {
    let utc = ok("get-current-date", json!({}));
    let utc = utc.as_str().unwrap();
    assert!(utc.ends_with('Z') && utc.len() == 24, "{utc}");
    assert_eq!(
        ok("get-current-date", Value::Null).as_str().unwrap().len(),
        24
    );
    let tokyo = ok("get-current-date", json!({"timezone": "Asia/Tokyo"}));
    assert!(tokyo.as_str().unwrap().ends_with("+09:00"), "{tokyo}");
    let year = ok("get-current-date", json!({"format": "%Y"}));
    assert_eq!(year.as_str().unwrap().len(), 4);
    invalid(
        "get-current-date",
        json!({"timezone": "Mars/Base"}),
        "'timezone'",
    );
    invalid("get-current-date", json!({"format": "%Q"}), "'%Q'");
    invalid("get-current-date", json!({"zone": "UTC"}), "unknown field");
}

#[test]
fn parse_iso_and_unix() {
    assert_eq!(
        ok("parse", json!({"value": "2024-03-31T01:30:00+01:00"})),
        json!({
            "iso": "2024-03-31T00:30:00Z", "unix": 1711845000, "unix_ms": 1711845000000_i64,
            "year": 2024, "month": 3, "day": 31, "hour": 1, "minute": 30, "second": 0,
            "weekday": "Sunday", "timezone": "+01:00", "offset": "+01:00"
        })
    );
    let parsed = ok("parse", json!({"value": 0}));
    assert_eq!(parsed["iso"], "1970-01-01T00:00:00Z");
    assert_eq!(parsed["weekday"], "Thursday");
    assert_eq!(parsed["timezone"], "UTC");
    let parsed = ok("parse", json!({"value": 1.5}));
    assert_eq!(parsed["unix_ms"], 1500);
    assert_eq!(parsed["unix"], 1);
    let parsed = ok("parse", json!({"value": -0.5}));
    assert_eq!(parsed["unix"], -1);
    let date = ok(
        "parse",
        json!({"value": "2024-07-01", "timezone": "Europe/Berlin"}),
    );
    assert_eq!(date["iso"], "2024-06-30T22:00:00Z");
    assert_eq!(date["hour"], 0);
    assert_eq!(date["offset"], "+02:00");
    assert_eq!(date["timezone"], "Europe/Berlin");
}

#[test]
fn parse_with_formats() {
    let parsed = ok(
        "parse",
        json!({"value": "31/01/2024 14:05", "format": "%d/%m/%Y %H:%M", "timezone": "America/New_York"}),
    );
    assert_eq!(parsed["iso"], "2024-01-31T19:05:00Z");
    assert_eq!(parsed["hour"], 14);
    let parsed = ok(
        "parse",
        json!({"value": "31.01.2024", "format": "%d.%m.%Y"}),
    );
    assert_eq!(parsed["iso"], "2024-01-31T00:00:00Z");
    let parsed = ok(
        "parse",
        json!({"value": "2024-01-31 10:00 +0530", "format": "%Y-%m-%d %H:%M %z", "timezone": "UTC"}),
    );
    assert_eq!(parsed["iso"], "2024-01-31T04:30:00Z");
    assert_eq!(parsed["hour"], 4);
    let parsed = ok("parse", json!({"value": "1700000000", "format": "%s"}));
    assert_eq!(parsed["iso"], "2023-11-14T22:13:20Z");
    invalid(
        "parse",
        json!({"value": "2024-01-31", "format": "%d/%m/%Y"}),
        "does not match the format '%d/%m/%Y' ('2024-01-31'",
    );
    invalid(
        "parse",
        json!({"value": "x", "format": "%Y-%J"}),
        "'format'",
    );
}

#[test]
fn parse_rejects_bad_values() {
    invalid(
        "parse",
        json!({"value": "yesterday"}),
        "'value' is not an ISO 8601 date-time ('yesterday'",
    );
    invalid("parse", json!({"value": "2024-02-30"}), "'2024-02-30'");
    invalid("parse", json!({"value": true}), "got boolean");
    invalid("parse", json!({"value": null}), "got null");
    invalid("parse", json!({"value": 1e300}), "out of range");
    invalid(
        "parse",
        json!({"value": 300_000_000_000_i64}),
        "out of range",
    );
    invalid("parse", json!({}), "missing field `value`");
    invalid("parse", json!([]), "must be an object");
}

#[test]
fn dst_gaps_and_overlaps() {
    // 02:30 does not exist in Berlin on 2024-03-31: read with the winter offset.
    assert_eq!(
        ok(
            "convert-timezone",
            json!({"value": ok("parse", json!({"value": "2024-03-31T02:30:00", "timezone": "Europe/Berlin"}))["iso"], "timezone": "Europe/Berlin"})
        ),
        json!("2024-03-31T03:30:00+02:00")
    );
    // 02:30 happens twice on 2024-10-27: the earlier one (summer time).
    let parsed = ok(
        "parse",
        json!({"value": "2024-10-27T02:30:00", "timezone": "Europe/Berlin"}),
    );
    assert_eq!(parsed["iso"], "2024-10-27T00:30:00Z");
    assert_eq!(parsed["offset"], "+02:00");
}

#[test]
fn formats() {
    let at = "2024-03-05T07:08:09Z";
    assert_eq!(
        ok(
            "format-date",
            json!({"value": at, "format": "%-d %B %Y, %A %H:%M %Z", "timezone": "Europe/Berlin"})
        ),
        json!("5 March 2024, Tuesday 08:08 CET")
    );
    assert_eq!(
        ok(
            "format-date",
            json!({"value": at, "format": "RFC2822", "timezone": "America/New_York"})
        ),
        json!("Tue, 5 Mar 2024 02:08:09 -0500")
    );
    assert_eq!(
        ok(
            "format-date",
            json!({"value": "2024-03-05T07:08:09.250+05:30", "format": "iso8601"})
        ),
        json!("2024-03-05T07:08:09.250+05:30")
    );
    assert_eq!(
        ok(
            "format-date",
            json!({"value": 1709622489, "format": "rfc3339"})
        ),
        json!(at)
    );
    invalid(
        "format-date",
        json!({"value": at, "format": "50%"}),
        "'%' at character 3",
    );
    invalid(
        "format-date",
        json!({"value": at}),
        "missing field `format`",
    );
}

#[test]
fn add_and_subtract() {
    let add = |value: Value, amount: i64, unit: &str, tz: Option<&str>| {
        let mut input = json!({"value": value, "amount": amount, "unit": unit});
        if let Some(tz) = tz {
            input["timezone"] = json!(tz);
        }
        ok("add-to-date", input)
    };
    assert_eq!(
        add(json!("2024-01-31T10:00:00Z"), 1, "months", None),
        json!("2024-02-29T10:00:00Z")
    );
    assert_eq!(
        add(json!("2023-01-31T10:00:00Z"), 1, "months", None),
        json!("2023-02-28T10:00:00Z")
    );
    assert_eq!(
        add(json!("2024-02-29"), 1, "years", None),
        json!("2025-02-28T00:00:00Z")
    );
    assert_eq!(
        add(json!("2024-03-31T10:00:00Z"), -1, "months", None),
        json!("2024-02-29T10:00:00Z")
    );
    // A day across the spring change is 23 hours in Berlin, 24 in UTC.
    assert_eq!(
        add(
            json!("2024-03-30T12:00:00+01:00"),
            1,
            "days",
            Some("Europe/Berlin")
        ),
        json!("2024-03-31T12:00:00+02:00")
    );
    assert_eq!(
        add(json!("2024-03-30T12:00:00+01:00"), 1, "days", None),
        json!("2024-03-31T12:00:00+01:00")
    );
    assert_eq!(
        add(
            json!("2024-03-30T12:00:00+01:00"),
            24,
            "hours",
            Some("Europe/Berlin")
        ),
        json!("2024-03-31T13:00:00+02:00")
    );
    // Landing in the gap moves past it.
    assert_eq!(
        add(
            json!("2024-03-30T02:30:00"),
            1,
            "days",
            Some("Europe/Berlin")
        ),
        json!("2024-03-31T03:30:00+02:00")
    );
    assert_eq!(
        add(json!(0), 1500, "milliseconds", None),
        json!("1970-01-01T00:00:01.500Z")
    );
    assert_eq!(
        add(json!("2024-01-01T00:00:00Z"), 2, "weeks", None),
        json!("2024-01-15T00:00:00Z")
    );
    assert_eq!(
        ok(
            "subtract-from-date",
            json!({"value": "2024-03-31T03:30:00+02:00", "amount": 1, "unit": "hours", "timezone": "Europe/Berlin"})
        ),
        json!("2024-03-31T01:30:00+01:00")
    );
    assert_eq!(
        ok(
            "subtract-from-date",
            json!({"value": "2024-01-01T00:00:00Z", "amount": -90, "unit": "minutes"})
        ),
        json!("2024-01-01T01:30:00Z")
    );
    invalid(
        "add-to-date",
        json!({"value": "2024-01-01", "amount": 1, "unit": "fortnights"}),
        "'unit'",
    );
    invalid(
        "add-to-date",
        json!({"value": "2024-01-01", "amount": 1.5, "unit": "days"}),
        "'amount'",
    );
    invalid(
        "add-to-date",
        json!({"value": "9999-12-31", "amount": 1, "unit": "days"}),
        "out of range",
    );
    invalid(
        "subtract-from-date",
        json!({"value": "2024-01-01", "amount": i64::MIN, "unit": "days"}),
        "'amount'",
    );
    invalid(
        "add-to-date",
        json!({"value": "2024-01-01", "amount": i64::MAX, "unit": "years"}),
        "'amount'",
    );
    invalid(
        "add-to-date",
        json!({"value": "2024-01-01", "amount": i64::MAX, "unit": "milliseconds"}),
        "'amount'",
    );
}

#[test]
fn differences() {
    let diff = |start: Value, end: Value, unit: &str, tz: Option<&str>| {
        let mut input = json!({"start": start, "end": end, "unit": unit});
        if let Some(tz) = tz {
            input["timezone"] = json!(tz);
        }
        ok("get-time-between", input)
    };
    assert_eq!(
        diff(
            json!("2024-01-01T00:00:00Z"),
            json!("2024-01-01T01:29:59Z"),
            "hours",
            None
        ),
        json!(1)
    );
    assert_eq!(
        diff(
            json!("2024-01-01T01:29:59Z"),
            json!("2024-01-01T00:00:00Z"),
            "hours",
            None
        ),
        json!(-1)
    );
    assert_eq!(
        diff(
            json!("2024-01-01T00:00:00Z"),
            json!("2024-01-01T00:00:01.999Z"),
            "seconds",
            None
        ),
        json!(1)
    );
    assert_eq!(
        diff(json!("2024-01-15"), json!("2024-02-14"), "months", None),
        json!(0)
    );
    assert_eq!(
        diff(json!("2024-01-15"), json!("2024-02-15"), "months", None),
        json!(1)
    );
    assert_eq!(
        diff(json!("2024-01-31"), json!("2024-02-29"), "months", None),
        json!(1)
    );
    assert_eq!(
        diff(json!("2024-02-29"), json!("2025-02-28"), "years", None),
        json!(1)
    );
    assert_eq!(
        diff(json!("2024-02-29"), json!("2023-03-01"), "years", None),
        json!(0)
    );
    assert_eq!(
        diff(json!("2024-03-15"), json!("2020-03-15"), "years", None),
        json!(-4)
    );
    assert_eq!(
        diff(
            json!("2024-01-01"),
            json!("2024-01-15T00:00:00Z"),
            "weeks",
            None
        ),
        json!(2)
    );
    assert_eq!(
        diff(
            json!("2024-01-01"),
            json!("2024-01-14T23:59:59Z"),
            "weeks",
            None
        ),
        json!(1)
    );
    // 23 hours across the spring change in Berlin is a calendar day there.
    let (start, end) = (
        json!("2024-03-30T12:00:00+01:00"),
        json!("2024-03-31T12:00:00+02:00"),
    );
    assert_eq!(
        diff(start.clone(), end.clone(), "days", Some("Europe/Berlin")),
        json!(1)
    );
    assert_eq!(diff(start.clone(), end.clone(), "hours", None), json!(23));
    assert_eq!(diff(start, end, "days", Some("UTC")), json!(0));
    assert_eq!(
        diff(json!(0), json!(86_400 * 365), "days", None),
        json!(365)
    );
    invalid(
        "get-time-between",
        json!({"start": "2024-01-01", "end": "soon", "unit": "days"}),
        "'end' is not an ISO 8601 date-time ('soon'",
    );
    invalid(
        "get-time-between",
        json!({"start": "2024-01-01", "unit": "days"}),
        "missing field `end`",
    );
}

#[test]
fn converts_time_zones() {
    let at = "2024-07-01T12:00:00Z";
    assert_eq!(
        ok(
            "convert-timezone",
            json!({"value": at, "timezone": "Europe/Berlin"})
        ),
        json!("2024-07-01T14:00:00+02:00")
    );
    assert_eq!(
        ok(
            "convert-timezone",
            json!({"value": at, "timezone": "america/new_york"})
        ),
        json!("2024-07-01T08:00:00-04:00")
    );
    assert_eq!(
        ok(
            "convert-timezone",
            json!({"value": at, "timezone": "+05:30"})
        ),
        json!("2024-07-01T17:30:00+05:30")
    );
    assert_eq!(
        ok(
            "convert-timezone",
            json!({"value": "2024-07-01T14:00:00+02:00", "timezone": "UTC"})
        ),
        json!(at)
    );
    assert_eq!(
        ok(
            "convert-timezone",
            json!({"value": at, "timezone": "Europe/London"})
        ),
        json!("2024-07-01T13:00:00+01:00")
    );
    assert_eq!(
        ok(
            "convert-timezone",
            json!({"value": "2024-01-01T12:00:00Z", "timezone": "Europe/London"})
        ),
        json!("2024-01-01T12:00:00+00:00")
    );
    invalid(
        "convert-timezone",
        json!({"value": at, "timezone": "Europe/Berln"}),
        "('Europe/Berln'); did you mean Europe/Berlin?",
    );
    invalid(
        "convert-timezone",
        json!({"value": at, "timezone": "berlin"}),
        "did you mean Europe/Berlin?",
    );
    invalid(
        "convert-timezone",
        json!({"value": at, "timezone": "+25:00"}),
        "'+25:00'",
    );
    invalid(
        "convert-timezone",
        json!({"value": at, "timezone": "Ünïcode/Zöne"}),
        "Ünïcode",
    );
    invalid(
        "convert-timezone",
        json!({"value": at, "timezone": "+ü:00"}),
        "'+ü:00'",
    );
}

#[test]
fn dst_gaps_and_overlaps_in_new_york() {
    let read = |value: &str| {
        ok(
            "parse",
            json!({"value": value, "timezone": "America/New_York"}),
        )
    };
    // 02:30 is skipped on 2024-03-10: read with the offset before (EST), so 03:30 EDT.
    let gap = read("2024-03-10T02:30:00");
    assert_eq!(gap["iso"], "2024-03-10T07:30:00Z");
    assert_eq!(gap["hour"], 3);
    assert_eq!(gap["offset"], "-04:00");
    // 01:30 happens twice on 2024-11-03: the earlier one, still EDT.
    let overlap = read("2024-11-03T01:30:00");
    assert_eq!(overlap["iso"], "2024-11-03T05:30:00Z");
    assert_eq!(overlap["offset"], "-04:00");
    assert_eq!(read("2024-11-03T02:30:00")["offset"], "-05:00");
    // A day from before the overlap is 25 hours; one across the gap 23.
    assert_eq!(
        ok(
            "add-to-date",
            json!({"value": "2024-11-02T01:30:00-04:00", "amount": 1, "unit": "days", "timezone": "America/New_York"})
        ),
        json!("2024-11-03T01:30:00-04:00")
    );
    assert_eq!(
        ok(
            "add-to-date",
            json!({"value": "2024-03-09T02:30:00-05:00", "amount": 1, "unit": "days", "timezone": "America/New_York"})
        ),
        json!("2024-03-10T03:30:00-04:00")
    );
    // Berlin's overlap: 02:30 on 2024-10-27 is CEST, 03:30 CET.
    let berlin = ok(
        "parse",
        json!({"value": "2024-10-27T03:30:00", "timezone": "Europe/Berlin"}),
    );
    assert_eq!(berlin["iso"], "2024-10-27T02:30:00Z");
    assert_eq!(berlin["offset"], "+01:00");
}

#[test]
fn zone_abbreviations() {
    let abbreviation = |at: &str, timezone: &str| {
        ok(
            "format-date",
            json!({"value": at, "format": "%Z %z", "timezone": timezone}),
        )
    };
    assert_eq!(
        abbreviation("2024-07-01T12:00:00Z", "Europe/Berlin"),
        "CEST +0200"
    );
    assert_eq!(
        abbreviation("2024-01-01T12:00:00Z", "America/New_York"),
        "EST -0500"
    );
    assert_eq!(
        abbreviation("2024-07-01T12:00:00Z", "America/New_York"),
        "EDT -0400"
    );
    assert_eq!(
        abbreviation("2024-07-01T12:00:00Z", "Asia/Kolkata"),
        "IST +0530"
    );
    // Zones without a common abbreviation have a numeric one.
    assert_eq!(
        abbreviation("2024-07-01T12:00:00Z", "Asia/Dubai"),
        "+04 +0400"
    );
    assert_eq!(abbreviation("2024-07-01T12:00:00Z", "UTC"), "UTC +0000");
    assert_eq!(
        abbreviation("2024-07-01T12:00:00Z", "+05:30"),
        "+05:30 +0530"
    );
    // A literal `%%Z` stays.
    assert_eq!(
        ok(
            "format-date",
            json!({"value": "2024-07-01T12:00:00Z", "format": "%%Z %Z", "timezone": "Europe/Berlin"})
        ),
        json!("%Z CEST")
    );
    assert_eq!(
        ok(
            "get-current-date",
            json!({"timezone": "Asia/Tokyo", "format": "%Z"})
        ),
        json!("JST")
    );
}

#[test]
fn zone_names() {
    let parse = |timezone: &str| {
        ok(
            "parse",
            json!({"value": "2024-01-15T12:00:00Z", "timezone": timezone}),
        )
    };
    // Any letter case; results use the database's spelling.
    let berlin = parse("  EUROPE/berlin ");
    assert_eq!(berlin["timezone"], "Europe/Berlin");
    assert_eq!(berlin["offset"], "+01:00");
    // Links keep their own name and follow their target's rules.
    let eastern = parse("us/eastern");
    assert_eq!(eastern["timezone"], "US/Eastern");
    assert_eq!(eastern["offset"], "-05:00");
    let calcutta = parse("Asia/Calcutta");
    assert_eq!(calcutta["timezone"], "Asia/Calcutta");
    assert_eq!(calcutta["offset"], "+05:30");
    assert_eq!(parse("America/Argentina/Buenos_Aires")["offset"], "-03:00");
    // UTC under its names is written with `Z`; other zero-offset zones are not.
    for utc in ["UTC", "utc", "Etc/UTC", "etc/utc"] {
        assert_eq!(parse(utc)["timezone"], "UTC", "{utc}");
        assert_eq!(
            ok(
                "convert-timezone",
                json!({"value": "2024-01-15T13:00:00+01:00", "timezone": utc})
            ),
            json!("2024-01-15T12:00:00Z")
        );
    }
    assert_eq!(parse("Etc/GMT")["timezone"], "Etc/GMT");
    assert_eq!(
        ok(
            "convert-timezone",
            json!({"value": "2024-01-15T12:00:00Z", "timezone": "Europe/London"})
        ),
        json!("2024-01-15T12:00:00+00:00")
    );
    // Zones by their rules long before and after today.
    assert_eq!(
        ok(
            "convert-timezone",
            json!({"value": "1850-01-01T12:00:00Z", "timezone": "Europe/Berlin"})
        ),
        json!("1850-01-01T12:53:28+00:53")
    );
    assert_eq!(
        ok(
            "convert-timezone",
            json!({"value": "2100-07-01T12:00:00Z", "timezone": "Europe/Berlin"})
        ),
        json!("2100-07-01T14:00:00+02:00")
    );
    // The last day of the range, past the end of the zone data's own range.
    assert_eq!(
        ok(
            "convert-timezone",
            json!({"value": "9999-12-31T12:00:00Z", "timezone": "America/New_York"})
        ),
        json!("9999-12-31T07:00:00-05:00")
    );
}

#[test]
fn unknown_zones() {
    invalid(
        "convert-timezone",
        json!({"value": "2024-01-01", "timezone": "America/New_Yrok"}),
        "('America/New_Yrok'); did you mean America/New_York?",
    );
    invalid(
        "parse",
        json!({"value": "2024-01-01", "timezone": "kolkata"}),
        "'timezone' is not a known IANA time zone or UTC offset ('kolkata'); did you mean \
         Asia/Kolkata?",
    );
    invalid(
        "parse",
        json!({"value": "2024-01-01", "timezone": "buenos aires"}),
        "did you mean America/Argentina/Buenos_Aires?",
    );
    invalid(
        "parse",
        json!({"value": "2024-01-01", "timezone": "Nowhere/Special"}),
        "use a name such as UTC, Europe/Berlin or America/New_York",
    );
    // The database's placeholder for an unset zone is not a zone.
    invalid(
        "parse",
        json!({"value": "2024-01-01", "timezone": "Factory"}),
        "('Factory')",
    );
    invalid(
        "parse",
        json!({"value": "2024-01-01", "timezone": ""}),
        "('')",
    );
}

#[test]
fn unknown_capability() {
    assert_eq!(
        call("nope", json!({})).unwrap_err().code,
        "UNKNOWN_CAPABILITY"
    );
}
