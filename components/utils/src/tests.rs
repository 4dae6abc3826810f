use serde_json::{Value, json};

use runtara_agent::testing::{described_capabilities, expect_ok};

use super::*;

fn ok(id: &str, input: Value) -> Value {
    expect_ok(call, id, input)
}

/// Calls a capability and expects the error `code` whose message contains `fragment`.
fn fails(id: &str, input: Value, code: &str, fragment: &str) -> AgentError {
    let error = call(id, input).expect_err("expected an error");
    assert_eq!(error.code, code, "{error}");
    assert!(!error.retryable);
    assert!(
        error.message.contains(fragment),
        "'{}' does not contain '{fragment}'",
        error.message
    );
    error
}

#[test]
fn every_capability_is_described_in_order() {
    for capability in &described_capabilities(DESCRIPTION, "utils", CAPABILITY_IDS) {
        let input = &capability["inputSchema"];
        assert!(capability["description"].is_string());
        assert!(capability["outputSchema"].is_object());
        if capability["id"] != "do-nothing" {
            assert_eq!(input["additionalProperties"], false, "{}", capability["id"]);
        }
    }
}

#[test]
fn return_input_string_serialises_non_strings() {
    let s = |value: Value| ok("return-input-string", json!({ "value": value }));
    assert_eq!(s(json!("text")), json!("text"));
    assert_eq!(s(json!(12)), json!("12"));
    assert_eq!(s(json!(1.5)), json!("1.5"));
    assert_eq!(s(json!(true)), json!("true"));
    assert_eq!(s(Value::Null), json!("null"));
    assert_eq!(
        s(json!({"b": 1, "a": [null]})),
        json!("{\"b\":1,\"a\":[null]}")
    );
    fails(
        "return-input-string",
        json!({}),
        "INVALID_INPUT",
        "missing field `value`",
    );
}

#[test]
fn random_array_sizes_and_ranges() {
    let numbers = ok("random-array", json!({"length": 500}));
    let numbers = numbers.as_array().unwrap();
    assert_eq!(numbers.len(), 500);
    assert!(
        numbers
            .iter()
            .all(|n| (0.0..1.0).contains(&n.as_f64().unwrap()))
    );

    let dice = ok(
        "random-array",
        json!({"length": 2000, "min": 1, "max": 6, "integer": true}),
    );
    let dice: Vec<i64> = dice
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_i64().unwrap())
        .collect();
    assert!(dice.iter().all(|d| (1..=6).contains(d)));
    for face in 1..=6 {
        assert!(dice.contains(&face), "{face} never came up in 2000 throws");
    }

    let floats = ok(
        "random-array",
        json!({"length": 100, "min": -2.5, "max": -2}),
    );
    assert!(
        floats
            .as_array()
            .unwrap()
            .iter()
            .all(|n| (-2.5..-2.0).contains(&n.as_f64().unwrap()))
    );

    let huge = ok(
        "random-array",
        json!({"length": 50, "min": -1e308, "max": 1e308}),
    );
    assert!(
        huge.as_array()
            .unwrap()
            .iter()
            .all(|n| n.as_f64().is_some_and(f64::is_finite))
    );
    assert_eq!(ok("random-array", json!({"length": 0})), json!([]));
    assert_eq!(
        ok("random-array", json!({"length": 2, "min": 3, "max": 3})),
        json!([3.0, 3.0])
    );
    assert_eq!(
        ok(
            "random-array",
            json!({"length": 2, "min": 2.5, "max": 3.5, "integer": true})
        ),
        json!([3, 3])
    );
    assert_eq!(
        ok("random-array", json!({"length": 10000}))
            .as_array()
            .unwrap()
            .len(),
        10000
    );
}

