use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use runtara_deploy::browser::{self, BrowserApp};

/// Transpile a composed component to JavaScript for the browser.
///
/// The component must be composed with durability left to the host (`runtara
/// compose --durable host`), so that it imports only WASI and
/// `runtara:durable/context`. DIR gets two builds of it, made in-process by
/// jco's transpiler (the `js-component-bindgen` crate): `jspi.js`, whose
/// imports may wait on promises (JSPI), and `sync.js`, for browsers without
/// JSPI; the core modules both load (`scenario.core*.wasm`); and
/// `scenario.json`, which names the app and its component's digest.
///
/// `runtara deploy browser` does this and writes runtara's browser host, a
/// demo page and a package.json around it.
#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  runtara compose scenario.wasm --durable host -o app.wasm\n  runtara transpile app.wasm -o web/scenario"
)]
pub struct Args {
    /// The composed component.
    component: PathBuf,
    /// The directory to write into (created when missing).
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// The application name, which names its IndexedDB database [default: the
    /// component file's name].
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let bytes = std::fs::read(&args.component)
        .with_context(|| format!("cannot read {}", args.component.display()))?;
    let name = args.name.unwrap_or_else(|| {
        args.component
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let app = BrowserApp {
        name: runtara_deploy::name::app_id(&name),
        title: None,
        description: None,
        agents: Vec::new(),
        digest: browser::digest(&bytes),
        example_input: serde_json::json!({}),
    };
    let files = browser::write_transpiled(&bytes, &app, &args.output)
        .with_context(|| format!("cannot transpile {}", args.component.display()))?;
    eprintln!(
        "transpiled {} into {}: {}",
        args.component.display(),
        args.output.display(),
        files
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(ExitCode::SUCCESS)
}
