use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use runtara_core::{Core, CoreOptions, TenantGrants, Tokens, hold_sqlite};
use runtara_host::RunOptions;
use runtara_host::store::{Lease, Store, sqlite_file};

use super::connection::load_key;
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
/// One core per SQLite file: a second `runtara serve` on the same file is
/// refused (SQLite cannot be shared across machines). Several cores share one
/// PostgreSQL database.
///
/// `GET /healthz` (alive) and `GET /readyz` (the store answers) need no token,
/// for load balancers. Routes, under /api/v1: PUT /components (the .wasm as body), POST /instances
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
    /// This core's name among the cores that share a database: /api/v1/nodes lists
    /// it, and it owns the instances it runs [default: <hostname>:<port>]. Letters,
    /// digits and `.`, `_`, `:`, `-`, up to 128; two live cores must not share one.
    #[arg(long, value_parser = parse_node_id, value_name = "ID")]
    node_id: Option<String>,
    /// How long this core's hold (lease) on an instance it runs lasts; its heartbeat
    /// renews it three times per lease. When a core dies, the others take its
    /// instances over this long after its last beat. At least 1s.
    #[arg(long, default_value = "10s", value_parser = parse_lease, value_name = "DURATION")]
    lease: Duration,
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
    /// A file holding the key connection secrets are sealed with (64 hex
    /// characters; `runtara connection new-key` makes one) [default:
    /// RUNTARA_CONNECTIONS_KEY]. Without a key the core keeps no connections.
    #[arg(long, value_name = "FILE")]
    connections_key_file: Option<PathBuf>,
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
    let connections_key = load_key(args.connections_key_file.as_deref())?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let address = listener
            .local_addr()
            .context("cannot read the bound address")?;
        let node = args
            .node_id
            .clone()
            .unwrap_or_else(|| format!("{}:{}", hostname(), address.port()));
        // Held until the process ends: no second core on this SQLite file.
        let sqlite_hold = match sqlite_file(&args.database) {
            Some(file) => Some(hold_sqlite(
                &file,
                &format!("node {node}, listening on http://{address}"),
            )?),
            None => None,
        };
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
                lease: Lease {
                    node: node.clone(),
                    duration: args.lease,
                },
                alone: sqlite_hold.is_some(),
                connections_key: connections_key.map(Arc::new),
            },
        )?;
        eprintln!(
            "runtara serve: listening on http://{address} (node {node}, state: {})",
            args.database
        );
        let quic = match args.quic {
            Some(addr) => {
                let endpoint = runtara_core::quic_endpoint(addr, &args.quic_cert, &args.quic_key)?;
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
        runtara_core::serve(listener, quic, core, tokens, shutdown)
            .await
            .context("the HTTP server failed")?;
        drop(sqlite_hold);
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

/// The name the kernel knows this machine by, for the default node id.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| parse_node_id(name).is_ok())
        .unwrap_or_else(|| "localhost".to_owned())
}

fn parse_node_id(text: &str) -> Result<String, String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._:-".contains(c);
    if text.is_empty() || text.len() > 128 || !text.chars().all(allowed) {
        return Err(format!(
            "{text:?} is not a node id: use 1 to 128 letters, digits, `.`, `_`, `:` or `-`"
        ));
    }
    Ok(text.to_owned())
}

fn parse_lease(text: &str) -> Result<Duration, String> {
    let lease = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if lease < Duration::from_secs(1) {
        return Err(format!(
            "{text} is too short for a lease: a heartbeat every third of it must reach the \
             database in time (at least 1s)"
        ));
    }
    Ok(lease)
}
