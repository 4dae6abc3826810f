//! What a native scenario binary (`runtara compile --target native`) links
//! besides the runtime: its command line ([`main`]) and the durability provider
//! it runs with.
//!
//! The generated binary's `main` hands its workflows to [`main`]: its own, and each
//! child scenario compiled in (`--child`), which `--workflow ID` runs as a workflow
//! of its own. [`main`] reads the
//! input (`--input FILE`, or stdin), runs the workflow with a provider and
//! reports the end as the Wasm command does: the output as JSON on stdout, or the
//! workflow error as one JSON line `{"error": ...}` on stderr, with exit status 1
//! (failed, cancelled) or 3 (paused or suspended, to be resumed).
//!
//! Providers: with `RUNTARA_STATE_FILE` (and `RUNTARA_INSTANCE_ID`) the run is
//! that instance, kept in an embedded SQLite file ([`StateFile`]): run again with
//! the same id, it goes on from its last checkpoint on the input it started with.
//! With `RUNTARA_QUIC_ADDR` the instance is kept by the core service
//! (`runtara serve --quic`), reached over QUIC ([`Quic`]); the core does not keep
//! the input of an instance run elsewhere, so every run reads it, and a run with
//! the same id goes on from its last checkpoint. Without either, [`Stateless`]
//! keeps nothing, like the `durable-none` adapter.

mod quic;
mod state_file;
mod stateless;

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser};
use runtara_runtime::serde_json::{Value, json};
use runtara_runtime::{Durable, WorkflowError, command};
use runtara_store::{InstanceKey, RunStart, Status};

pub use quic::{Quic, QuicConfig};
pub use state_file::StateFile;
pub use stateless::Stateless;

/// The allocator a generated binary installs (`#[global_allocator]` in its `main.rs`).
///
/// A step's output of a few hundred thousand rows is millions of small allocations,
/// made and freed as values are built, copied and dropped. The static binaries link
/// musl, whose allocator gives freed pages back to the kernel eagerly: a large step
/// then spent more time in page faults and `munmap` than in its own work. mimalloc
/// keeps freed memory for reuse (and is faster than glibc's allocator as well). It is
/// built without transparent huge pages (`no_thp`): where the kernel grants them only on
/// request, each 2 MiB page mimalloc asked for was zeroed, and often compacted for,
/// again after every purge, which cost more system time than musl's page faults.
pub use mimalloc::MiMalloc as Allocator;

/// The workflows a generated binary carries: the one called `workflow_id`, run on its
/// input with a provider, to its result; `None` when the binary carries no such
/// workflow.
pub type Workflows =
    fn(workflow_id: &str, Value, &mut dyn Durable) -> Option<Result<Value, WorkflowError>>;

/// The command line; its description names the workflow (see [`main`]).
#[derive(Parser)]
#[command(after_help = "Environment:\n  \
        RUNTARA_STATE_FILE                      keep the run as a durable instance in this SQLite\n                                          \
        file (needs RUNTARA_INSTANCE_ID); the same id resumes it\n  \
        RUNTARA_QUIC_ADDR                       keep the run as a durable instance in the runtara core\n                                          \
        service at this host:port, over QUIC (needs\n                                          \
        RUNTARA_QUIC_CERT, RUNTARA_INSTANCE_ID, RUNTARA_TOKEN);\n                                          \
        the same id resumes it\n  \
        RUNTARA_QUIC_CERT                       the core's certificate (PEM), the only one trusted\n  \
        RUNTARA_TOKEN                           the bearer token for the core\n  \
        RUNTARA_INSTANCE_ID, RUNTARA_TENANT_ID  the instance (and the workflow's variables._instance_id\n                                          \
        and _tenant_id; tenant `default` when unset)\n  \
        RUNTARA_SIGNALS_DIR                     where WaitForSignal steps find their signals,\n                                          \
        as <signal id>.json files\n  \
        RUNTARA_FILE_ROOT                       the directory file steps work in: `/data/x.csv`\n                                          \
        is <root>/data/x.csv (default: the current directory)\n\n\
        Exit status: 0 completed, 1 failed or cancelled, 2 bad usage, 3 paused or suspended.")]
