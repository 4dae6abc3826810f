use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use runtara_host::serve::{Core, CoreOptions, Tokens};
use runtara_host::store::Store;

use super::run::Sandbox;

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
/// Routes, under /api/v1: PUT /components (the .wasm as body), POST /instances
/// ({"component": "sha256:...", "input": {...}}), GET /instances[/{id}[/history]],
/// POST /instances/{id}/pause|resume|cancel, POST /instances/{id}/signals/{signal_id}.
/// Workflows that run elsewhere keep their instance here too: components composed
/// with `--durable http` over the same HTTP API, and native binaries over QUIC
/// (`--quic ADDR`; they trust the certificate in `--quic-cert`).
#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  RUNTARA_TOKEN=secret runtara serve --listen 127.0.0.1:7420 --database state.db\n  curl -H 'Authorization: Bearer secret' -H 'X-Runtara-Tenant-Id: acme' \\\n       -X PUT --data-binary @app.wasm http://127.0.0.1:7420/api/v1/components"
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
    /// The QUIC certificate's private key (PEM).
    #[arg(long, default_value = "runtara-quic.key", value_name = "FILE")]
    quic_key: PathBuf,
    /// A tokens file: `<token> <tenant>[,<tenant>...]` or `<token> *` per line.
    #[arg(long, value_name = "FILE")]
    tokens: Option<PathBuf>,
    /// A durable sleep with more than this left suspends its instance until it is
    /// due, instead of holding it in memory, e.g. `1s`, `5m`.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    suspend_sleeps_over: Duration,
    #[command(flatten)]
    sandbox: Sandbox,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let env_token = std::env::var("RUNTARA_TOKEN").ok();
    let tokens = Tokens::load(env_token.as_deref(), args.tokens.as_deref())?;
    if tokens.is_empty() {
        bail!("no API tokens: set RUNTARA_TOKEN or give --tokens FILE");
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let store = Store::open(&args.database).await?;
        let core = Core::new(
            store,
            CoreOptions {
                run: args.sandbox.options(),
                suspend_sleeps_over: args.suspend_sleeps_over,
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
