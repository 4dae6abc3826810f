//! The scenario corpus under `tests/scenarios/`: reading a case folder and
//! matching a run's error against its expectation (the rules are in
//! tests/scenario_corpus.rs's docs). The corpus test and the browser's parity
//! test share them.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::root;

/// What a case expects.
pub enum Expectation {
    /// The run succeeds with this output.
    Output(Value),
    /// The run fails with an error that has these members.
    Error(Value),
    /// Compiling fails and stderr holds each of these fragments.
    CompileError(Vec<String>),
}

pub struct Case {
    pub name: String,
    pub dir: PathBuf,
    pub expectation: Expectation,
    /// Fragments the run's stderr must contain (`stderr.txt`).
    pub stderr: Vec<String>,
}

pub fn corpus_dir() -> PathBuf {
    root().join("tests/scenarios")
}

pub fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))
}

/// Reads a case folder; an error names what is wrong with it.
pub fn load_case(dir: &Path) -> Result<Case, String> {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let scenario = dir.join("scenario.json");
    if !scenario.is_file() {
        return Err("has no scenario.json".to_owned());
    }
    read_json(&scenario)?;
    let input = dir.join("input.json");
    if input.is_file() {
        read_json(&input)?;
    }
    let expected = dir.join("expected.json");
    let expected_error = dir.join("expected-error.json");
    let compile_error = dir.join("compile-error.txt");
    let present: Vec<&str> = [
        (&expected, "expected.json"),
        (&expected_error, "expected-error.json"),
        (&compile_error, "compile-error.txt"),
    ]
    .iter()
    .filter(|(path, _)| path.is_file())
    .map(|(_, file)| *file)
    .collect();
    let expectation = match present.as_slice() {
        ["expected.json"] => Expectation::Output(read_json(&expected)?),
        ["expected-error.json"] => {
            let error = read_json(&expected_error)?;
            if !error.is_object() {
                return Err("expected-error.json is not an object".to_owned());
            }
            Expectation::Error(error)
        }
        ["compile-error.txt"] => Expectation::CompileError(read_lines(&compile_error)?),
        [] => {
            return Err(
                "has no expectation (expected.json, expected-error.json or compile-error.txt)"
                    .to_owned(),
            );
        }
        several => {
            return Err(format!(
                "has more than one expectation: {}",
                several.join(", ")
            ));
        }
    };
    let stderr_file = dir.join("stderr.txt");
    let stderr = if stderr_file.is_file() {
        if matches!(expectation, Expectation::CompileError(_)) {
            return Err("stderr.txt is for runs; a compile-error case has none".to_owned());
        }
        read_lines(&stderr_file)?
    } else {
        Vec::new()
    };
    Ok(Case {
        name,
        dir: dir.to_owned(),
        expectation,
        stderr,
    })
}

/// The non-empty lines of a fragment file, trimmed; at least one.
pub fn read_lines(path: &Path) -> Result<Vec<String>, String> {
    let file = path.file_name().unwrap().to_string_lossy();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {file}: {e}"))?;
    let lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    if lines.is_empty() {
        return Err(format!("{file} has no non-empty line"));
    }
    Ok(lines)
}

/// Whether `actual` has every member `expected` names (see the module docs).
pub fn error_mismatches(expected: &Value, actual: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let expected = expected.as_object().expect("checked when loading");
    for (key, want) in expected {
        let got = actual.get(key);
        let ok = match (key.as_str(), want, got) {
            (_, Value::Null, None) => true,
            ("message", Value::String(part), Some(Value::String(message))) => {
                message.contains(part.as_str())
            }
            ("message", Value::Array(parts), Some(Value::String(message))) => parts
                .iter()
                .all(|part| part.as_str().is_some_and(|p| message.contains(p))),
            (_, want, Some(got)) => want == got,
            (_, _, None) => false,
        };
        if !ok {
            let shown = got.map_or_else(|| "(absent)".to_owned(), Value::to_string);
            let how = if key == "message" {
                "to contain"
            } else {
                "to equal"
            };
            problems.push(format!("expected `{key}` {how} {want}, got {shown}"));
        }
    }
    problems
}

/// An agent fixture's `input` as an inputMapping of immediate values.
pub fn fixture_mapping(fixture: &Value) -> serde_json::Map<String, Value> {
    fixture["input"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(key, value)| {
            (
                key.clone(),
                serde_json::json!({"valueType": "immediate", "value": value}),
            )
        })
        .collect()
}

/// A case's children, as (id, file).
pub fn children_of(case: &Case) -> Vec<(String, PathBuf)> {
    child_args(case)
        .chunks(2)
        .map(|pair| {
            let (id, file) = pair[1].split_once('=').unwrap();
            (id.to_owned(), PathBuf::from(file))
        })
        .collect()
}

/// The case's children as `--child ID=FILE` arguments: each `children/<id>.json`.
pub fn child_args(case: &Case) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(case.dir.join("children")) else {
        return Vec::new();
    };
    let mut children: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    children.sort();
    children
        .iter()
        .flat_map(|child| {
            let id = child.file_stem().unwrap().to_string_lossy().into_owned();
            ["--child".to_owned(), format!("{id}={}", child.display())]
        })
        .collect()
}
