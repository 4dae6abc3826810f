use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use runtara_host::RunOptions;
use runtara_host::serve::{Core, CoreOptions, TenantGrants, Tokens};
use runtara_host::store::Store;

use super::run::{CompiledCacheArgs, parse_bytes};

/// How many instances run at once per CPU when `--max-running` is not given.
const RUNS_PER_CPU: usize = 32;

/// Run the core service: durable instances and their HTTP API.
///
/// Keeps instances' state in a database (a SQLite file by default, created when
/// missing, or PostgreSQL), runs instances of uploaded components in this
/// process, and wakes instances whose durable sleep has ended, also after a
/// restart of the service. Components must be composed with `--durable host`.
///
/// Every request needs `Authorization: Bearer <token>` and the tenant in
/// `X-Runtara-Tenant-Id`. Tokens: `RUNTARA_TOKEN` (any tenant) and `--tokens
/// FILE`, lines of `<token> <tenant>[,<tenant>...]` or `<token> *`.
///
/// What a tenant's instances may use is granted per tenant, in `--tenants FILE`
/// (TOML, example below): host directories and the hosts their HTTP requests may
/// go to. A tenant the file does not list gets none, and there is no grant for
/// every tenant at once (`runtara run`'s `--dir` and `--allow-host` are refused
/// here). Each value is checked when the core starts: a directory must exist
/// (relative to the file), a host must be a name or an address, with a port from
/// 1 to 65535 if any.
///
/// Routes, under /api/v1: PUT /components (the .wasm as body), POST /instances
/// ({"component": "sha256:...", "input": {...}}), GET /instances[/{id}[/history]]
/// (the list in pages: `?limit=N` up to 1000, 100 by default, and `&cursor=` the
/// `next` of the page before),
/// POST /instances/{id}/pause|resume|cancel, POST /instances/{id}/signals/{signal_id}.
/// Workflows that run elsewhere keep their instance here too: components composed
/// with `--durable http` over the same HTTP API, and native binaries over QUIC
/// (`--quic ADDR`; they trust the certificate in `--quic-cert`).
///
/// Limits: each run of an instance has a time limit (`--timeout`, 1 hour by
/// default) and a memory limit (`--max-memory`); at most `--max-running` instances
/// run at once, and the others wait their turn in the order they were started.
/// Component uploads may be 256 MiB, bodies that carry workflow data (inputs,
/// signals, checkpoints, outputs) 16 MiB, others 64 KiB; tenant, instance and
/// component ids 256 bytes, signal and checkpoint ids 1024.
#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  RUNTARA_TOKEN=secret runtara serve --listen 127.0.0.1:7420 --database state.db\n  curl -H 'Authorization: Bearer secret' -H 'X-Runtara-Tenant-Id: acme' \\\n       -X PUT --data-binary @app.wasm http://127.0.0.1:7420/api/v1/components\n\nA tenants file (--tenants tenants.toml):\n  [tenants.acme]\n  dirs = [\"/srv/acme/data::/data\"]         # HOST::GUEST, as `runtara run --dir`\n  allow_hosts = [\"api.acme.example:443\"]   # host, host:port, [IPv6]:port or *\n\n  [tenants.globex]\n  allow_hosts = [\"api.globex.example\"]"
)]
pub struct Args {
    /// The address to listen on (port 0 picks a free one; the address is printed).
    #[arg(long, default_value = "127.0.0.1:7420", value_name = "ADDR")]
    listen: String,
    /// The state store: a SQLite file (`state.db`, `sqlite://state.db`) or a
    /// `postgres://user:password@host/db` URL.
    #[arg(long, default_value = "runtara-state.db", value_name = "FILE|URL")]
    database: String,
    /// Also answer native binaries' instance calls over QUIC on this address
    /// (`RUNTARA_QUIC_ADDR` on their side).
    #[arg(long, value_name = "ADDR")]
    quic: Option<std::net::SocketAddr>,
    /// The QUIC endpoint's certificate (PEM), which native binaries trust
    /// (`RUNTARA_QUIC_CERT`); a self-signed one for `localhost` is made here when
    /// neither it nor the key exists.
    #[arg(long, default_value = "runtara-quic.pem", value_name = "FILE")]
    quic_cert: PathBuf,
    /// The QUIC certificate's private key (PEM), readable by its owner only: a key
    /// others may read is refused.
    #[arg(long, default_value = "runtara-quic.key", value_name = "FILE")]
    quic_key: PathBuf,
    /// A tokens file: `<token> <tenant>[,<tenant>...]` or `<token> *` per line.
    #[arg(long, value_name = "FILE")]
    tokens: Option<PathBuf>,
    /// A durable sleep with more than this left suspends its instance until it is
    /// due, instead of holding it in memory, e.g. `1s`, `5m`. A wait for a signal
    /// suspends unless its timeout is shorter.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    suspend_sleeps_over: Duration,
    #[command(flatten)]
    limits: InstanceLimits,
    /// What each tenant's instances may use: a TOML file of `[tenants.<tenant>]`
    /// tables with `dirs = ["HOST::GUEST", ...]` and `allow_hosts = ["HOST[:PORT]",
    /// ...]` (see above). Without it, no instance gets a directory or an HTTP host.
    #[arg(long, value_name = "FILE")]
    tenants: Option<PathBuf>,
    /// Refused: directories are granted per tenant, in `--tenants FILE`.
    #[arg(long = "dir", hide = true, value_name = "HOST::GUEST")]
    dirs: Vec<String>,
    /// Refused: HTTP hosts are granted per tenant, in `--tenants FILE`.
    #[arg(long = "allow-host", hide = true, value_name = "HOST[:PORT]")]
    allowed_hosts: Vec<String>,
    #[command(flatten)]
    compiled: CompiledCacheArgs,
}

