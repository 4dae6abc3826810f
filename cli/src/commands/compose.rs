use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use runtara_composer::{ComposeOptions, Composition, Durability, Trigger};
use runtara_deploy::pipeline::{self, Step};

use super::AgentsDir;
use super::registry::{OptionalRegistry, RegistryArgs};

/// Plug agent components and the durability adapter into a compiled scenario.
///
/// Each `runtara:<agent>/capabilities` import is satisfied by the agent
/// components named on the command line, or, when none are named, by
/// `<agent>.wasm` from the agent directory. `runtara:durable/context` is
/// satisfied by the `durable-none` adapter (stateless, for one-shot runs) from
/// the agent directory; the result imports only standard WASI interfaces and
/// runs under `wasmtime run` or `runtara run`. With `--durable host` it stays
/// imported instead, for `runtara run --instance ID --state FILE`, which keeps
/// checkpoints so that a run that crashed or paused resumes where it stopped.
/// With `--durable http` the `durable-http` adapter keeps the instance's state
/// in the core service (`runtara serve`) over wasi-http, so a plain wasi-http
/// runtime runs it durably; run it again with the same instance id to resume it.
///
/// With `--trigger http` the result serves the workflow over HTTP instead of
/// running it as a command: it exports only `wasi:http/incoming-handler` (the
/// `http-trigger` adapter from the agent directory), for `wasmtime serve` and
/// Spin. Each POST runs the workflow on its JSON body and answers with the
/// output; the `runtara-instance-id` header names the run's instance (with
/// `--durable http`, sending it again resumes that instance).
///
/// With `--registry URL`, each agent the scenario imports that no named
/// component provides is pulled from that registry as `runtara/<agent>:<WIT
/// version>` (checked against its digest, and cached by it).
#[derive(clap::Args)]
#[command(
    after_help = "Example, durable against the core service:\n  runtara compose scenario.wasm --durable http -o app.wasm\n  wasmtime run -S http --env RUNTARA_HTTP_URL=http://127.0.0.1:7420 \\\n    --env RUNTARA_INSTANCE_ID=order-42 --env RUNTARA_TENANT_ID=acme \\\n    --env RUNTARA_TOKEN=secret --dir in::/input app.wasm\n\nExample, served over HTTP:\n  runtara compose scenario.wasm --trigger http -o service.wasm\n  wasmtime serve -S cli --addr 127.0.0.1:8080 service.wasm\n  curl -d '{\"name\": \"Ada\"}' -H 'content-type: application/json' http://127.0.0.1:8080/"
)]
pub struct Args {
    /// The compiled scenario component.
    scenario: PathBuf,
    /// Agent components to plug in (default: found in the agent directory).
    agents: Vec<PathBuf>,
    /// Where to write the composed component.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Who provides durability: `none` (the stateless adapter, one-shot runs
    /// anywhere), `host` (the runtara host keeps checkpoints: `runtara run
    /// --instance`) or `http` (the durable-http adapter, against `runtara serve`).
    #[arg(long, value_enum, default_value = "none", value_name = "PROVIDER")]
    durable: DurableArg,
    /// How the result is started: `command` (`wasmtime run`, `runtara run`) or
    /// `http` (exports `wasi:http/incoming-handler` for `wasmtime serve` and Spin).
    #[arg(long, value_enum, default_value = "command", value_name = "KIND")]
    trigger: TriggerArg,
    #[command(flatten)]
    agents_dir: AgentsDir,
    #[command(flatten)]
    registry: OptionalRegistry,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum TriggerArg {
    Command,
    Http,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DurableArg {
    None,
    Host,
    Http,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let options = ComposeOptions {
        scenario: args.scenario,
        agents: args.agents,
        agents_dir: args.agents_dir.path,
        durability: match args.durable {
            DurableArg::None => Durability::None,
            DurableArg::Host => Durability::Host,
            DurableArg::Http => Durability::Http,
        },
        trigger: match args.trigger {
            TriggerArg::Command => Trigger::Command,
            TriggerArg::Http => Trigger::Http,
        },
    };
    // Pulls from the registry the agents nobody named.
    let registry = args.registry.given().as_ref().map(RegistryArgs::source);
    pipeline::compose(options, registry.as_ref(), &args.output, &mut print_step)?;
    Ok(ExitCode::SUCCESS)
}

/// Says on stderr what was pulled, and what was plugged where once composed.
pub fn print_step(step: Step<'_>) {
    match step {
        Step::Pulled { reference, path } => {
            eprintln!("  pulled {reference} -> {}", path.display())
        }
        Step::Composed {
            output,
            composition,
        } => print_composition(&output.display().to_string(), composition),
        Step::Compiling { .. } | Step::Compile(_) | Step::Compiled { .. } => {}
    }
}

/// What was plugged where, and what the composed component (`what`) exports.
pub fn print_composition(what: &str, composition: &Composition) {
    for plug in &composition.plugs {
        eprintln!("  {} <- {}", plug.import, plug.source.display());
    }
    if let Some(trigger) = &composition.served_by {
        eprintln!("  served over HTTP by {}", trigger.display());
    }
    let foreign: Vec<&str> = composition
        .imports
        .iter()
        .filter(|i| !i.starts_with("wasi:") && !i.starts_with("runtara:durable/context@"))
        .map(String::as_str)
        .collect();
    if !foreign.is_empty() {
        eprintln!(
            "warning: {what} still imports non-WASI interfaces ({}); plain WASI runtimes cannot run it",
            foreign.join(", ")
        );
    }
    eprintln!(
        "composed {what} ({} bytes), exporting {}",
        composition.bytes.len(),
        composition.exports.join(", ")
    );
}
