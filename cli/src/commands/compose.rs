use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use runtara_composer::{ComposeOptions, Durability};

use super::AgentsDir;

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
#[derive(clap::Args)]
pub struct Args {
    /// The compiled scenario component.
    scenario: PathBuf,
    /// Agent components to plug in (default: found in the agent directory).
    agents: Vec<PathBuf>,
    /// Where to write the composed component.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Who provides durability: `none` (the stateless adapter, one-shot runs
    /// anywhere) or `host` (the runtara host keeps checkpoints: `runtara run --instance`).
    #[arg(long, value_enum, default_value = "none", value_name = "PROVIDER")]
    durable: DurableArg,
    #[command(flatten)]
    agents_dir: AgentsDir,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DurableArg {
    None,
    Host,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let composition = runtara_composer::compose(&ComposeOptions {
        scenario: args.scenario.clone(),
        agents: args.agents,
        agents_dir: args.agents_dir.path,
        durability: match args.durable {
            DurableArg::None => Durability::None,
            DurableArg::Host => Durability::Host,
        },
    })
    .with_context(|| format!("cannot compose {}", args.scenario.display()))?;
    std::fs::write(&args.output, &composition.bytes)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    for plug in &composition.plugs {
        eprintln!("  {} <- {}", plug.import, plug.source.display());
    }
    let foreign: Vec<&String> = composition
        .imports
        .iter()
        .filter(|i| !i.starts_with("wasi:") && !i.starts_with("runtara:durable/context@"))
        .collect();
    if !foreign.is_empty() {
        eprintln!(
            "warning: {} still imports non-WASI interfaces ({}); plain WASI runtimes cannot run it",
            args.output.display(),
            foreign
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    eprintln!(
        "composed {} ({} bytes)",
        args.output.display(),
        composition.bytes.len()
    );
    Ok(ExitCode::SUCCESS)
}
