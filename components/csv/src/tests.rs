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

/// A line as [`read_lines`] passes it, kept.
#[derive(Debug, PartialEq)]
enum Seen {
    Empty,
    Record { line: u64, fields: Vec<String> },
}

fn lines(data: &str) -> Vec<Seen> {
    let mut seen = Vec::new();
    read_lines(
        FROM_CSV,
        data,
        Dialect::new(FROM_CSV, None, None).unwrap(),
        |line| {
            seen.push(match line {
                Line::Empty => Seen::Empty,
                Line::Record { line, record } => Seen::Record {
                    line,
                    fields: record.fields().map(String::from).collect(),
                },
            });
            Ok(())
        },
    )
    .unwrap();
    seen
}

fn record(line: u64, fields: &[&str]) -> Seen {
    Seen::Record {
        line,
        fields: fields.iter().map(|f| f.to_string()).collect(),
    }
}

#[test]
fn every_capability_is_described() {
    for capability in &described_capabilities(DESCRIPTION, "csv", CAPABILITY_IDS) {
        assert!(capability["description"].is_string());
        assert_eq!(capability["inputSchema"]["additionalProperties"], false);
        assert!(capability["outputSchema"].is_object());
    }
}

#[test]
fn unknown_capability() {
    assert_eq!(
        call("nope", json!({})).unwrap_err().code,
        "UNKNOWN_CAPABILITY"
    );
}

#[test]
fn lines_and_empty_lines_with_every_line_break() {
    for nl in ["\n", "\r\n", "\r"] {
        let text = format!("a,b{nl}{nl}c,d{nl}{nl}{nl}e{nl}");
        let expected_lines = if nl == "\r" { [1, 1, 1] } else { [1, 3, 6] };
        assert_eq!(
            lines(&text),
            vec![
                record(expected_lines[0], &["a", "b"]),
                Seen::Empty,
                record(expected_lines[1], &["c", "d"]),
                Seen::Empty,
                Seen::Empty,
                record(expected_lines[2], &["e"]),
            ],
            "line break {nl:?}"
        );
    }
}

#[test]
fn leading_and_trailing_empty_lines() {
    assert_eq!(
        lines("\n\na\n\n"),
        vec![Seen::Empty, Seen::Empty, record(3, &["a"]), Seen::Empty]
    );
    assert_eq!(lines("a"), vec![record(1, &["a"])]);
    assert_eq!(lines("a\n"), vec![record(1, &["a"])]);
    assert_eq!(lines("a\r\n"), vec![record(1, &["a"])]);
    assert_eq!(lines(""), vec![]);
    assert_eq!(lines("\r\n"), vec![Seen::Empty]);
}

#[test]
fn a_quoted_line_break_is_no_new_record() {
    assert_eq!(
        lines("a,\"x\ny\"\n\nb,c\n"),
        vec![
            record(1, &["a", "x\ny"]),
            Seen::Empty,
            record(4, &["b", "c"])
        ]
    );
    assert_eq!(
        lines("a,\"x\r\n\"\r\n\r\nb\r\n"),
        vec![record(1, &["a", "x\r\n"]), Seen::Empty, record(4, &["b"])]
    );
}

#[test]
fn from_csv_with_header() {
    let out = ok(
        "from-csv",
        json!({"data": "\u{feff}id,name,note\n1,Ada,\"says \"\"hi\"\"\"\n2,Bob,\n"}),
    );
    assert_eq!(
        out,
        json!([
            {"id": "1", "name": "Ada", "note": "says \"hi\""},
            {"id": "2", "name": "Bob", "note": ""}
        ])
    );
    assert_eq!(
        out.as_array().unwrap()[0]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["id", "name", "note"]
    );
}

#[test]
fn from_csv_without_header_allows_ragged_records() {
    assert_eq!(
        ok(
            "from-csv",
            json!({"data": "a;b\nc\n", "delimiter": ";", "has_header": false})
        ),
        json!([["a", "b"], ["c"]])
    );
}