#[test]
fn random_array_errors() {
    let e = fails(
        "random-array",
        json!({"length": 10001}),
        "INVALID_INPUT",
        "'length' must be between 0 and 10000",
    );
    assert_eq!(e.attributes["field"], "length");
    let e = fails(
        "random-array",
        json!({"length": -1}),
        "INVALID_INPUT",
        "'length'",
    );
    assert_eq!(e.attributes["field"], "length");
    fails(
        "random-array",
        json!({"length": "3"}),
        "INVALID_INPUT",
        "'length': invalid type: string",
    );
    fails(
        "random-array",
        json!({}),
        "INVALID_INPUT",
        "missing field `length`",
    );
    fails(
        "random-array",
        json!({"length": 1, "min": 2, "max": 1}),
        "INVALID_INPUT",
        "'min' must not be greater than 'max'",
    );
    fails(
        "random-array",
        json!({"length": 1, "min": 0.2, "max": 0.8, "integer": true}),
        "INVALID_INPUT",
        "no whole number lies between",
    );
    fails(
        "random-array",
        json!({"length": 1, "max": 1e300, "integer": true}),
        "INVALID_INPUT",
        "'max' must be between",
    );
    fails(
        "random-array",
        json!({"length": 1, "seed": 4}),
        "INVALID_INPUT",
        "unknown field `seed`",
    );
}

#[test]
fn formatted_now() {
    let year = ok("get-current-formatted-datetime", json!({"format": "%Y"}));
    let year: i32 = year.as_str().unwrap().parse().unwrap();
    assert!(year >= 2024);
    let tokyo = ok(
        "get-current-formatted-datetime",
        json!({"format": "%Z %:z", "timezone": "+09:00"}),
    );
    assert_eq!(tokyo, json!("+09:00 +09:00"));
    assert_eq!(
        ok("get-current-formatted-datetime", json!({"format": "%Z"})),
        json!("UTC")
    );
    let e = fails(
        "get-current-formatted-datetime",
        json!({"format": "%Y", "timezone": "Europe/Berlin"}),
        "INVALID_INPUT",
        "'timezone' is not UTC or a UTC offset ('Europe/Berlin'); the utils agent has no \
         time-zone database: write an offset such as +05:30, or use the datetime agent",
    );
    assert_eq!(e.attributes["field"], "timezone");
    fails(
        "get-current-formatted-datetime",
        json!({"format": "%Y %K"}),
        "INVALID_INPUT",
        "'format' is not a valid strftime format: '%K' at character 4",
    );
    fails(
        "get-current-formatted-datetime",
        json!({}),
        "INVALID_INPUT",
        "missing field `format`",
    );
}

#[test]
fn iso_to_unix() {
    let t = |iso: &str| ok("iso-to-unix-timestamp", json!({"iso_datetime": iso}));
    assert_eq!(t("1970-01-01T00:00:00Z"), json!(0));
    assert_eq!(t("2024-01-31"), json!(1_706_659_200));
    assert_eq!(t("2024-01-31T02:00:00+02:00"), json!(1_706_659_200));
    assert_eq!(t("1969-12-31T23:59:59.5Z"), json!(-1));
    assert_eq!(
        ok(
            "iso-to-unix-timestamp",
            json!({"iso_datetime": "2024-01-31T00:00:00.123Z", "unit": "milliseconds"})
        ),
        json!(1_706_659_200_123i64)
    );
    let e = fails(
        "iso-to-unix-timestamp",
        json!({"iso_datetime": "31/01/2024"}),
        "INVALID_INPUT",
        "'iso_datetime' is not an ISO 8601 date-time ('31/01/2024'",
    );
    assert_eq!(e.attributes["field"], "iso_datetime");
    fails(
        "iso-to-unix-timestamp",
        json!({"iso_datetime": "2024-01-31", "unit": "minutes"}),
        "INVALID_INPUT",
        "'unit': unknown variant `minutes`",
    );
}

#[test]
fn format_dates() {
    let f = |input: Value| ok("format-date-from-iso", input);
    assert_eq!(
        f(json!({"iso_datetime": "2024-07-04T18:30:00+02:00", "format": "%d.%m.%Y %H:%M"})),
        json!("04.07.2024 16:30")
    );
    assert_eq!(
        f(json!({
            "iso_datetime": "2024-07-04T16:30:00Z",
            "format": "%A, %-d %B %Y %I:%M %p %Z",
            "timezone": "-04:00"
        })),
        json!("Thursday, 4 July 2024 12:30 PM -04:00")
    );
    assert_eq!(
        f(json!({"iso_datetime": "2024-02-29", "format": "%j %U %a"})),
        json!("060 08 Thu")
    );
    fails(
        "format-date-from-iso",
        json!({"iso_datetime": "2024-02-30", "format": "%Y"}),
        "INVALID_INPUT",
        "'iso_datetime' is not an ISO 8601 date-time",
    );
    fails(
        "format-date-from-iso",
        json!({"iso_datetime": "2024-02-01", "format": "%Y", "timezone": 2}),
        "INVALID_INPUT",
        "'timezone': invalid type: integer `2`",
    );
}

