use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use runtara_host::store::{InstanceKey, RunStart, Status, Store};
use runtara_host::{CompiledCache, DurableInstance, Host, Outcome, RunOptions};
use serde_json::{Value, json};

/// Run a composed scenario component.
///
/// Prints the workflow's output as JSON on stdout. A workflow that fails prints
/// `{"error": {stepId, code, message, category, attributes}}` on stderr and
/// exits with 1; a run the host had to stop (time or memory limit, a trap)
/// prints the reason and exits with 2.
///
/// The component may send HTTP requests (the http agent, through wasi:http)
/// only to the hosts given with `--allow-host`, and read and write only the
/// directories given with `--dir`. A
/// WaitForSignal step in a one-shot run reads its signals from the directory
/// granted as `/signals` (`--dir inbox::/signals`; see the README).
///
/// Durable runs: a component composed with `--durable host` runs as an instance,
/// `--instance ID --state FILE`. Every finished step is checkpointed in FILE (a
/// SQLite database, created when missing); running the same instance again
/// after a crash skips the steps that finished and goes on from there, on the
/// input the instance started with. A run that stops to be resumed (paused)
/// prints `{"suspended": {...}}` on stderr and exits with 3. An instance that
/// already ended prints its result again.
#[derive(clap::Args)]
pub struct Args {
    /// The composed component (`runtara compose` output).
    component: PathBuf,
    /// The workflow input, a JSON file; `-` reads stdin [default: `{}`].
    #[arg(short, long, value_name = "FILE")]
    input: Option<PathBuf>,
    #[command(flatten)]
    sandbox: Sandbox,
    #[command(flatten)]
    compiled: CompiledCacheArgs,
    /// Run as this durable instance (needs `--state`); the same id resumes it.
    #[arg(long, value_name = "ID", requires = "state")]
    instance: Option<String>,
    /// Where durable instances keep their state: a SQLite file (`state.db`,
    /// `sqlite://state.db`) or a `postgres://` URL.
    #[arg(long, value_name = "FILE|URL", requires = "instance")]
    state: Option<String>,
    /// The tenant the instance belongs to.
    #[arg(
        long,
        default_value = "default",
        value_name = "TENANT",
        requires = "instance"
    )]
    tenant: String,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let input = args.input.as_deref().map(read_input).transpose()?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let host = Host::new(args.compiled.open()?)?;
        let component = host.load(&args.component)?;
        // Checked before the instance is registered, so that a refusal leaves no row.
        host.check_durability(&component, args.instance.is_some())?;
        let (durable, input) = match (&args.instance, &args.state) {
            (Some(instance), Some(state)) => {
                let key = InstanceKey::new(&args.tenant, instance);
                let store = Store::open(state).await?;
                let digest = component_digest(&args.component)?;
                let input = match store.start_run(&key, input.as_ref(), Some(&digest)).await? {
                    RunStart::New { input } => input,
                    RunStart::Resumed { input, status } => {
                        eprintln!("resuming {key} ({})", status.as_str());
                        input
                    }
                    RunStart::Ended(instance) => {
                        return Ok(ended(
                            &key,
                            instance.status,
                            instance.output,
                            instance.error,
                        ));
                    }
                    RunStart::OtherInput => bail!(
                        "{key} was started with another input; leave out --input to resume it \
                         on the input it started with"
                    ),
                    RunStart::OtherComponent { started_with } => bail!(
                        "{key} was started by another component ({started_with}), and {} is \
                         {digest}: resume it with the component that started it, or run this \
                         one as a new instance",
                        args.component.display()
                    ),
                };
                // No core to wake it: `runtara run` waits out every sleep itself and
                // polls for signals.
                let durable = DurableInstance::new(store, key, None);
                (Some(durable), input)
            }
            _ => (None, input.unwrap_or_else(|| json!({}))),
        };
        let options = RunOptions {
            durable,
            ..args.sandbox.options()
        };
        Ok(report(host.run(&component, &input, &options).await?))
    })
}

/// Where compiled components are kept (`run` and `serve`).
#[derive(clap::Args)]
pub struct CompiledCacheArgs {
    /// Keep compiled components in this directory (made readable by its owner
    /// only), so that running one again loads it instead of compiling it [default:
    /// `compiled/` in `$RUNTARA_CACHE_DIR`, else `$XDG_CACHE_HOME/runtara`, else
    /// `~/.cache/runtara`].
    #[arg(long, env = "RUNTARA_COMPILED_CACHE", value_name = "DIR")]
    compiled_cache: Option<PathBuf>,
    /// The most disk space compiled components may take; the least recently used
    /// go first.
    #[arg(long, default_value = "1GiB", value_parser = parse_bytes, value_name = "SIZE")]
    compiled_cache_size: usize,
    /// Compile components afresh each time, keeping nothing on disk.
    #[arg(long)]
    no_compiled_cache: bool,
}

