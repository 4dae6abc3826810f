use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use runtara_compiler::catalog::read_description;
use runtara_composer::{ComposeOptions, Durability};
use runtara_registry::reference::Reference;

use super::AgentsDir;
use super::registry::{OptionalRegistry, RegistryArgs, fetch};

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
/// With `--registry URL`, each agent the scenario imports that no named
/// component provides is pulled from that registry as `runtara/<agent>:<WIT
/// version>` (checked against its digest, and cached by it).
#[derive(clap::Args)]
#[command(
    after_help = "Example, durable against the core service:\n  runtara compose scenario.wasm --durable http -o app.wasm\n  wasmtime run -S http --env RUNTARA_HTTP_URL=http://127.0.0.1:7420 \\\n    --env RUNTARA_INSTANCE_ID=order-42 --env RUNTARA_TENANT_ID=acme \\\n    --env RUNTARA_TOKEN=secret --dir in::/input app.wasm"
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
    #[command(flatten)]
    agents_dir: AgentsDir,
    #[command(flatten)]
    registry: OptionalRegistry,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DurableArg {
    None,
    Host,
    Http,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let mut agents = args.agents.clone();
    if let Some(registry) = args.registry.given() {
        agents.extend(pull_agents(&args.scenario, &agents, &registry)?);
    }
    let composition = runtara_composer::compose(&ComposeOptions {
        scenario: args.scenario.clone(),
        agents,
        agents_dir: args.agents_dir.path,
        durability: match args.durable {
            DurableArg::None => Durability::None,
            DurableArg::Host => Durability::Host,
            DurableArg::Http => Durability::Http,
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

/// Pulls every agent the scenario imports that none of `named` provides, as
/// `runtara/<agent>:<version>`; returns the cached components.
fn pull_agents(
    scenario: &Path,
    named: &[PathBuf],
    registry: &RegistryArgs,
) -> Result<Vec<PathBuf>> {
    let mut provided = Vec::new();
    for path in named {
        if let Some(description) = read_description(path)? {
            provided.push(description.agent);
        }
    }
    let mut pulled = Vec::new();
    for (agent, version) in runtara_composer::agent_imports(scenario)? {
        if provided.contains(&agent) {
            continue;
        }
        let reference: Reference = format!("runtara/{agent}:{version}")
            .parse()
            .with_context(|| format!("the import of agent {agent}@{version}"))?;
        let (path, _) = fetch(registry, &reference)?;
        eprintln!("  pulled {reference} -> {}", path.display());
        pulled.push(path);
    }
    Ok(pulled)
}
