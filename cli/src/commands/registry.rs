//! `runtara registry serve`, and what the commands that talk to a registry share
//! (`publish`, `pull`, `search`, `inspect --registry`, `compose --registry`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use runtara_deploy::pipeline;
use runtara_registry::client::{Client, DEFAULT_USER};
use runtara_registry::component::Pulled;
use runtara_registry::reference::Reference;
use runtara_registry::server::{Access, Registry, RegistryConfig};

/// The registry a command talks to.
#[derive(clap::Args, Debug, Clone)]
pub struct RegistryArgs {
    /// The registry: `http://HOST:PORT`, `https://HOST`, or `HOST:PORT` (plain
    /// HTTP for localhost and 127.0.0.1, HTTPS otherwise).
    #[arg(long, env = "RUNTARA_REGISTRY", value_name = "URL")]
    pub registry: String,
    /// The token (or password) pushes and protected pulls carry, as the password
    /// of Basic credentials; to the registry's token service instead when it has
    /// one (GHCR: a personal access token).
    #[arg(
        long,
        env = "RUNTARA_REGISTRY_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// The user name sent with the token (runtara's registry takes any).
    #[arg(long, env = "RUNTARA_REGISTRY_USER", default_value = DEFAULT_USER, value_name = "NAME")]
    pub user: String,
}

impl RegistryArgs {
    pub fn client(&self) -> Result<Client> {
        Ok(self.source().client()?)
    }

    /// The registry, for the pipeline that pulls from it.
    pub fn source(&self) -> pipeline::Registry {
        pipeline::Registry {
            url: self.registry.clone(),
            token: self.token.clone(),
            user: self.user.clone(),
        }
    }
}

/// A registry a command may take its components from (`inspect`, `compose`).
/// Unlike [`RegistryArgs`] the URL is never read from the environment, so that a
/// set `RUNTARA_REGISTRY` does not change what a local path means.
#[derive(clap::Args, Debug, Clone)]
pub struct OptionalRegistry {
    /// Take components from this registry (see `runtara pull`).
    #[arg(long, value_name = "URL")]
    registry: Option<String>,
    /// The token (or password) for a registry whose pulls need one.
    #[arg(
        long,
        env = "RUNTARA_REGISTRY_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    token: Option<String>,
    /// The user name sent with the token.
    #[arg(long, env = "RUNTARA_REGISTRY_USER", default_value = DEFAULT_USER, value_name = "NAME")]
    user: String,
}

impl OptionalRegistry {
    /// The registry, when one was given.
    pub fn given(&self) -> Option<RegistryArgs> {
        self.registry.as_ref().map(|registry| RegistryArgs {
            registry: registry.clone(),
            token: self.token.clone(),
            user: self.user.clone(),
        })
    }
}

/// Runs registry requests on a runtime of their own.
pub fn block_on<T>(work: impl std::future::Future<Output = T>) -> Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(runtime.block_on(work))
}

/// Pulls `reference` into the component cache, unless its component is cached
/// already; returns where it is and what was pulled.
pub fn fetch(args: &RegistryArgs, reference: &Reference) -> Result<(PathBuf, Pulled)> {
    Ok(pipeline::pull(&args.source(), reference)?)
}

/// A registry of agent components that speaks the OCI distribution protocol.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    Serve(ServeArgs),
}

/// Serve a registry over HTTP: the OCI distribution API (blob uploads in one
/// request or in chunks, blobs and manifests by digest and tag, tag lists, the
/// catalog), content kept by sha256 under `--root` and checked on upload.
///
/// Pushing needs the token in `RUNTARA_REGISTRY_TOKEN`, sent as the password of
/// Basic credentials with any user name (`runtara publish`, oras, wkg) or as a
/// bearer token; pulling is open unless `--protect-pull`.
#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  RUNTARA_REGISTRY_TOKEN=secret runtara registry serve --root registry --listen 127.0.0.1:5050\n  RUNTARA_REGISTRY_TOKEN=secret runtara publish target/components/csv.wasm --registry 127.0.0.1:5050\n  runtara pull runtara/csv:0.1.0 --registry 127.0.0.1:5050 -o csv.wasm"
)]
struct ServeArgs {
    /// The directory the registry keeps its content in (created when missing).
    #[arg(long, value_name = "DIR")]
    root: PathBuf,
    /// The address to listen on (port 0 picks a free one; the address is printed).
    #[arg(long, default_value = "127.0.0.1:5050", value_name = "ADDR")]
    listen: String,
    /// Pulls need the token too.
    #[arg(long)]
    protect_pull: bool,
    /// The largest blob accepted, in bytes.
    #[arg(long, default_value_t = 256 * 1024 * 1024, value_name = "BYTES")]
    max_blob_size: u64,
    /// How long an upload nothing is added to is kept before it is dropped
    /// (a client that went away mid-upload leaves one), e.g. `30m`, `24h`.
    #[arg(long, default_value = "24h", value_name = "DURATION", value_parser = humantime::parse_duration)]
    upload_expiry: std::time::Duration,
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Command::Serve(args) => serve(args),
    }
}

fn serve(args: ServeArgs) -> Result<ExitCode> {
    let Some(token) = std::env::var("RUNTARA_REGISTRY_TOKEN")
        .ok()
        .filter(|token| !token.is_empty())
    else {
        bail!("set RUNTARA_REGISTRY_TOKEN to the token that pushes must carry");
    };
    let config = RegistryConfig {
        root: args.root.clone(),
        access: Access {
            token,
            protect_pull: args.protect_pull,
        },
        max_blob_bytes: args.max_blob_size,
        upload_expiry: args.upload_expiry,
    };
    let registry = Registry::open(&config).with_context(|| {
        format!(
            "cannot open the registry's storage in {}",
            args.root.display()
        )
    })?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let address = listener
            .local_addr()
            .context("cannot read the bound address")?;
        eprintln!(
            "runtara registry: listening on http://{address} (content in {}, pulls {})",
            args.root.display(),
            if args.protect_pull {
                "need the token"
            } else {
                "open"
            }
        );
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        runtara_registry::server::serve(listener, registry, shutdown)
            .await
            .context("the registry's HTTP server failed")?;
        Ok(ExitCode::SUCCESS)
    })
}
