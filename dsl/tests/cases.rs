//! Data-folder tests, one folder per case:
//!
//! * `tests/parse_errors/<case>/scenario.json` + `error.txt`: the exact
//!   `ParseError` message.
//! * `tests/validate/<case>/scenario.json` + `problems.txt`: every
//!   validation problem, one per line (empty file: none).
//! * `tests/scenarios/<case>/scenario.json`: parses, validates clean, and
//!   survives serializing and parsing again.
//!
//! `RUNTARA_BLESS=1 cargo test -p runtara-dsl --test cases` rewrites the
//! expected files from the actual output (review the diff!).

use std::fs;
use std::path::{Path, PathBuf};

use runtara_dsl::parse_scenario;
use runtara_dsl::validate::{StaticCatalog, validate};
use serde_json::json;

fn cases(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(kind);
    let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no cases in {}", dir.display());
    cases
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn bless() -> bool {
    std::env::var_os("RUNTARA_BLESS").is_some()
}

/// Compares with the expected file, or rewrites it when blessing.
fn expect(file: &Path, actual: &str, failures: &mut Vec<String>) {
    if bless() {
        fs::write(file, actual).unwrap();
        return;
    }
    let expected = read(file);
    if expected.trim_end() != actual.trim_end() {
        failures.push(format!(
            "{}\n--- expected\n{}\n--- actual\n{}",
            file.display(),
            expected.trim_end(),
            actual.trim_end()
        ));
    }
}

fn catalog() -> StaticCatalog {
    StaticCatalog::new()
        .with("utils", "return-input", None)
        .with("utils", "do-nothing", None)
        .with("utils", "random-double", None)
        .with("utils", "delay-in-ms", None)
        .with("transform", "map-fields", None)
        .with("transform", "extract", None)
        .with(
            "http",
            "http-request",
            Some(json!({
                "type": "object",
                "properties": {
                    "method": {}, "url": {}, "headers": {}, "queryParameters": {},
                    "body": {}, "timeout": {}
                },
                "required": ["url"],
                "additionalProperties": false
            })),
        )
}

#[test]
fn parse_errors() {
    let mut failures = Vec::new();
    for case in cases("parse_errors") {
        let text = read(&case.join("scenario.json"));
        match parse_scenario(&text) {
            Ok(_) => failures.push(format!("{}: parsed without error", case.display())),
            Err(err) => expect(&case.join("error.txt"), &format!("{err}\n"), &mut failures),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn validation_problems() {
    let mut failures = Vec::new();
    for case in cases("validate") {
        let text = read(&case.join("scenario.json"));
        let scenario = match parse_scenario(&text) {
            Ok(scenario) => scenario,
            Err(err) => {
                failures.push(format!("{}: {err}", case.display()));
                continue;
            }
        };
        let problems: String = validate(&scenario, &catalog())
            .iter()
            .map(|problem| format!("{problem}\n"))
            .collect();
        expect(&case.join("problems.txt"), &problems, &mut failures);
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn valid_scenarios_round_trip() {
    for case in cases("scenarios") {
        let text = read(&case.join("scenario.json"));
        let scenario =
            parse_scenario(&text).unwrap_or_else(|err| panic!("{}: {err}", case.display()));
        let problems = validate(&scenario, &catalog());
        assert!(
            problems.is_empty(),
            "{}: {}",
            case.display(),
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
        let again = serde_json::to_string_pretty(&scenario).unwrap();
        let reparsed = parse_scenario(&again)
            .unwrap_or_else(|err| panic!("{}: {err}\n{again}", case.display()));
        assert_eq!(reparsed, scenario, "{}", case.display());
    }
}