#[test]
fn from_csv_typed() {
    assert_eq!(
        ok(
            "from-csv",
            json!({
                "data": "1,-2.5,1e3,TRUE,false,,007,+1,1.,abc, 1,18446744073709551615,99999999999999999999\n",
                "has_header": false,
                "typed": true
            })
        ),
        json!([[
            1,
            -2.5,
            1000.0,
            true,
            false,
            null,
            "007",
            "+1",
            "1.",
            "abc",
            " 1",
            18446744073709551615u64,
            "99999999999999999999"
        ]])
    );
}

#[test]
fn typed_value_grammar() {
    for text in [
        "0", "-0", "12", "-12", "0.5", "-0.5", "1e10", "1E+2", "2.5e-3",
    ] {
        assert!(typed_value(text).is_number(), "{text}");
    }
    for text in [
        "00", "01", ".5", "5.", "-", "1e", "1e+", "NaN", "inf", "1_000", "0x10", "1e999",
    ] {
        assert_eq!(typed_value(text), json!(text), "{text}");
    }
}

#[test]
fn from_csv_empty_lines() {
    let data = "a,b\n1,2\n\n3,4\n";
    assert_eq!(
        ok("from-csv", json!({"data": data})),
        json!([{"a": "1", "b": "2"}, {"a": "3", "b": "4"}])
    );
    assert_eq!(
        ok("from-csv", json!({"data": data, "skip_empty_lines": false})),
        json!([{"a": "1", "b": "2"}, {"a": "", "b": ""}, {"a": "3", "b": "4"}])
    );
    assert_eq!(
        ok(
            "from-csv",
            json!({"data": data, "skip_empty_lines": false, "typed": true})
        ),
        json!([{"a": 1, "b": 2}, {"a": null, "b": null}, {"a": 3, "b": 4}])
    );
    assert_eq!(
        ok(
            "from-csv",
            json!({"data": "\na\n\nb\n", "skip_empty_lines": false, "has_header": false})
        ),
        json!([[""], ["a"], [""], ["b"]])
    );
    assert_eq!(
        ok(
            "from-csv",
            json!({"data": "\n\nh\nx\n", "skip_empty_lines": false})
        ),
        json!([{"h": "x"}])
    );
}

#[test]
fn from_csv_without_records() {
    assert_eq!(ok("from-csv", json!({"data": ""})), json!([]));
    assert_eq!(ok("from-csv", json!({"data": "a,b\n"})), json!([]));
    assert_eq!(
        ok("from-csv", json!({"data": "", "has_header": false})),
        json!([])
    );
}

#[test]
fn from_csv_errors_name_the_line_and_row() {
    let error = invalid(
        "from-csv",
        json!({"data": "a,b,c\n1,2,3\n\n4,5\n"}),
        "'data' line 4 (row 2) has 2 field(s), but the header (line 1) has 3 column(s)",
    );
    assert_eq!(error.attributes["line"], 4);
    assert_eq!(error.attributes["row"], 2);
    assert_eq!(error.attributes["field"], "data");
    invalid(
        "from-csv",
        json!({"data": "id,name,id\n1,2,3\n"}),
        "has the column \"id\" twice in its header (line 1, columns 1 and 3)",
    );
}

#[test]
fn input_errors_name_the_field() {
    invalid(
        "from-csv",
        json!([1]),
        "the input must be an object, got array",
    );
    invalid("from-csv", json!({}), "missing field `data`");
    invalid(
        "from-csv",
        json!({"data": 1}),
        "'data': invalid type: integer",
    );
    invalid(
        "from-csv",
        json!({"data": "", "delim": ";"}),
        "unknown field `delim`",
    );
    let error = invalid(
        "from-csv",
        json!({"data": "", "typed": "yes"}),
        "'typed': invalid type: string \"yes\", expected a boolean",
    );
    assert_eq!(error.attributes["field"], "typed");
    invalid(
        "from-csv",
        json!({"data": "", "delimiter": ";;"}),
        "'delimiter' must be a single ASCII character other than a line break, got \";;\"",
    );
    invalid(
        "get-header",
        json!({"data": "", "delimiter": "€"}),
        "'delimiter' must be",
    );
    invalid(
        "to-csv",
        json!({"data": [], "quote": "\n"}),
        "'quote' must be",
    );
    invalid(
        "from-csv",
        json!({"data": "", "delimiter": "'", "quote": "'"}),
        "'quote' must differ from 'delimiter' (both are '\\'')",
    );
}