/// What each instance may use, and how many run at once.
#[derive(clap::Args)]
struct InstanceLimits {
    /// Fail a run of an instance that has not ended, paused or suspended after this
    /// long, e.g. `30s`, `10m`, `24h`. A wait for a signal suspends the instance,
    /// so only a wait shorter than --suspend-sleeps-over counts.
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration, value_name = "DURATION")]
    timeout: Duration,
    /// The most memory one instance may use, e.g. `512MiB`, `1GiB`.
    #[arg(long, default_value = "512MiB", value_parser = parse_bytes, value_name = "SIZE")]
    max_memory: usize,
    /// How many instances may run at once; the others wait, first started first run
    /// [default: 32 per CPU]. A run spends most of its time waiting for the store, so
    /// many at once keep the CPUs busy; at worst they use N × --max-memory.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    max_running: Option<u32>,
    /// How many compiled components to keep in memory (the least recently used go).
    #[arg(long, default_value = "64", value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    max_compiled: u32,
}

pub fn run(args: Args) -> Result<ExitCode> {
    refuse_grants_for_all(&args)?;
    let env_token = std::env::var("RUNTARA_TOKEN").ok();
    let tokens = Tokens::load(env_token.as_deref(), args.tokens.as_deref())?;
    if tokens.is_empty() {
        bail!("no API tokens: set RUNTARA_TOKEN or give --tokens FILE");
    }
    let grants = match &args.tenants {
        Some(file) => TenantGrants::load(file)?,
        None => TenantGrants::default(),
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let store = Store::open(&args.database).await?;
        let limits = args.limits;
        let max_running = limits.max_running.map_or_else(
            || std::thread::available_parallelism().map_or(64, |n| n.get() * RUNS_PER_CPU),
            |n| n as usize,
        );
        let core = Core::new(
            store,
            CoreOptions {
                run: RunOptions {
                    timeout: Some(limits.timeout),
                    max_memory_bytes: limits.max_memory,
                    ..RunOptions::default()
                },
                grants,
                suspend_sleeps_over: args.suspend_sleeps_over,
                max_running,
                max_compiled: limits.max_compiled as usize,
                compiled_cache: args.compiled.open()?,
            },
        )?;
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let address = listener
            .local_addr()
            .context("cannot read the bound address")?;
        eprintln!(
            "runtara serve: listening on http://{address} (state: {})",
            args.database
        );
        let quic = match args.quic {
            Some(addr) => {
                let endpoint =
                    runtara_host::serve::quic_endpoint(addr, &args.quic_cert, &args.quic_key)?;
                let bound = endpoint
                    .local_addr()
                    .context("cannot read the bound QUIC address")?;
                eprintln!(
                    "runtara serve: quic listening on {bound} (certificate: {})",
                    args.quic_cert.display()
                );
                Some(endpoint)
            }
            None => None,
        };
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        runtara_host::serve::serve(listener, quic, core, tokens, shutdown)
            .await
            .context("the HTTP server failed")?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Refuses `--dir` and `--allow-host`: in `runtara run` they grant one run, here
/// they would grant every tenant's instances at once.
fn refuse_grants_for_all(args: &Args) -> Result<()> {
    let (flag, field, value) = match (args.dirs.first(), args.allowed_hosts.first()) {
        (Some(dir), _) => ("--dir", "dirs", dir),
        (None, Some(host)) => ("--allow-host", "allow_hosts", host),
        (None, None) => return Ok(()),
    };
    bail!(
        "`runtara serve {flag} {value}` would grant it to every tenant's instances: grants are \
         per tenant, in the tenants file (`--tenants FILE`), e.g.\n  [tenants.acme]\n  \
         {field} = [{value:?}]"
    )
}
