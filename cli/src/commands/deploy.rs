use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use runtara_compiler::{CompilationTarget, CompileOptions};
use runtara_composer::{ComposeOptions, Durability, Trigger};
use runtara_deploy::spin::{self, SpinApp};

use super::AgentsDir;
use super::compose::compose_to;
use super::registry::OptionalRegistry;

/// Write a scenario as an application a platform runs.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    platform: Platform,
}

#[derive(clap::Subcommand)]
enum Platform {
    Spin(SpinArgs),
}

/// Write a Spin application that serves the scenario over HTTP.
///
/// Compiles the scenario and composes it with its agents, a durability adapter
/// and the `http-trigger` adapter (as `runtara compose --trigger http` does).
/// DIR then holds `<scenario>.wasm`, which answers `POST` with the scenario's
/// output, a `spin.toml` and a `README.md` on `spin up`, `spin deploy`,
/// `wasmtime serve` and the responses.
///
/// The `spin.toml` is manifest version 2, for Spin 3, checked against Spin's
/// manifest reference before it is written. Its HTTP trigger is on `--route`.
/// Its `allowed_outbound_hosts` lists the hosts the scenario's http steps name;
/// a step that builds its URL at run time is reported, and `--allow-host` adds
/// hosts. With `--durable http` runs checkpoint to the core service (`runtara
/// serve`) at `--core-url`: its URL, tenant and token go into the component's
/// `environment`, and the file is made readable by its owner only.
#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  runtara deploy spin examples/order-summary/scenario.json -o order-app\n  cd order-app && spin up\n\nDurable, against the core service:\n  RUNTARA_TOKEN=secret runtara deploy spin scenario.json -o app \\\n    --durable http --core-url https://runtara.example.com --tenant acme"
)]
struct SpinArgs {
    /// The scenario JSON file.
    scenario: PathBuf,
    /// Agent components to plug in (default: found in the agent directory).
    agents: Vec<PathBuf>,
    /// The directory to write the application into (created when missing).
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// The HTTP route: `/` answers only `/`, `/orders/...` everything under `/orders`.
    #[arg(long, default_value = "/", value_name = "ROUTE")]
    route: String,
    /// The application name [default: the scenario's name].
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Who keeps the runs' state: `none` (one-shot runs) or `http` (the core service at --core-url).
    #[arg(long, value_enum, default_value = "none", value_name = "PROVIDER")]
    durable: DurableArg,
    /// The core service's URL, with `--durable http`.
    #[arg(long, env = "RUNTARA_HTTP_URL", value_name = "URL")]
    core_url: Option<String>,
    /// The tenant the runs belong to, with `--durable http`.
    #[arg(
        long,
        env = "RUNTARA_TENANT_ID",
        default_value = "default",
        value_name = "TENANT"
    )]
    tenant: String,
    /// The core service's bearer token, with `--durable http`.
    #[arg(
        long,
        env = "RUNTARA_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    core_token: Option<String>,
    /// A host the component may reach besides those the scenario names, as
    /// `scheme://host[:port]` (e.g. `https://api.example.com`); repeat for more.
    #[arg(long = "allow-host", value_name = "URL")]
    allow_hosts: Vec<String>,
    /// The largest request body the component takes, in bytes [default: 10 MiB].
    #[arg(long, value_name = "BYTES")]
    max_body_bytes: Option<u64>,
    #[command(flatten)]
    agents_dir: AgentsDir,
    /// Where generated crates and build artifacts are cached.
    #[arg(long, env = "RUNTARA_CACHE_DIR", value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    #[command(flatten)]
    registry: OptionalRegistry,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DurableArg {
    None,
    Http,
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.platform {
        Platform::Spin(args) => spin_app(args),
    }
}

