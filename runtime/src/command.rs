//! The `wasi:cli/run` entry point of a compiled scenario.
//!
//! Reads the input from `$RUNTARA_INPUT_PATH` or `/input/data.json`, runs the
//! workflow, prints the output on stdout and also writes it to
//! `$RUNTARA_OUTPUT_PATH`, or to `/output/result.json` when `/output` exists.
//! A run that does not complete prints `{"error": <workflow error>}` as one JSON
//! line on stderr. A failed or cancelled run exits with status 1. A run that
//! stopped to be resumed, paused ([`PAUSED`]) or suspended in a durable sleep
//! ([`SUSPENDED`]), exits with status 3, as `runtara run` does: its error's
//! message says where it stopped, and running the same instance again goes on
//! from there. (As a component, WASI 0.2's `exit` tells only success from
//! failure, so wasmtime reports 1 for both; the error's code tells them apart.)

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};

use crate::WorkflowError;

const DEFAULT_INPUT: &str = "/input/data.json";
const DEFAULT_OUTPUT_DIR: &str = "/output";

/// Runs `workflow` as a command; see the module documentation.
pub fn main(workflow: impl FnOnce(Value) -> Result<Value, WorkflowError>) -> ExitCode {
    let result = read_input().and_then(workflow);
    report(result.and_then(|output| write_output(&output).map(|()| output)))
}

/// Prints how a run ended, the output on stdout or the error as one JSON line on
/// stderr, and returns the exit status (also for native scenario binaries).
pub fn report(result: Result<Value, WorkflowError>) -> ExitCode {
    match result {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{}", json!({ "error": error.to_json() }));
            ExitCode::from(error.exit_status())
        }
    }
}

fn read_input() -> Result<Value, WorkflowError> {
    let (path, from_env) = match std::env::var_os("RUNTARA_INPUT_PATH") {
        Some(path) => (PathBuf::from(path), true),
        None => (PathBuf::from(DEFAULT_INPUT), false),
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        let how = if from_env {
            "(from RUNTARA_INPUT_PATH)"
        } else {
            "(mount a directory holding data.json at /input, e.g. `wasmtime run --dir IN::/input`, or set RUNTARA_INPUT_PATH)"
        };
        WorkflowError::workflow("INPUT_UNREADABLE", format!("cannot read the workflow input {}: {e} {how}", path.display()))
    })?;
    parse_input(&text, &path.display().to_string())
}

/// The workflow input `text` read from `source`, parsed.
pub fn parse_input(text: &str, source: &str) -> Result<Value, WorkflowError> {
    serde_json::from_str(text).map_err(|e| {
        WorkflowError::workflow(
            "INPUT_INVALID_JSON",
            format!("the workflow input {source} is not valid JSON: {e}"),
        )
    })
}

fn write_output(output: &Value) -> Result<(), WorkflowError> {
    let path = match std::env::var_os("RUNTARA_OUTPUT_PATH") {
        Some(path) => PathBuf::from(path),
        None if Path::new(DEFAULT_OUTPUT_DIR).is_dir() => {
            Path::new(DEFAULT_OUTPUT_DIR).join("result.json")
        }
        None => return Ok(()),
    };
    std::fs::write(&path, format!("{output}\n")).map_err(|e| {
        WorkflowError::workflow(
            "OUTPUT_UNWRITABLE",
            format!(
                "cannot write the workflow output to {}: {e}",
                path.display()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CANCELLED, PAUSED, SUSPENDED};

    #[test]
    fn a_stopped_run_exits_with_3_and_a_failed_or_cancelled_one_with_1() {
        let ended = |code| WorkflowError::step("wait", code, "...").exit_status();
        assert_eq!(ended(PAUSED), 3);
        assert_eq!(ended(SUSPENDED), 3);
        assert_eq!(ended(CANCELLED), 1);
        assert_eq!(ended("HTTP_ERROR"), 1);
        assert_eq!(
            WorkflowError::workflow("INPUT_UNREADABLE", "...").exit_status(),
            1
        );
    }
}