#[test]
fn country_codes() {
    let code = |name: &str, code_type: Option<&str>| {
        let mut input = json!({"country_name": name});
        if let Some(code_type) = code_type {
            input["code_type"] = json!(code_type);
        }
        ok("country-name-to-iso-code", input)
    };
    assert_eq!(code("United States", None), json!("US"));
    assert_eq!(code("usa", Some("alpha3")), json!("USA"));
    assert_eq!(code("United Kingdom", Some("alpha2")), json!("GB"));
    assert_eq!(code("GERMANY", Some("alpha3")), json!("DEU"));
    let e = fails(
        "country-name-to-iso-code",
        json!({"country_name": "Germny"}),
        "NOT_FOUND",
        "no country is called 'Germny'; the closest names are Germany",
    );
    assert_eq!(e.category, runtara_agent::ErrorCategory::Permanent);
    assert_eq!(e.attributes["suggestions"][0], "Germany");
    fails(
        "country-name-to-iso-code",
        json!({"country_name": "  "}),
        "INVALID_INPUT",
        "'country_name' must name a country",
    );
    fails(
        "country-name-to-iso-code",
        json!({"country_name": "France", "code_type": "numeric"}),
        "INVALID_INPUT",
        "'code_type': unknown variant `numeric`",
    );
}

#[test]
fn calculate_expressions() {
    let calc = |expression: &str, variables: Value| {
        ok(
            "calculate",
            json!({"expression": expression, "variables": variables}),
        )
    };
    assert_eq!(calc("1 + 2 * 3", json!({})), json!(7));
    assert_eq!(
        calc(
            "price * (1 + vat) - discount",
            json!({"price": 100, "vat": 0.2, "discount": 5})
        ),
        json!(115)
    );
    assert_eq!(calc("10 / 4", json!({})), json!(2.5));
    assert_eq!(calc("-0", json!({})), json!(0));
    assert_eq!(
        calc("2 ^ 60", json!({})),
        json!(1_152_921_504_606_846_976.0)
    );
    assert_eq!(ok("calculate", json!({"expression": "7 % 4"})), json!(3));
    assert_eq!(
        ok(
            "calculate",
            json!({"expression": "7 % 4", "variables": null})
        ),
        json!(3)
    );

    let e = fails(
        "calculate",
        json!({"expression": "1 / (a - a)", "variables": {"a": 2}}),
        "ARITHMETIC_ERROR",
        "division by zero ('/' at character 3)",
    );
    assert_eq!(e.attributes["position"], 3);
    let e = fails(
        "calculate",
        json!({"expression": "2 * (3 + "}),
        "INVALID_INPUT",
        "'expression' is not a valid expression: expected a number, a variable or '(' at character 10",
    );
    assert_eq!(e.attributes["field"], "expression");
    let e = fails(
        "calculate",
        json!({"expression": "a + b", "variables": {"a": 1}}),
        "INVALID_INPUT",
        "unknown variable 'b' at character 5 (the variables are: a)",
    );
    assert_eq!(e.attributes["field"], "variables");
    fails(
        "calculate",
        json!({"expression": "a", "variables": {"a": "1"}}),
        "INVALID_INPUT",
        "'variables.a': invalid type: string",
    );
}

#[test]
fn existing_capabilities_are_unchanged() {
    assert_eq!(ok("return-input", json!({})), Value::Null);
    assert_eq!(ok("do-nothing", Value::Null), Value::Null);
    let e = call("return-input", json!({"value": 1, "x": 2})).unwrap_err();
    assert!(
        e.message.starts_with("invalid input: unknown field `x`"),
        "{e}"
    );
}
