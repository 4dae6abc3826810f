use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use runtara_registry::reference::Reference;

use super::registry::{RegistryArgs, fetch};

/// Pull a component from a registry into the local cache.
///
/// The manifest and the component are checked against their digests. The
/// component is kept by digest in the cache directory (`$RUNTARA_CACHE_DIR`,
/// else `~/.cache/runtara`), under `components/`, and copied to `-o FILE`.
#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  runtara pull runtara/http:0.1.0 --registry http://127.0.0.1:5050 -o http.wasm"
)]
pub struct Args {
    /// What to pull: NAME:VERSION (runtara/http:0.1.0) or NAME@sha256:DIGEST.
    reference: String,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Also write the component here.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let reference: Reference = args.reference.parse()?;
    let (cached, pulled) = fetch(&args.registry, &reference)?;
    if let Some(output) = &args.output {
        std::fs::copy(&cached, output)
            .with_context(|| format!("cannot write {}", output.display()))?;
    }
    eprintln!(
        "pulled {reference} ({}, {} bytes) -> {}",
        pulled.component_digest,
        pulled.component.len(),
        args.output.as_ref().unwrap_or(&cached).display()
    );
    Ok(ExitCode::SUCCESS)
}