fn spin_app(args: SpinArgs) -> Result<ExitCode> {
    let component_id = spin::component_id(
        &args
            .name
            .clone()
            .unwrap_or_else(|| runtara_compiler::scenario_name(&args.scenario)),
    );
    // The id is also a valid application name; a name given is kept as written.
    let name = args.name.clone().unwrap_or_else(|| component_id.clone());
    let (environment, core_host) = durability_settings(&args)?;
    for host in &args.allow_hosts {
        spin::check_outbound_host(host).map_err(|problem| {
            anyhow::anyhow!("--allow-host {host:?} {problem} (Spin's allowed_outbound_hosts)")
        })?;
    }
    // The manifest is made (and checked) first, so that nothing is built or
    // written when it would be refused. Compiling checks the rest of the scenario.
    let scenario = std::fs::read_to_string(&args.scenario)
        .map_err(anyhow::Error::from)
        .and_then(|text| Ok(runtara_dsl::parse_scenario(&text)?))
        .with_context(|| format!("cannot read {}", args.scenario.display()))?;
    let hosts = spin::outbound_hosts(&scenario.execution_graph);
    let allowed: BTreeSet<String> = hosts
        .known
        .iter()
        .cloned()
        .chain(core_host)
        .chain(args.allow_hosts.iter().cloned())
        .collect();
    let holds_secret = environment.contains_key("RUNTARA_TOKEN");
    let app = SpinApp {
        name: name.clone(),
        description: scenario.execution_graph.description.clone(),
        source: format!("{component_id}.wasm"),
        component_id,
        route: args.route.clone(),
        allowed_outbound_hosts: allowed.into_iter().collect(),
        environment,
    };
    let manifest = app.manifest()?;

    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("cannot create {}", args.output.display()))?;
    let build = tempfile::tempdir().context("cannot make a temporary directory")?;
    let compiled = build.path().join("scenario.wasm");
    super::compile::build(&CompileOptions {
        scenario: args.scenario.clone(),
        output: compiled.clone(),
        agents_dir: args.agents_dir.path.clone(),
        cache_dir: args
            .cache_dir
            .clone()
            .unwrap_or_else(runtara_compiler::default_cache_dir),
        children: Vec::new(),
        target: CompilationTarget::Wasi,
    })?;
    eprintln!("compiled {}", args.scenario.display());
    compose_to(
        ComposeOptions {
            scenario: compiled,
            agents: args.agents.clone(),
            agents_dir: args.agents_dir.path.clone(),
            durability: match args.durable {
                DurableArg::None => Durability::None,
                DurableArg::Http => Durability::Http,
            },
            trigger: Trigger::Http,
        },
        args.registry.given().as_ref(),
        &args.output.join(&app.source),
    )?;
    write(&args.output.join("spin.toml"), &manifest, holds_secret)?;
    write(
        &args.output.join("README.md"),
        &app.readme(&hosts.unknown),
        false,
    )?;
    for step in &hosts.unknown {
        eprintln!(
            "warning: step {} builds its URL at run time ({}): add the hosts it reaches with --allow-host, or in spin.toml",
            step.step, step.url
        );
    }
    eprintln!(
        "wrote the Spin application {name} into {}: {}, spin.toml, README.md\n  run it: cd {} && spin up",
        args.output.display(),
        app.source,
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The component's environment for the durability asked for, and the core
/// service's origin (which the component must be allowed to reach).
fn durability_settings(args: &SpinArgs) -> Result<(BTreeMap<String, String>, Option<String>)> {
    let mut environment = BTreeMap::new();
    if let Some(bytes) = args.max_body_bytes {
        environment.insert("RUNTARA_MAX_BODY_BYTES".to_owned(), bytes.to_string());
    }
    match args.durable {
        DurableArg::None => Ok((environment, None)),
        DurableArg::Http => {
            let Some(url) = &args.core_url else {
                bail!(
                    "--durable http needs --core-url URL (or RUNTARA_HTTP_URL): the core service (`runtara serve`) the runs checkpoint to"
                );
            };
            let Some(origin) = spin::origin(url) else {
                bail!("--core-url {url:?} is not an http:// or https:// URL");
            };
            let Some(token) = &args.core_token else {
                bail!(
                    "--durable http needs --core-token TOKEN (or RUNTARA_TOKEN): the core service's bearer token"
                );
            };
            environment.insert("RUNTARA_HTTP_URL".to_owned(), url.clone());
            environment.insert("RUNTARA_TENANT_ID".to_owned(), args.tenant.clone());
            environment.insert("RUNTARA_TOKEN".to_owned(), token.clone());
            Ok((environment, Some(origin)))
        }
    }
}

/// Writes `text` to `path`, readable by its owner only when it holds a secret
/// (restricted before the secret is written, also when the file was there).
fn write(path: &Path, text: &str, secret: bool) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot restrict {} to its owner", path.display()))?;
    }
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}
