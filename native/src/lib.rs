//! What a native scenario binary (`runtara compile --target native`) links
//! besides the runtime: its command line ([`main`]) and the durability provider
//! it runs with.
//!
//! The generated binary's `main` hands its workflow to [`main`], which reads the
//! input (`--input FILE`, or stdin), runs the workflow with a provider and
//! reports the end as the Wasm command does: the output as JSON on stdout, or the
//! workflow error as one JSON line `{"error": ...}` on stderr, with exit status 1
//! (failed, cancelled) or 3 (paused or suspended, to be resumed).
//!
//! Providers: [`Stateless`] keeps nothing, like the `durable-none` adapter.

mod stateless;

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser};
use runtara_runtime::serde_json::Value;
use runtara_runtime::{Durable, WorkflowError, command};

pub use stateless::Stateless;

/// The workflow a generated binary runs: its input and a provider, to its result.
pub type Workflow = fn(Value, &mut dyn Durable) -> Result<Value, WorkflowError>;

/// The command line; its description names the workflow (see [`main`]).
#[derive(Parser)]
#[command(after_help = "Environment:\n  \
        RUNTARA_INSTANCE_ID, RUNTARA_TENANT_ID  the workflow's variables._instance_id and _tenant_id\n  \
        RUNTARA_SIGNALS_DIR                     where WaitForSignal steps find their signals,\n                                          \
        as <signal id>.json files\n  \
        RUNTARA_FILE_ROOT                       the directory file steps work in: `/data/x.csv`\n                                          \
        is <root>/data/x.csv (default: the current directory)\n\n\
        Exit status: 0 completed, 1 failed or cancelled, 2 bad usage, 3 paused or suspended.")]
struct Args {
    /// The workflow input, a JSON file; `-` or none reads stdin.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
}

/// Runs `workflow` (the one called `workflow_id`) as a command; see the crate
/// documentation.
pub fn main(workflow_id: &str, workflow: Workflow) -> ExitCode {
    let about = format!(
        "The runtara workflow '{workflow_id}', compiled to a native binary: runs it on a \
         JSON input and prints its output as JSON."
    );
    let matches = Args::command().about(about).get_matches();
    let args = match Args::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(error) => error.exit(),
    };
    let result = read_input(args.input).and_then(|input| workflow(input, &mut Stateless));
    command::report(result)
}

fn read_input(path: Option<PathBuf>) -> Result<Value, WorkflowError> {
    let (text, source) = match path.filter(|p| p.as_os_str() != "-") {
        Some(path) => {
            let text =
                std::fs::read_to_string(&path).map_err(|e| unreadable(&path.display(), e))?;
            (text, path.display().to_string())
        }
        None => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| unreadable(&"from stdin", e))?;
            (text, "from stdin".to_owned())
        }
    };
    command::parse_input(&text, &source)
}

fn unreadable(source: &dyn std::fmt::Display, error: std::io::Error) -> WorkflowError {
    WorkflowError::workflow(
        "INPUT_UNREADABLE",
        format!("cannot read the workflow input {source}: {error}"),
    )
}