struct Args {
    /// The workflow input, a JSON file; `-` or none reads stdin (none resumes an
    /// instance of the state file on the input it started with).
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Run this workflow of those the binary carries (the child scenarios it was
    /// compiled with, by their ids) instead of its own.
    #[arg(long, value_name = "ID")]
    workflow: Option<String>,
}

/// Runs one of `workflows` as a command: the binary's own, `workflow_ids[0]`, unless
/// `--workflow` names another of `workflow_ids`; see the crate documentation.
pub fn main(workflow_ids: &[&str], workflows: Workflows) -> ExitCode {
    let own = workflow_ids[0];
    let mut about = format!(
        "The runtara workflow '{own}', compiled to a native binary: runs it on a JSON \
         input and prints its output as JSON."
    );
    if workflow_ids.len() > 1 {
        about.push_str(&format!(
            " It also carries the workflows {} (run one with --workflow).",
            workflow_ids[1..].join(", ")
        ));
    }
    let matches = Args::command().about(about).get_matches();
    let args = match Args::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(error) => error.exit(),
    };
    let workflow_id = match &args.workflow {
        None => own,
        Some(id) => match workflow_ids.iter().find(|known| **known == id.as_str()) {
            Some(known) => known,
            None => {
                eprintln!(
                    "--workflow {id}: this binary carries the workflows {}",
                    workflow_ids.join(", ")
                );
                return ExitCode::from(2);
            }
        },
    };
    let workflow = |input: Value, durable: &mut dyn Durable| {
        workflows(workflow_id, input, durable).unwrap_or_else(|| {
            Err(WorkflowError::workflow(
                "UNKNOWN_WORKFLOW",
                format!("this binary does not carry the workflow {workflow_id}"),
            ))
        })
    };
    let var = |name| std::env::var(name).ok().filter(|value| !value.is_empty());
    match (var("RUNTARA_STATE_FILE"), var("RUNTARA_QUIC_ADDR")) {
        (Some(_), Some(_)) => fail_to_start(
            "both RUNTARA_STATE_FILE and RUNTARA_QUIC_ADDR are set: keep the instance in a \
             state file or in the core, not both",
        ),
        (Some(path), None) => run_instance(&path, args.input, workflow_id, workflow),
        (None, Some(address)) => run_in_core(address, args.input, workflow),
        (None, None) => command::report(
            read_input(args.input).and_then(|input| workflow(input, &mut Stateless)),
        ),
    }
}

/// Runs the workflow as an instance kept by the core service at `address`.
fn run_in_core(
    address: String,
    input: Option<PathBuf>,
    workflow: impl FnOnce(Value, &mut dyn Durable) -> Result<Value, WorkflowError>,
) -> ExitCode {
    let config = match QuicConfig::from_env(address) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let input = match read_input(input) {
        Ok(input) => input,
        Err(error) => return command::report(Err(error)),
    };
    match Quic::connect(config) {
        Ok(mut core) => command::report(workflow(input, &mut core)),
        Err(error) => fail_to_start(&error),
    }
}

/// Runs the workflow `workflow_id` as the instance `RUNTARA_INSTANCE_ID` of the
/// state file at `path`.
fn run_instance(
    path: &str,
    input: Option<PathBuf>,
    workflow_id: &str,
    workflow: impl FnOnce(Value, &mut dyn Durable) -> Result<Value, WorkflowError>,
) -> ExitCode {
    let Some(instance) = std::env::var("RUNTARA_INSTANCE_ID")
        .ok()
        .filter(|id| !id.is_empty())
    else {
        eprintln!(
            "RUNTARA_STATE_FILE is set, so the run is a durable instance: name it with RUNTARA_INSTANCE_ID"
        );
        return ExitCode::from(2);
    };
    let tenant = std::env::var("RUNTARA_TENANT_ID").unwrap_or_else(|_| "default".to_owned());
    let mut state = match StateFile::open(path, InstanceKey::new(tenant, instance)) {
        Ok(state) => state,
        Err(error) => return fail_to_start(&error),
    };
    // Without --input, an instance that exists resumes on its own input; a new one reads stdin.
    let input = match input {
        None if state.exists().unwrap_or(false) => None,
        given => match read_input(given) {
            Ok(input) => Some(input),
            Err(error) => return command::report(Err(error)),
        },
    };
    let input = match state.start(input.as_ref(), workflow_id) {
        Ok(RunStart::New { input }) => input,
        Ok(RunStart::Resumed { input, status }) => {
            eprintln!("resuming {} ({})", state.key(), status.as_str());
            input
        }
        Ok(RunStart::Ended(instance)) => {
            eprintln!(
                "{} already ended ({}); its result:",
                state.key(),
                instance.status.as_str()
            );
            return match (instance.output, instance.error) {
                (Some(output), _) if instance.status == Status::Completed => {
                    println!("{output}");
                    ExitCode::SUCCESS
                }
                (_, error) => {
                    eprintln!("{}", json!({ "error": error }));
                    ExitCode::from(1)
                }
            };
        }
        Ok(RunStart::OtherInput) => {
            return fail_to_start(&format!(
                "{} was started with another input; leave out --input to resume it on the input it started with",
                state.key()
            ));
        }
        Ok(RunStart::OtherComponent { started_with }) => {
            return fail_to_start(&format!(
                "{} was started as the workflow {started_with}; run it with --workflow {started_with}",
                state.key()
            ));
        }
        Err(error) => return fail_to_start(&error),
    };
    command::report(workflow(input, &mut state))
}

/// The instance could not start: says why, exits 2.
fn fail_to_start(error: &str) -> ExitCode {
    eprintln!("cannot run the instance: {error}");
    ExitCode::from(2)
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