#[test]
fn to_csv_objects() {
    assert_eq!(
        ok(
            "to-csv",
            json!({"data": [
                {"id": 1, "name": "Lovelace, Ada", "tags": ["x"]},
                {"name": "Bob \"B\"", "active": true, "id": null}
            ]})
        ),
        json!(
            "id,name,tags,active\n1,\"Lovelace, Ada\",\"[\"\"x\"\"]\",\n,\"Bob \"\"B\"\"\",,true\n"
        )
    );
    assert_eq!(
        ok(
            "to-csv",
            json!({"data": [{"a": 1, "b": 2, "c": 3}], "headers": ["c", "a"], "delimiter": "\t"})
        ),
        json!("c\ta\n3\t1\n")
    );
    assert_eq!(
        ok(
            "to-csv",
            json!({"data": [{"a": "x\ny"}], "include_header": false})
        ),
        json!("\"x\ny\"\n")
    );
}

#[test]
fn to_csv_arrays() {
    assert_eq!(
        ok("to-csv", json!({"data": [[1, "a"], [2.5, null, false]]})),
        json!("1,a\n2.5,,false\n")
    );
    assert_eq!(
        ok("to-csv", json!({"data": [[1, 2]], "headers": ["x", "y"]})),
        json!("x,y\n1,2\n")
    );
    assert_eq!(ok("to-csv", json!({"data": [[""]]})), json!("\"\"\n"));
}

#[test]
fn to_csv_without_rows() {
    assert_eq!(ok("to-csv", json!({"data": []})), json!(""));
    assert_eq!(ok("to-csv", json!({"data": [{}, {}]})), json!(""));
    assert_eq!(
        ok("to-csv", json!({"data": [], "headers": ["a", "b"]})),
        json!("a,b\n")
    );
    assert_eq!(
        ok(
            "to-csv",
            json!({"data": [], "headers": ["a"], "include_header": false})
        ),
        json!("")
    );
}

#[test]
fn to_csv_errors() {
    invalid(
        "to-csv",
        json!({"data": [{"a": 1}, [1]]}),
        "'data[1]' is an array, but 'data[0]' is an object",
    );
    invalid(
        "to-csv",
        json!({"data": [[1], "x"]}),
        "'data[1]' must be an object or an array, got string",
    );
    invalid(
        "to-csv",
        json!({"data": [[1, 2], [3]], "headers": ["a", "b"]}),
        "'data[1]' has 1 value(s), but 'headers' names 2 column(s)",
    );
    invalid(
        "to-csv",
        json!({"data": [], "headers": ["a", "b", "a"]}),
        "'headers' names the column \"a\" twice (headers[0] and headers[2])",
    );
    invalid(
        "to-csv",
        json!({"data": {"a": 1}}),
        "'data': invalid type: map, expected a sequence",
    );
}

#[test]
fn round_trip() {
    let rows = json!([
        {"id": "1", "text": "comma, quote \" and\nnewline", "empty": ""},
        {"id": "2", "text": "  spaces  ", "empty": ""}
    ]);
    for (delimiter, quote) in [(",", "\""), (";", "'"), ("\t", "\"")] {
        let text = ok(
            "to-csv",
            json!({"data": rows, "delimiter": delimiter, "quote": quote}),
        );
        let back = ok(
            "from-csv",
            json!({"data": text, "delimiter": delimiter, "quote": quote}),
        );
        assert_eq!(back, rows, "{delimiter:?} {quote:?}");
    }
}

#[test]
fn get_header() {
    assert_eq!(
        ok("get-header", json!({"data": "\n\"a,1\",b,b\n1,2,3\n"})),
        json!(["a,1", "b", "b"])
    );
    assert_eq!(
        ok("get-header", json!({"data": "x|y", "delimiter": "|"})),
        json!(["x", "y"])
    );
    assert_eq!(ok("get-header", json!({"data": ""})), json!([]));
}
