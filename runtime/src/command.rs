//! The `wasi:cli/run` entry point of a compiled scenario.
//!
//! Reads the input from `$RUNTARA_INPUT_PATH` or `/input/data.json`, runs the
//! workflow, prints the output on stdout and also writes it to
//! `$RUNTARA_OUTPUT_PATH`, or to `/output/result.json` when `/output` exists.
//! A failure prints `{"error": <workflow error>}` as one JSON line on stderr
//! and exits with status 1.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};

use crate::WorkflowError;

const DEFAULT_INPUT: &str = "/input/data.json";
const DEFAULT_OUTPUT_DIR: &str = "/output";

/// Runs `workflow` as a command; see the module documentation.
pub fn main(workflow: impl FnOnce(Value) -> Result<Value, WorkflowError>) -> ExitCode {
    let result = read_input().and_then(workflow);
    match result.and_then(|output| write_output(&output).map(|()| output)) {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{}", json!({ "error": error.to_json() }));
            ExitCode::from(1)
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
    serde_json::from_str(&text).map_err(|e| {
        WorkflowError::workflow(
            "INPUT_INVALID_JSON",
            format!(
                "the workflow input {} is not valid JSON: {e}",
                path.display()
            ),
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
