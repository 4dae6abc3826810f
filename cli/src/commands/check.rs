use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use runtara_compiler::CompileError;
use serde_json::{Value, json};

use super::{AgentsDir, Format};

/// Validate a scenario without compiling it.
///
/// Reports every problem at once, each with its JSON path (e.g.
/// `steps.fetch.inputMapping.url`) and a hint. Agents and their input schemas
/// are read from the agent components in the agent directory. Exits with 1
/// when the scenario has problems.
#[derive(clap::Args)]
pub struct Args {
    /// The scenario JSON file.
    scenario: PathBuf,
    #[command(flatten)]
    agents: AgentsDir,
    /// How to report problems: `text` for people, `json` for tools.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let error = match runtara_compiler::check(&args.scenario, &args.agents.path) {
        Ok(_) => None,
        Err(error @ (CompileError::Invalid { .. } | CompileError::Parse { .. })) => Some(error),
        Err(other) => return Err(other.into()),
    };
    match (args.format, &error) {
        (Format::Text, None) => println!("{}: ok", args.scenario.display()),
        (Format::Text, Some(error)) => eprintln!("{error}"),
        (Format::Json, _) => {
            let problems = error.as_ref().map(problems_json).unwrap_or_default();
            println!(
                "{}",
                json!({ "valid": problems.is_empty(), "problems": problems })
            );
        }
    }
    Ok(if error.is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn problems_json(error: &CompileError) -> Vec<Value> {
    match error {
        CompileError::Invalid { problems, .. } => problems
            .iter()
            .map(|p| json!({ "path": p.path, "message": p.message, "hint": p.hint }))
            .collect(),
        CompileError::Parse { source, .. } => vec![json!({
            "path": source.path, "message": source.message, "line": source.line, "column": source.column,
        })],
        other => vec![json!({ "path": "", "message": other.to_string() })],
    }
}
