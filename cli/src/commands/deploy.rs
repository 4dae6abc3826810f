use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use runtara_deploy::browser;
use runtara_deploy::pipeline::Step;
use runtara_deploy::spin::{self, DeployOptions, SpinDurability};

use super::AgentsDir;
use super::compile::Spinner;
use super::compose::{print_composition, print_step};
use super::registry::{OptionalRegistry, RegistryArgs};

/// Write a scenario as an application a platform runs.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    platform: Platform,
}

#[derive(clap::Subcommand)]
enum Platform {
    Spin(SpinArgs),
    Browser(BrowserArgs),
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
        Platform::Browser(args) => browser_app(args),
    }
}

/// Write a web page that runs the scenario in the browser, durable in IndexedDB.
///
/// Compiles the scenario and composes it with its agents, durability left to
/// the host (as `runtara compose --durable host` does), and transpiles the
/// component to JavaScript with jco's transpiler (as `runtara transpile` does).
/// DIR then holds the transpiled scenario (`scenario/`), runtara's browser host
/// (`runtara.js`, which provides the durable context on IndexedDB, and a Web
/// Worker entry), a demo page (`index.html`), a `package.json` naming the WASI
/// shim from npm, and a README on serving, using and bundling it.
///
/// Runs are durable where the browser has JSPI (Chromium 137 and later): a page
/// reloaded mid-run resumes its instance without redoing finished steps.
/// Elsewhere the page says that it keeps checkpoints in memory only.
#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  runtara deploy browser examples/order-summary/scenario.json -o web\n  cd web && npm install && python3 -m http.server 8000\n  # open http://127.0.0.1:8000/ and press Start"
)]
struct BrowserArgs {
    /// The scenario JSON file.
    scenario: PathBuf,
    /// Agent components to plug in (default: found in the agent directory).
    agents: Vec<PathBuf>,
    /// The directory to write the page into (created when missing).
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// The application name, which names its IndexedDB database [default: the
    /// scenario file's name].
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// A JSON file the demo page's input form starts with [default: `input.json`
    /// beside the scenario, if there is one].
    #[arg(long, value_name = "FILE")]
    example_input: Option<PathBuf>,
    /// A child scenario that EmbedWorkflow steps run, as ID=FILE; repeat for each child.
    #[arg(long = "child", value_name = "ID=FILE", value_parser = super::compile::parse_child)]
    children: Vec<(String, PathBuf)>,
    #[command(flatten)]
    agents_dir: AgentsDir,
    /// Where generated crates and build artifacts are cached.
    #[arg(long, env = "RUNTARA_CACHE_DIR", value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    #[command(flatten)]
    registry: OptionalRegistry,
}

fn browser_app(args: BrowserArgs) -> Result<ExitCode> {
    let options = browser::DeployOptions {
        scenario: args.scenario,
        children: args.children,
        agents: args.agents,
        output: args.output,
        name: args.name,
        example_input: args.example_input,
        agents_dir: args.agents_dir.path,
        cache_dir: args
            .cache_dir
            .unwrap_or_else(runtara_compiler::default_cache_dir),
        registry: args.registry.given().as_ref().map(RegistryArgs::source),
    };
    let mut steps = StepPrinter {
        // The composed component is transpiled, not kept.
        composed_as: Some("the app"),
        ..StepPrinter::default()
    };
    let deployed = browser::deploy(&options, &mut |step| steps.show(step));
    steps.finish();
    let deployed = deployed?;
    eprintln!(
        "wrote {} for the browser into {} ({} files; a browser with JSPI downloads {} KiB, {} KiB gzipped)\n  \
         serve it: cd {} && npm install && python3 -m http.server 8000",
        deployed.name,
        deployed.output.display(),
        deployed.files.len(),
        deployed.bundle.bytes / 1024,
        deployed.bundle.gzipped / 1024,
        deployed.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Shows the pipeline's steps: a spinner while the scenario compiles, then a
/// line per step.
#[derive(Default)]
struct StepPrinter {
    spinner: Option<Spinner>,
    /// What the composed component is called, when not its path.
    composed_as: Option<&'static str>,
}

impl StepPrinter {
    fn show(&mut self, step: Step<'_>) {
        match step {
            Step::Compiling { scenario } => self.spinner = Some(Spinner::start(scenario)),
            Step::Compile(progress) => {
                if let Some(spinner) = &mut self.spinner {
                    spinner.show(progress);
                }
            }
            Step::Compiled { scenario, .. } => {
                self.finish();
                eprintln!("compiled {}", scenario.display());
            }
            Step::Composed { composition, .. } if let Some(what) = self.composed_as => {
                print_composition(what, composition)
            }
            step => print_step(step),
        }
    }

    /// Clears the spinner a compile that failed leaves.
    fn finish(&mut self) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish();
        }
    }
}

fn spin_app(args: SpinArgs) -> Result<ExitCode> {
    let options = DeployOptions {
        scenario: args.scenario,
        agents: args.agents,
        output: args.output,
        route: args.route,
        name: args.name,
        durability: match args.durable {
            DurableArg::None => SpinDurability::None,
            DurableArg::Http => SpinDurability::Http,
        },
        core_url: args.core_url,
        tenant: args.tenant,
        core_token: args.core_token,
        allow_hosts: args.allow_hosts,
        max_body_bytes: args.max_body_bytes,
        agents_dir: args.agents_dir.path,
        cache_dir: args
            .cache_dir
            .unwrap_or_else(runtara_compiler::default_cache_dir),
        registry: args.registry.given().as_ref().map(RegistryArgs::source),
    };
    let mut steps = StepPrinter::default();
    let deployed = spin::deploy(&options, &mut |step| steps.show(step));
    steps.finish();
    let deployed = deployed?;
    for step in &deployed.unknown_hosts {
        eprintln!(
            "warning: step {} builds its URL at run time ({}): add the hosts it reaches with --allow-host, or in spin.toml",
            step.step, step.url
        );
    }
    eprintln!(
        "wrote the Spin application {} into {}: {}\n  run it: cd {} && spin up",
        deployed.name,
        deployed.output.display(),
        deployed.files.join(", "),
        deployed.output.display()
    );
    Ok(ExitCode::SUCCESS)
}