impl CompiledCacheArgs {
    /// The cache directory, opened (and created when missing); none with
    /// `--no-compiled-cache`.
    pub fn open(&self) -> Result<Option<CompiledCache>> {
        if self.no_compiled_cache {
            return Ok(None);
        }
        let dir = self
            .compiled_cache
            .clone()
            .unwrap_or_else(|| runtara_compiler::default_cache_dir().join("compiled"));
        Ok(Some(CompiledCache::open(
            &dir,
            self.compiled_cache_size as u64,
        )?))
    }
}

/// What a run may use: time, memory, directories and HTTP hosts.
#[derive(clap::Args)]
pub struct Sandbox {
    /// Stop the workflow after this long, e.g. `30s`, `500ms`, `2m`.
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    timeout: Option<Duration>,
    /// The most memory the component may use, e.g. `512MiB`, `1GiB`, `100MB`.
    #[arg(long, default_value = "512MiB", value_parser = parse_bytes, value_name = "SIZE")]
    max_memory: usize,
    /// Give the component a host directory, as HOST::GUEST (like `wasmtime run --dir`).
    #[arg(long = "dir", value_parser = parse_dir, value_name = "HOST::GUEST")]
    dirs: Vec<(PathBuf, String)>,
    /// Let the component send HTTP requests to this host: `api.example.com`,
    /// `127.0.0.1:8080` (that port only) or `*` (anywhere). Repeat for more hosts;
    /// requests to others are refused.
    #[arg(long = "allow-host", value_name = "HOST[:PORT]")]
    allowed_hosts: Vec<String>,
}

impl Sandbox {
    /// Run options with these limits and grants, and no durable instance.
    pub fn options(self) -> RunOptions {
        RunOptions {
            timeout: self.timeout,
            max_memory_bytes: self.max_memory,
            dirs: self.dirs,
            allowed_hosts: self.allowed_hosts,
            durable: None,
        }
    }
}

/// Prints how a run ended and returns its exit code.
fn report(outcome: Outcome) -> ExitCode {
    match outcome {
        Outcome::Completed(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Outcome::Failed(error) => {
            eprintln!("{}", json!({ "error": error }));
            ExitCode::from(1)
        }
        Outcome::Suspended(error) => {
            eprintln!("{}", json!({ "suspended": error }));
            ExitCode::from(3)
        }
    }
}

/// The result of an instance that ended before this run, printed as if it had just ended.
fn ended(
    key: &InstanceKey,
    status: Status,
    output: Option<Value>,
    error: Option<Value>,
) -> ExitCode {
    eprintln!("{key} already ended ({}); its result:", status.as_str());
    match (status, output) {
        (Status::Completed, Some(output)) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{}", json!({ "error": error }));
            ExitCode::from(1)
        }
    }
}

/// `sha256:<hex>` of the component file: what an instance records as the
/// component that runs it.
fn component_digest(path: &std::path::Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(runtara_registry::digest::Digest::of(&bytes).to_string())
}

fn read_input(path: &std::path::Path) -> Result<Value> {
    let (text, source) = match path {
        path if path.as_os_str() == "-" => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read the input from stdin")?;
            (text, "stdin".to_owned())
        }
        path => (
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the input file {}", path.display()))?,
            path.display().to_string(),
        ),
    };
    serde_json::from_str(&text).with_context(|| format!("the input ({source}) is not valid JSON"))
}

fn parse_dir(text: &str) -> Result<(PathBuf, String)> {
    match text.split_once("::") {
        Some((host, guest)) if !host.is_empty() && !guest.is_empty() => {
            Ok((host.into(), guest.into()))
        }
        None if !text.is_empty() => Ok((text.into(), text.into())),
        _ => bail!("expected HOST::GUEST or a path, got {text:?}"),
    }
}

pub fn parse_bytes(text: &str) -> Result<usize> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: usize = number
        .parse()
        .with_context(|| format!("expected a size like 512MiB, got {text:?}"))?;
    let factor: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "kib" | "k" => 1 << 10,
        "mb" => 1_000_000,
        "mib" | "m" => 1 << 20,
        "gb" => 1_000_000_000,
        "gib" | "g" => 1 << 30,
        other => {
            bail!("unknown size unit {other:?} in {text:?} (use B, KiB, MiB, GiB, KB, MB or GB)")
        }
    };
    number
        .checked_mul(factor)
        .with_context(|| format!("{text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_dirs_parse() {
        assert_eq!(parse_bytes("512MiB").unwrap(), 512 << 20);
        assert_eq!(parse_bytes("100MB").unwrap(), 100_000_000);
        assert_eq!(parse_bytes("4096").unwrap(), 4096);
        assert!(parse_bytes("12 parsecs").is_err());
        assert_eq!(
            parse_dir("in::/input").unwrap(),
            (PathBuf::from("in"), "/input".to_owned())
        );
        assert!(parse_dir("::").is_err());
    }
}
